// What operators see of a delivery: the contract's CloudWatch metrics (EMF lines, as CloudWatch reads
// them) and one correlation id from the ingress request to the worker's lines for its event.
import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '#lib/config.ts';
import type { QueuedMessage } from '#lib/dispatch/message.ts';
import type { ApplyPaymentCommand } from '#lib/events.ts';
import { createMemoryLedger } from '#lib/ledger/memory.ts';
import { LOCAL_SECRETS } from '#lib/local/defaults.ts';
import { localContext } from '#lib/local/runtime.ts';
import { apiGatewayEvent, signSample } from '#lib/local/sign.ts';
import type { Logger } from '#lib/log.ts';
import { SEED_OBLIGATION_IDS, SEED_RECORD_IDS } from '#lib/sandbox/index.ts';
import { createEnvStore, type SecretStore } from '#lib/secrets/index.ts';
import type { Metrics } from '#lib/telemetry.ts';
import { createRuntime, paymentReceivedHandler, wolkvoxSyncHandler } from '#lib/wiring.ts';
import { FifoQueue } from './support/fifo-harness.ts';
import { localSecretStore, useSandboxAndSqs } from './support/harness.ts';
import { capturingLogger } from './support/logs.ts';
import { capturingMetrics, type EmittedMetric } from './support/metrics.ts';
import { sqsRecord } from './support/worker.ts';

const harness = useSandboxAndSqs();

afterEach(() => {
  vi.unstubAllEnvs();
});

const queueEnv = () => ({
  DISPATCH: 'queue',
  QUEUE_URL: `${harness.sqs.endpoint}/000000000000/wolkvox-commands.fifo`,
  PARKED_QUEUE_URL: `${harness.sqs.endpoint}/000000000000/wolkvox-parked.fifo`,
  LEDGER_TABLE: 'in-memory-for-this-test',
});

function runtime(options: { metrics?: Metrics; logger?: Logger; secrets?: SecretStore } = {}) {
  const config = loadConfig({
    ...harness.providerApis.env,
    WOLKVOX_SERVER: harness.sandbox.url,
    WOLKVOX_OPERATION: 'demo',
    ...queueEnv(),
  });
  return createRuntime(config, {
    secrets: localSecretStore(),
    sqs: harness.sqs.client,
    logLevel: 'SILENT',
    ledger: createMemoryLedger(),
    ...options,
  });
}

const named = (emitted: EmittedMetric[], name: string) => emitted.filter((m) => m.name === name);
const SERVICE = { service: 'wolkvox-webhooks' };

async function stripeEvent() {
  const body = await readFile('events/stripe/payment_intent.succeeded.json', 'utf8');
  const request = signSample('stripe', body, LOCAL_SECRETS);
  return apiGatewayEvent({
    family: 'payments',
    provider: 'stripe',
    body: request.body,
    headers: request.headers,
  });
}

const record = sqsRecord;

function payment(
  paymentId: string,
  obligation: string = SEED_OBLIGATION_IDS.carlosLibreInversion,
): QueuedMessage {
  const command: ApplyPaymentCommand = {
    kind: 'applyPayment',
    identity: `wompi:${paymentId}`,
    target: { operation: 'demo', wolkvoxId: SEED_RECORD_IDS.carlosRamirez, obligation },
    payment: {
      provider: 'wompi',
      paymentId,
      amount: { minor: 1_000_00, currency: 'COP', exponent: 2 },
      paidAt: '2026-11-20T15:00:00.000Z',
    },
  };
  // No correlationId: a message queued before it existed still parses.
  return {
    command,
    meta: { provider: 'wompi', eventId: `${paymentId}:APPROVED:1`, receivedAt: '2026-11-20T15:00:01.000Z' },
  };
}

