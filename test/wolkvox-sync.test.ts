import { setTimeout as sleep } from 'node:timers/promises';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '#lib/config.ts';
import { createMemoryLedger } from '#lib/ledger/memory.ts';
import type { Ledger } from '#lib/ledger/types.ts';
import { deduplicationId, messageGroupId, type QueuedMessage } from '#lib/dispatch/message.ts';
import type { ApplyPaymentCommand } from '#lib/events.ts';
import { localContext } from '#lib/local/runtime.ts';
import type { Logger } from '#lib/log.ts';
import { SEED_CASE_IDS, SEED_OBLIGATION_IDS, SEED_RECORD_IDS } from '#lib/sandbox/index.ts';
import { createRuntime, wolkvoxSyncHandler } from '#lib/wiring.ts';
import { DEFAULT_RETRY_POLICY } from '#lib/worker/retry.ts';
import { FifoQueue } from './support/fifo-harness.ts';
import { localSecretStore, useSandboxAndSqs } from './support/harness.ts';
import { capturingLogger } from './support/logs.ts';
import { sqsRecord } from './support/worker.ts';

const harness = useSandboxAndSqs();

const PARKED_QUEUE_URL = 'http://127.0.0.1/000000000000/parked.fifo';

function worker(
  options: { ledger?: Ledger; env?: Record<string, string>; logger?: Logger; sqs?: SQSClient } = {},
) {
  const config = loadConfig({
    WOLKVOX_SERVER: harness.sandbox.url,
    WOLKVOX_OPERATION: 'demo',
    DISPATCH: 'queue',
    QUEUE_URL: 'http://127.0.0.1/000000000000/commands.fifo',
    PARKED_QUEUE_URL,
    LEDGER_TABLE: 'in-memory-for-this-test',
    ...options.env,
  });
  const secrets = localSecretStore();
  return wolkvoxSyncHandler(
    createRuntime(config, {
      secrets,
      sqs: options.sqs ?? harness.sqs.client,
      logLevel: 'SILENT',
      logger: options.logger,
      ledger: options.ledger ?? createMemoryLedger(),
    }),
  );
}

function command(
  paymentId: string,
  wolkvoxId: string,
  obligation: string,
  minor: number,
): ApplyPaymentCommand {
  return {
    kind: 'applyPayment',
    identity: `wompi:${paymentId}`,
    target: { operation: 'demo', wolkvoxId, obligation },
    payment: {
      provider: 'wompi',
      paymentId,
      amount: { minor, currency: 'COP', exponent: 2 },
      paidAt: '2026-11-20T15:00:00.000Z',
    },
  };
}

const record = (body: QueuedMessage | string) => sqsRecord(body);

const message = (cmd: ApplyPaymentCommand): QueuedMessage => ({
  command: cmd,
  meta: {
    provider: 'wompi',
    eventId: `${cmd.payment.paymentId}:APPROVED:1`,
    receivedAt: '2026-11-20T15:00:01.000Z',
  },
});

const balance = (wolkvoxId: string, obligation: string) =>
  harness.sandbox
    .state()
    .records.find((r) => r.wolkvox_id === wolkvoxId)
    ?.obligations.find((o) => o.id === obligation)?.total_balance;

const { carlosRamirez: carlos, mariaLopez: maria } = SEED_RECORD_IDS;
const { carlosLibreInversion: carlosLoan, carlosPagare, mariaTarjeta } = SEED_OBLIGATION_IDS;