describe('ingress metrics', () => {
  it('a 401 counts a delivery with outcome 401 and an Unauthorized for that provider', async () => {
    const { metrics, emitted } = capturingMetrics();
    const event = await stripeEvent();
    const forged = { ...event, headers: { ...event.headers, 'stripe-signature': 't=1,v1=00' } };
    const answer = await paymentReceivedHandler(runtime({ metrics }))(
      forged,
      localContext('paymentReceived'),
    );
    expect(answer.statusCode).toBe(401);
    const dims = { ...SERVICE, family: 'payments', provider: 'stripe' };
    expect(named(emitted(), 'Deliveries')).toEqual([
      { name: 'Deliveries', unit: 'Count', value: 1, dimensions: { ...dims, outcome: '401' } },
    ]);
    expect(named(emitted(), 'Unauthorized')).toEqual([
      { name: 'Unauthorized', unit: 'Count', value: 1, dimensions: dims },
    ]);
  });

  it('an enqueued payment counts as accepted; an unknown provider as 404 under "unknown"', async () => {
    const { metrics, emitted } = capturingMetrics();
    const handler = paymentReceivedHandler(runtime({ metrics }));
    expect((await handler(await stripeEvent(), localContext('paymentReceived'))).statusCode).toBe(200);
    const unknown = { ...(await stripeEvent()), pathParameters: { provider: 'nosuch' } };
    expect((await handler(unknown, localContext('paymentReceived'))).statusCode).toBe(404);
    expect(named(emitted(), 'Deliveries').map((m) => [m.dimensions.provider, m.dimensions.outcome])).toEqual([
      ['stripe', 'accepted'],
      ['unknown', '404'],
    ]);
  });
});

describe('worker metrics', () => {
  it('an applied payment counts Applied, and each wolkvox call by endpoint and outcome with its latency', async () => {
    const { metrics, emitted } = capturingMetrics();
    const sync = wolkvoxSyncHandler(runtime({ metrics }));
    expect(await sync({ Records: [record(payment('tx-m1'))] }, localContext('wolkvoxSync'))).toEqual({
      batchItemFailures: [],
    });
    expect(named(emitted(), 'Applied')).toEqual([
      { name: 'Applied', unit: 'Count', value: 1, dimensions: SERVICE },
    ]);
    expect(named(emitted(), 'WolkvoxCalls').map((m) => m.dimensions)).toEqual([
      { ...SERVICE, endpoint: 'collections/queryObligation.php', outcome: 'done' },
      { ...SERVICE, endpoint: 'collections/updateObligation.php', outcome: 'done' },
    ]);
    const latency = named(emitted(), 'WolkvoxLatency');
    expect(latency.map((m) => [m.unit, m.dimensions.endpoint])).toEqual([
      ['Milliseconds', 'collections/queryObligation.php'],
      ['Milliseconds', 'collections/updateObligation.php'],
    ]);
    expect(latency.every((m) => m.value >= 0)).toBe(true);
    expect(named(emitted(), 'Recovered')).toEqual([]);
  });

  it('a quota hold counts QuotaHolds, holds later commands without calling, and is not an outage', async () => {
    const { metrics, emitted } = capturingMetrics();
    const { logger, lines } = capturingLogger();
    const sync = wolkvoxSyncHandler(runtime({ metrics, logger }));
    harness.sandbox.failNext('tokenLimit');
    for (let i = 0; i < 7; i++) {
      const answer = await sync({ Records: [record(payment(`tx-q${i}`))] }, localContext('wolkvoxSync'));
      expect(answer.batchItemFailures).toHaveLength(1);
    }
    expect(named(emitted(), 'QuotaHolds')).toHaveLength(7);
    expect(named(emitted(), 'Retried').map((m) => m.dimensions)).toEqual([{ ...SERVICE, failure: 'quota' }]);
    expect(named(emitted(), 'WolkvoxCalls').map((m) => m.dimensions.outcome)).toEqual(['quota']);
    expect(lines.map((l) => l.message)).not.toContain('wolkvox unreachable: pausing the intake');
  });

  it('a transient failure counts Retried{transient}; applied on a later receive, Recovered', async () => {
    const { metrics, emitted } = capturingMetrics();
    const sync = wolkvoxSyncHandler(runtime({ metrics }));
    const message = payment('tx-r1');
    harness.sandbox.failNext('error500');
    expect(
      (await sync({ Records: [record(message)] }, localContext('wolkvoxSync'))).batchItemFailures,
    ).toHaveLength(1);
    expect(named(emitted(), 'Retried').map((m) => m.dimensions)).toEqual([
      { ...SERVICE, failure: 'transient' },
    ]);
    expect(named(emitted(), 'Recovered')).toEqual([]);
    expect(await sync({ Records: [record(message, 2)] }, localContext('wolkvoxSync'))).toEqual({
      batchItemFailures: [],
    });
    expect(named(emitted(), 'Applied')).toHaveLength(1);
    expect(named(emitted(), 'Recovered')).toEqual([
      { name: 'Recovered', unit: 'Count', value: 1, dimensions: SERVICE },
    ]);
  });

  it('a secret without the wolkvox token counts SecretKeyMissing (retried as auth)', async () => {
    const { metrics, emitted } = capturingMetrics();
    const { WOLKVOX_TOKEN: _, ...withoutToken } = LOCAL_SECRETS;
    const secrets = createEnvStore({ env: withoutToken, cwd: '/nonexistent' });
    const sync = wolkvoxSyncHandler(runtime({ metrics, secrets }));
    await sync({ Records: [record(payment('tx-s1'))] }, localContext('wolkvoxSync'));
    expect(named(emitted(), 'SecretKeyMissing')).toEqual([
      { name: 'SecretKeyMissing', unit: 'Count', value: 1, dimensions: SERVICE },
    ]);
    expect(named(emitted(), 'Retried').map((m) => m.dimensions.failure)).toEqual(['auth']);
  });

  it('a permanent failure counts Parked', async () => {
    const { metrics, emitted } = capturingMetrics();
    const sync = wolkvoxSyncHandler(runtime({ metrics }));
    await sync({ Records: [record(payment('tx-p1', 'NO-SUCH'))] }, localContext('wolkvoxSync'));
    expect(named(emitted(), 'Parked')).toHaveLength(1);
  });
});

describe('correlation id', () => {
  it('the ingress request id is on the ingress lines and, through the queue, on the worker lines for the event', async () => {
    const { logger, lines } = capturingLogger();
    const event = await stripeEvent();
    const requestId = event.requestContext.requestId;
    const answer = await paymentReceivedHandler(runtime({ logger }))(event, localContext('paymentReceived'));
    expect(answer.statusCode).toBe(200);
    const ingressLines = [...lines];
    expect(ingressLines.map((l) => [l.message, l.correlationId])).toContainEqual(['queued', requestId]);

    // The message as SQS would hand it to the worker (the FIFO harness), among one that predates the field.
    let now = 0;
    const queue = new FifoQueue(() => now, { visibilityMs: 60_000, maxReceiveCount: 5 });
    const [sent] = harness.sqs.sent;
    const body = sent?.MessageBody ?? '';
    expect(JSON.parse(body)).toMatchObject({ correlationId: requestId });
    queue.send(body, sent?.MessageGroupId ?? '', sent?.MessageDeduplicationId ?? '');
    queue.send(JSON.stringify(payment('tx-old', SEED_OBLIGATION_IDS.carlosPagare)), 'old', 'old');
    now = 1;
    lines.length = 0;
    const sync = wolkvoxSyncHandler(runtime({ logger }));
    expect(await sync({ Records: queue.receive(10) }, localContext('wolkvoxSync'))).toEqual({
      batchItemFailures: [],
    });
    const applied = lines.filter((l) => l.message === 'applied');
    expect(applied.map((l) => [l.attributes.provider, l.correlationId])).toEqual(
      expect.arrayContaining([
        ['stripe', requestId],
        ['wompi', undefined],
      ]),
    );
    // Nothing leaks to the shared logger: the next record starts without the last one's id.
    expect(logger.getCorrelationId()).toBeUndefined();
  });
});