describe('wolkvoxSync', () => {
  it('applies every command of a batch and reports no failures', async () => {
    const event: SQSEvent = {
      Records: [
        record(message(command('tx-1', carlos, carlosLoan, 10_000_00))),
        record(message(command('tx-2', maria, mariaTarjeta, 5_000_00))),
      ],
    };
    expect(await worker()(event, localContext('wolkvoxSync'))).toEqual({ batchItemFailures: [] });
    expect(balance(carlos, carlosLoan)).toBe('1240000');
    expect(balance(maria, mariaTarjeta)).toBe('2370900');
  });

  it('a transient failure fails the rest of its group in the batch, while other groups go on', async () => {
    const a1 = record(message(command('tx-a1', carlos, carlosLoan, 10_000_00)));
    const a2 = record(message(command('tx-a2', carlos, carlosLoan, 20_000_00)));
    const b1 = record(message(command('tx-b1', maria, mariaTarjeta, 5_000_00)));
    // Groups run side by side, so the injected failure must reach a1's write, not b1's:
    // b1 is claimed (and so writes) only once a1's write has failed and its lease ended.
    const inner = createMemoryLedger();
    const a1LetGo = Promise.withResolvers<undefined>();
    const ledger: Ledger = {
      ...inner,
      async claim(entry, leaseMs, options) {
        if (entry.identity === 'wompi:tx-b1') await a1LetGo.promise;
        return inner.claim(entry, leaseMs, options);
      },
      async endLease(entry, token, leaseUntil) {
        await inner.endLease(entry, token, leaseUntil);
        if (entry.identity === 'wompi:tx-a1') a1LetGo.resolve(undefined);
      },
    };
    harness.sandbox.failNext('error500', 1, 'collections/updateObligation.php');
    const result = await worker({ ledger })({ Records: [a1, a2, b1] }, localContext('wolkvoxSync'));
    expect(result.batchItemFailures).toEqual([
      { itemIdentifier: a1.messageId },
      { itemIdentifier: a2.messageId },
    ]);
    expect(balance(carlos, carlosLoan)).toBe('1250000');
    expect(balance(maria, mariaTarjeta)).toBe('2370900');
  });

  it('logs where an unexpected failure came from (not for a wolkvox failure) and retries both', async () => {
    const { logger, lines: logged } = capturingLogger();
    const inner = createMemoryLedger();
    const ledger: Ledger = {
      ...inner,
      claim(entry, leaseMs, options) {
        if (entry.identity === 'wompi:tx-bug') throw new TypeError('a bug in the ledger');
        return inner.claim(entry, leaseMs, options);
      },
    };
    const bug = record(message(command('tx-bug', carlos, carlosLoan, 10_000_00)));
    const outage = record(message(command('tx-outage', maria, mariaTarjeta, 5_000_00)));
    harness.sandbox.failNext('error500');
    const result = await worker({ ledger, logger })({ Records: [outage] }, localContext('wolkvoxSync'));
    const again = await worker({ ledger, logger })({ Records: [bug] }, localContext('wolkvoxSync'));
    expect([...result.batchItemFailures, ...again.batchItemFailures]).toEqual([
      { itemIdentifier: outage.messageId },
      { itemIdentifier: bug.messageId },
    ]);
    const retries = logged.filter((entry) => entry.message === 'will retry').map((entry) => entry.attributes);
    expect(retries).toHaveLength(2);
    expect(retries[0]).not.toHaveProperty('at');
    // Its message could quote the input: the log names the error and says where it was thrown.
    expect(retries[1]).toMatchObject({ identity: 'wompi:tx-bug', reason: 'TypeError' });
    expect(JSON.stringify(retries[1])).not.toContain('a bug in the ledger');
    expect(retries[1]?.at).toEqual(expect.arrayContaining([expect.stringContaining('wolkvox-sync.test.ts')]));
  });

  it('works the groups of a batch side by side, each group in order, within its request slots', async () => {
    // A ledger with DynamoDB-like round trips, logging what each event goes through.
    const inner = createMemoryLedger();
    const log: string[] = [];
    let open = 0;
    let mostOpen = 0;
    const slow: Ledger = {
      ...inner,
      async claim(entry, leaseMs, options) {
        log.push(`claim ${entry.identity}`);
        mostOpen = Math.max(mostOpen, ++open);
        await sleep(15);
        return inner.claim(entry, leaseMs, options);
      },
      async newest(entry) {
        await sleep(15);
        return inner.newest(entry);
      },
      async prepare(entry, token, fingerprints) {
        await sleep(15);
        return inner.prepare(entry, token, fingerprints);
      },
      async settle(entry, token, settlement) {
        await sleep(15);
        await inner.settle(entry, token, settlement);
        open--;
        log.push(`settle ${entry.identity}`);
      },
      async release(entry, token) {
        open--;
        return inner.release(entry, token);
      },
    };
    harness.sandbox.setFaults({ latencyMs: 20 });
    const a1 = record(message(command('tx-a1', carlos, carlosLoan, 10_000_00)));
    const a2 = record(message(command('tx-a2', carlos, carlosLoan, 20_000_00)));
    const b1 = record(message(command('tx-b1', maria, mariaTarjeta, 5_000_00)));
    const c1 = record(message(command('tx-c1', carlos, carlosPagare, 1_000_00)));
    // One by one (no merged payments), so each claim is seen on its own.
    const container = worker({
      ledger: slow,
      env: { WOLKVOX_MAX_IN_FLIGHT: '1', MERGE_OBLIGATION_PAYMENTS: 'false' },
    });
    const result = await container({ Records: [a1, a2, b1, c1] }, localContext('wolkvoxSync'));

    expect(result).toEqual({ batchItemFailures: [] });
    expect(balance(carlos, carlosLoan)).toBe('1220000');
    expect(mostOpen).toBe(3);
    expect(log.indexOf('settle wompi:tx-a1')).toBeLessThan(log.indexOf('claim wompi:tx-a2'));
    expect(harness.sandbox.stats().maxInFlightOverall).toBe(1);
    expect(harness.sandbox.stats().rejectedSimultaneous).toBe(0);
  });

  it('quota and auth failures are retried later, not parked', async () => {
    const r = record(message(command('tx-q', carlos, carlosPagare, 1_00)));
    harness.sandbox.failNext('tokenLimit');
    expect((await worker()({ Records: [r] }, localContext('wolkvoxSync'))).batchItemFailures).toHaveLength(1);
    harness.sandbox.setTokens(['rotated-elsewhere']);
    expect((await worker()({ Records: [r] }, localContext('wolkvoxSync'))).batchItemFailures).toHaveLength(1);
    expect(harness.sqs.sent).toEqual([]);
  });

  it('parks a permanent failure with its reason and acknowledges it; the ledger says so too', async () => {
    const r = record(message(command('tx-p', carlos, 'NO-SUCH', 1_00)));
    const ledger = createMemoryLedger();
    expect(await worker({ ledger })({ Records: [r] }, localContext('wolkvoxSync'))).toEqual({
      batchItemFailures: [],
    });
    expect(await ledger.read('wompi:tx-p')).toMatchObject({
      status: 'parked',
      outcome: 'parked',
      outcomeAt: expect.any(String),
      reason: expect.stringContaining('NO-SUCH'),
    });
    expect(harness.sqs.sent).toHaveLength(1);
    const parked = JSON.parse(harness.sqs.sent[0]?.MessageBody ?? '{}');
    expect(harness.sqs.sent[0]?.QueueUrl).toBe(PARKED_QUEUE_URL);
    expect(parked).toMatchObject({
      provider: 'wompi',
      reason: expect.stringContaining('NO-SUCH'),
      command: { identity: 'wompi:tx-p' },
    });
  });

  it('applies a case update from the queue, its case being its own FIFO group', async () => {
    const update: QueuedMessage = {
      command: {
        kind: 'updateCase',
        identity: 'zendesk:4821:2026-11-22T16:05:00.000Z',
        provider: 'zendesk',
        resolvedAt: '2026-11-22T16:05:00.000Z',
        target: { operation: 'demo', wolkvoxId: SEED_CASE_IDS.acuerdoPago },
        update: { status: 'Resuelto', solution: 'Acuerdo firmado', priority: 'Alta' },
        attachments: [],
      },
      meta: { provider: 'zendesk', eventId: 'inv-1', receivedAt: '2026-11-22T16:05:01.000Z' },
    };
    expect(messageGroupId(update.command)).toBe(`demo%3Acase%3A${SEED_CASE_IDS.acuerdoPago}`);
    expect(await worker()({ Records: [record(update)] }, localContext('wolkvoxSync'))).toEqual({
      batchItemFailures: [],
    });
    expect(
      harness.sandbox.state().cases.find((c) => c.wolkvox_id === SEED_CASE_IDS.acuerdoPago),
    ).toMatchObject({
      status: 'Resuelto',
      solution: 'Acuerdo firmado',
      priority: 'Alta',
    });
  });

  it('logs a refused attachment download (WARN, reason and file name) and still closes the case', async () => {
    const { logger, lines } = capturingLogger();
    const update: QueuedMessage = {
      command: {
        kind: 'updateCase',
        identity: 'zendesk:4835:2026-11-22T16:05:00.000Z',
        provider: 'zendesk',
        resolvedAt: '2026-11-22T16:05:00.000Z',
        target: { operation: 'demo', wolkvoxId: SEED_CASE_IDS.cobroDoble },
        update: { status: 'Resuelto', solution: 'Reverso aplicado' },
        attachments: [{ filename: 'extracto.pdf', url: 'https://files.attacker.example/extracto.pdf' }],
      },
      meta: { provider: 'zendesk', eventId: 'inv-2', receivedAt: '2026-11-22T16:05:01.000Z' },
    };
    const result = await worker({ logger })({ Records: [record(update)] }, localContext('wolkvoxSync'));
    expect(result).toEqual({ batchItemFailures: [] });
    expect(harness.sandbox.state().cases.find((c) => c.wolkvox_id === SEED_CASE_IDS.cobroDoble)?.status).toBe(
      'Resuelto',
    );
    const refused = lines.filter((line) => line.message === 'attachment refused');
    expect(refused).toEqual([
      {
        level: 'warn',
        message: 'attachment refused',
        attributes: {
          identity: 'zendesk:4835:2026-11-22T16:05:00.000Z',
          file: 'extracto.pdf',
          reason: expect.stringContaining('files.attacker.example'),
        },
      },
    ]);
  });

  it('parks a message that is not a command instead of retrying it forever', async () => {
    const result = await worker()({ Records: [record('{"hello":')] }, localContext('wolkvoxSync'));
    expect(result).toEqual({ batchItemFailures: [] });
    expect(harness.sqs.sent[0]?.MessageAttributes?.reason?.StringValue).toMatch(/unreadable/);
  });

  it('a failed group comes back whole after the first backoff, not after the visibility timeout', async () => {
    // SQS on a virtual clock: only the worker's ChangeMessageVisibilityBatch can bring a message back early.
    let clock = 0;
    const queue = new FifoQueue(() => clock, { visibilityMs: 360_000, maxReceiveCount: 20 });
    const first = message(command('tx-head', maria, mariaTarjeta, 1_000_00));
    const second = message(command('tx-next', maria, mariaTarjeta, 2_000_00));
    for (const body of [first, second]) {
      queue.send(JSON.stringify(body), messageGroupId(body.command), deduplicationId(body.command.identity));
    }
    // The head's write gets an answer (HTTP 500): its lease ends with the attempt, so the retry recovers at once.
    harness.sandbox.failNext('error500', 1, 'collections/updateObligation.php');
    const ledger = createMemoryLedger();
    const received = queue.receive(10);
    expect(received).toHaveLength(2);
    const result = await worker({ sqs: queue.client(), ledger })(
      { Records: received },
      localContext('wolkvoxSync'),
    );
    // The head failed; Powertools skipped the second without trying it.
    expect(result.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(received.map((r) => r.messageId));

    // 10 s doubling with equal jitter: the first retry comes between 5 and 10 s, both messages together.
    const { baseSeconds } = DEFAULT_RETRY_POLICY;
    clock = (baseSeconds / 2) * 1000 - 1;
    expect(queue.receive(10), 'not before half the first backoff').toEqual([]);
    clock = baseSeconds * 1000 + 1;
    const retried = queue.receive(10);
    expect(retried.map((r) => r.body)).toEqual(received.map((r) => r.body));
    expect(retried.map((r) => r.attributes.ApproximateReceiveCount)).toEqual(['2', '2']);

    const again = await worker({ sqs: queue.client(), ledger })(
      { Records: retried },
      localContext('wolkvoxSync'),
    );
    expect(again.batchItemFailures).toEqual([]);
    expect(await ledger.read(first.command.identity)).toMatchObject({
      status: 'applied',
      outcome: 'applied',
      attempts: 2,
    });
    expect(balance(maria, mariaTarjeta)).toBe('2372900');
  });
});
