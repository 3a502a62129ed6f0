import { readFile } from 'node:fs/promises';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { loadConfig } from '#lib/config.ts';
import { LOCAL_SECRETS } from '#lib/local/defaults.ts';
import { localContext } from '#lib/local/runtime.ts';
import { apiGatewayEvent, signSample } from '#lib/local/sign.ts';
import { SEED_OBLIGATION_IDS, SEED_RECORD_IDS } from '#lib/sandbox/index.ts';
import {
  createIngressRuntime,
  createRuntime,
  paymentReceivedHandler,
  type RuntimeOverrides,
} from '#lib/wiring.ts';
import type { DirectDispatch } from '#lib/dispatch/direct.ts';
import { localSecretStore, useSandboxAndSqs } from './support/harness.ts';

const harness = useSandboxAndSqs();

const secrets = () => localSecretStore();

function runtime(env: Record<string, string> = {}, overrides: RuntimeOverrides = {}) {
  const config = loadConfig({
    ...harness.providerApis.env,
    WOLKVOX_SERVER: harness.sandbox.url,
    WOLKVOX_OPERATION: 'demo',
    DISPATCH: 'direct',
    ...env,
  });
  return createRuntime(config, { secrets: secrets(), logLevel: 'SILENT', ...overrides });
}

async function invoke(event: APIGatewayProxyEventV2, env: Record<string, string> = {}) {
  const rt = runtime(env);
  const answer = await paymentReceivedHandler(rt)(event, localContext('paymentReceived'));
  return { answer, body: JSON.parse(answer.body ?? '{}') as Record<string, unknown>, runtime: rt };
}

const sample = (file: string) => readFile(`events/${file}`, 'utf8');

async function signed(
  provider: 'stripe' | 'wompi',
  body: string,
  options: { now?: Date; base64?: boolean } = {},
) {
  const request = signSample(provider, body, LOCAL_SECRETS, options.now);
  return apiGatewayEvent({
    family: 'payments',
    provider,
    body: request.body,
    headers: request.headers,
    base64: options.base64,
  });
}

const carlos = () =>
  harness.sandbox
    .state()
    .records.find((r) => r.wolkvox_id === SEED_RECORD_IDS.carlosRamirez)
    ?.obligations.find((o) => o.id === SEED_OBLIGATION_IDS.carlosLibreInversion);

describe('POST /webhooks/payments/{provider} — direct dispatch', () => {
  it('applies a signed Stripe payment to the obligation and answers 200', async () => {
    const { answer, body } = await invoke(
      await signed('stripe', await sample('stripe/payment_intent.succeeded.json')),
    );
    expect(answer.statusCode).toBe(200);
    expect(body).toEqual({ status: 'applied', identity: expect.stringMatching(/^stripe:pi_/) });
    expect(carlos()).toMatchObject({ total_balance: '1100000', last_pay: '150000' });
    expect(harness.sandbox.requests().map((r) => r.endpoint)).toEqual([
      'collections/queryObligation.php',
      'collections/updateObligation.php',
    ]);
  });

  it('reads a base64-encoded body (how HTTP APIs deliver non-text content types)', async () => {
    const event = await signed('stripe', await sample('stripe/payment_intent.succeeded.json'), {
      base64: true,
    });
    expect(event.isBase64Encoded).toBe(true);
    expect((await invoke(event)).answer.statusCode).toBe(200);
  });

  it('answers Wompi exactly 200, also when it parks', async () => {
    const approved = await invoke(
      await signed('wompi', await sample('wompi/transaction.updated.approved.json')),
    );
    expect(approved.answer.statusCode).toBe(200);
    expect(approved.body.status).toBe('applied');
    const parked = await invoke(
      await signed('wompi', await sample('wompi/transaction.updated.unknown-reference.json')),
    );
    expect(parked.answer.statusCode).toBe(200);
    expect(parked.body.status).toBe('parked');
  });

  it('ignores irrelevant events with 200 and a reason, without calling wolkvox', async () => {
    const { answer, body } = await invoke(
      await signed('stripe', await sample('stripe/checkout.session.completed.unpaid.json')),
    );
    expect([answer.statusCode, body]).toEqual([
      200,
      { status: 'ignored', reason: 'checkout session payment_status is "unpaid"' },
    ]);
    expect(harness.sandbox.requests()).toEqual([]);
  });

  it('parks a payment without a wolkvox target with 202 and its reason, where an operator sees it', async () => {
    const { answer, body, runtime } = await invoke(
      await signed('stripe', await sample('stripe/payment_intent.succeeded.no-metadata.json')),
    );
    expect(answer.statusCode).toBe(202);
    expect(body).toEqual({
      status: 'parked',
      reason: 'metadata wolkvox_id and wolkvox_obligation are not both set',
    });
    const parked = (runtime.dispatch as DirectDispatch).parked();
    expect(parked).toEqual([
      expect.objectContaining({
        provider: 'stripe',
        reason: body.reason,
        summary: expect.objectContaining({ amount: expect.any(String), currency: 'COP' }),
      }),
    ]);
    expect(harness.sandbox.requests()).toEqual([]);
  });

  it.each([
    [
      'forged (wrong secret)',
      async () => {
        const request = signSample('stripe', await sample('stripe/payment_intent.succeeded.json'), {
          ...LOCAL_SECRETS,
          STRIPE_WEBHOOK_SECRET: 'whsec_attacker',
        });
        return apiGatewayEvent({
          family: 'payments',
          provider: 'stripe',
          body: request.body,
          headers: request.headers,
        });
      },
    ],
    [
      'tampered after signing',
      async () => {
        const event = await signed('stripe', await sample('stripe/payment_intent.succeeded.json'));
        return { ...event, body: (event.body ?? '').replace('15000000', '99900000') };
      },
    ],
    [
      'stale (10 minutes old)',
      async () =>
        signed('stripe', await sample('stripe/payment_intent.succeeded.json'), {
          now: new Date(Date.now() - 600_000),
        }),
    ],
    [
      'missing its signature',
      async () => {
        const event = await signed('stripe', await sample('stripe/payment_intent.succeeded.json'));
        const { 'stripe-signature': _, ...headers } = event.headers;
        return { ...event, headers };
      },
    ],
    [
      'a Wompi event with a forged checksum',
      async () => {
        const event = await signed('wompi', await sample('wompi/transaction.updated.approved.json'));
        return {
          ...event,
          body: (event.body ?? '').replace(/"checksum":"\w+"/, `"checksum":"${'A'.repeat(64)}"`),
        };
      },
    ],
  ])('answers 401 to a request %s, says nothing more, and calls no one', async (_name, make) => {
    const { answer, body, runtime } = await invoke(await make());
    expect([answer.statusCode, body]).toEqual([401, { error: 'invalid signature' }]);
    expect(harness.sandbox.requests()).toEqual([]);
    expect((runtime.dispatch as DirectDispatch).parked()).toEqual([]);
  });

  it('answers 400 naming the failing paths of a signed but malformed body', async () => {
    const bad = (await sample('stripe/payment_intent.succeeded.json')).replace(
      '"amount_received": 15000000',
      '"amount_received": "15000000"',
    );
    const { answer, body } = await invoke(await signed('stripe', bad));
    expect(answer.statusCode).toBe(400);
    expect(body).toEqual({
      error: 'malformed body',
      problems: [expect.stringMatching(/^data\.object\.amount_received: /)],
    });
    const notJson = await invoke(await signed('stripe', '{"id": "evt_1", '));
    expect(notJson.answer.statusCode).toBe(400);
    expect(harness.sandbox.requests()).toEqual([]);
  });

  it('answers 404 to an unknown provider and 413 to a body over 256 KiB', async () => {
    const event = await signed('stripe', await sample('stripe/payment_intent.succeeded.json'));
    const unknown = await invoke({ ...event, pathParameters: { provider: 'paypal-ish' } });
    expect(unknown.answer.statusCode).toBe(404);
    const huge = await invoke({ ...event, body: `{"pad":"${'x'.repeat(256 * 1024)}"}` });
    expect([huge.answer.statusCode, huge.body]).toEqual([413, { error: 'body over 256 KiB' }]);
    expect(harness.sandbox.requests()).toEqual([]);
  });

  it('answers 503 when wolkvox fails transiently, so the provider retries, and changes nothing', async () => {
    harness.sandbox.failNext('error500');
    const { answer } = await invoke(
      await signed('stripe', await sample('stripe/payment_intent.succeeded.json')),
    );
    expect(answer.statusCode).toBe(503);
    expect(carlos()).toMatchObject({ total_balance: '1250000' });
  });

  it('parks with 202 when wolkvox refuses for good (an obligation it does not have)', async () => {
    const missing = (await sample('stripe/payment_intent.succeeded.json')).replace(
      '6669999 API',
      'NO-SUCH-OBLIGATION',
    );
    const { answer, body } = await invoke(await signed('stripe', missing));
    expect(answer.statusCode).toBe(202);
    expect(body).toEqual({ status: 'parked', reason: expect.stringContaining('NO-SUCH-OBLIGATION') });
  });

  it('logs decisions without secrets, signatures or bodies', async () => {
    const lines: string[] = [];
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, 'write').mockImplementation((chunk) => {
        lines.push(String(chunk));
        return true;
      });
    }
    const rt = runtime({}, { logLevel: 'DEBUG' });
    const handler = paymentReceivedHandler(rt);
    const good = await signed('stripe', await sample('stripe/payment_intent.succeeded.json'));
    const forged = { ...good, body: (good.body ?? '').replace('15000000', '1') };
    await handler(good, localContext('paymentReceived'));
    await handler(forged, localContext('paymentReceived'));
    vi.restoreAllMocks();
    const output = lines.join('');
    expect(output).toContain('applied');
    expect(output).toContain('rejected: signature');
    // A local run: the refusal says how to sign again (a sample signed minutes ago has expired).
    expect(output).toContain('npm run sign -- stripe <sample.json>');
    for (const secret of Object.values(LOCAL_SECRETS)) expect(output).not.toContain(secret);
    expect(output).not.toContain(good.headers['stripe-signature'] ?? 'never');
    expect(output).not.toContain('Carlos');
  });
});

describe('queue dispatch', () => {
  const queueEnv = () => ({
    DISPATCH: 'queue',
    QUEUE_URL: `${harness.sqs.endpoint}/000000000000/wolkvox-commands.fifo`,
    PARKED_QUEUE_URL: `${harness.sqs.endpoint}/000000000000/wolkvox-parked.fifo`,
    LEDGER_TABLE: 'ingress-never-touches-it',
  });

  async function invokeQueued(event: APIGatewayProxyEventV2) {
    const rt = runtime(queueEnv(), { sqs: harness.sqs.client });
    const answer = await paymentReceivedHandler(rt)(event, localContext('paymentReceived'));
    return { answer, body: JSON.parse(answer.body ?? '{}') as Record<string, unknown> };
  }

  it('enqueues one command per record group, deduplicated by the payment identity', async () => {
    const { answer, body } = await invokeQueued(
      await signed('stripe', await sample('stripe/payment_intent.succeeded.json')),
    );
    expect([answer.statusCode, body.status]).toEqual([200, 'queued']);
    expect(harness.sandbox.requests()).toEqual([]);
    const [message] = harness.sqs.sent;
    expect(message?.QueueUrl).toBe(queueEnv().QUEUE_URL);
    expect(message?.MessageGroupId).toBe(`demo%3A${SEED_RECORD_IDS.carlosRamirez}%3A6669999%20API`);
    expect(message?.MessageDeduplicationId).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.parse(message?.MessageBody ?? '{}')).toMatchObject({
      command: { kind: 'applyPayment', identity: body.identity, target: { obligation: '6669999 API' } },
      meta: { provider: 'stripe', eventId: expect.stringMatching(/^evt_/) },
    });
  });

  it('sends parked events to the parked queue with their reason', async () => {
    const { answer } = await invokeQueued(
      await signed('stripe', await sample('stripe/payment_intent.succeeded.usd.json')),
    );
    expect(answer.statusCode).toBe(202);
    expect(harness.sqs.sent).toEqual([
      expect.objectContaining({
        QueueUrl: queueEnv().PARKED_QUEUE_URL,
        MessageAttributes: {
          disposition: { DataType: 'String', StringValue: 'parked' },
          reason: {
            DataType: 'String',
            StringValue: "payment currency USD does not match the obligations' COP",
          },
        },
      }),
    ]);
  });

  it('starts loading the queue client while the secrets are fetched; a forged event still sends nothing', async () => {
    const order: string[] = [];
    const source = secrets();
    const recorded = {
      ...source,
      kind: source.kind,
      get: () => (order.push('secrets'), source.get()),
      refresh: () => source.refresh(),
    };
    const rt = runtime(queueEnv(), { sqs: harness.sqs.client, secrets: recorded });
    const prepare = rt.dispatch.prepare?.bind(rt.dispatch);
    rt.dispatch.prepare = () => (order.push('prepare'), prepare?.());
    const good = await signed('stripe', await sample('stripe/payment_intent.succeeded.json'));
    const forged = { ...good, body: (good.body ?? '').replace('15000000', '1') };

    const answer = await paymentReceivedHandler(rt)(forged, localContext('paymentReceived'));
    expect(answer.statusCode).toBe(401);
    expect(order).toEqual(['prepare', 'secrets']);
    expect(harness.sqs.sent).toEqual([]);
  });

  it('answers 503 with Retry-After, not 500, when a send hangs until the request runs out of time', async () => {
    // A 500 would be lost with Zendesk, which retries only a 503 with Retry-After under 60 s.
    const hung = { send: () => new Promise(() => undefined) } as unknown as SQSClient;
    const rt = runtime(queueEnv(), { sqs: hung });
    const event = await signed('stripe', await sample('stripe/payment_intent.succeeded.json'));
    const started = Date.now();
    const answer = await paymentReceivedHandler(rt)(event, localContext('paymentReceived', 800));
    expect(Date.now() - started).toBeLessThan(800);
    expect(answer.statusCode).toBe(503);
    expect(answer.headers).toMatchObject({ 'retry-after': '30' });
    expect(JSON.parse(answer.body ?? '{}')).toEqual({ error: 'temporarily unavailable', code: 'deadline' });
  });

  it('answers 503 when the queue is unavailable: nothing was taken in', async () => {
    harness.sqs.failNext();
    const { answer } = await invokeQueued(
      await signed('stripe', await sample('stripe/payment_intent.succeeded.json')),
    );
    expect(answer.statusCode).toBe(503);
  });
});

describe("the Lambda entry point's runtime (createIngressRuntime: no worker side until needed)", () => {
  function ingressRuntime(env: Record<string, string> = {}) {
    const config = loadConfig({
      ...harness.providerApis.env,
      WOLKVOX_SERVER: harness.sandbox.url,
      WOLKVOX_OPERATION: 'demo',
      DISPATCH: 'direct',
      ...env,
    });
    return createIngressRuntime(config, { secrets: secrets(), logLevel: 'SILENT', sqs: harness.sqs.client });
  }

  it('applies directly with DISPATCH=direct, loading the wolkvox client and ledger on first use', async () => {
    const rt = ingressRuntime();
    const dispatch = rt.dispatch as DirectDispatch;
    expect(dispatch.mode).toBe('direct');
    expect(dispatch.parked()).toEqual([]);
    const handler = paymentReceivedHandler(rt);
    const event = await signed('stripe', await sample('stripe/payment_intent.succeeded.json'));
    const answer = await handler(event, localContext('paymentReceived'));
    expect([answer.statusCode, JSON.parse(answer.body ?? '{}')]).toEqual([
      200,
      { status: 'applied', identity: expect.stringMatching(/^stripe:pi_/) },
    ]);
    expect(carlos()).toMatchObject({ total_balance: '1100000', last_pay: '150000' });
    // The same ledger serves the next delivery of that payment: skipped, not applied twice.
    const again = await handler(event, localContext('paymentReceived'));
    expect(JSON.parse(again.body ?? '{}')).toMatchObject({ status: 'skipped' });
    expect(carlos()).toMatchObject({ total_balance: '1100000' });

    const unknown = await signed('stripe', await sample('stripe/payment_intent.succeeded.no-metadata.json'));
    expect((await handler(unknown, localContext('paymentReceived'))).statusCode).toBe(202);
    expect(dispatch.parked()).toEqual([expect.objectContaining({ provider: 'stripe' })]);
  });

  it('enqueues with DISPATCH=queue', async () => {
    const rt = ingressRuntime({
      DISPATCH: 'queue',
      QUEUE_URL: `${harness.sqs.endpoint}/000000000000/wolkvox-commands.fifo`,
      PARKED_QUEUE_URL: `${harness.sqs.endpoint}/000000000000/wolkvox-parked.fifo`,
      LEDGER_TABLE: 'ingress-never-touches-it',
    });
    expect(rt.dispatch.mode).toBe('queue');
    const event = await signed('stripe', await sample('stripe/payment_intent.succeeded.json'));
    const answer = await paymentReceivedHandler(rt)(event, localContext('paymentReceived'));
    expect(JSON.parse(answer.body ?? '{}')).toMatchObject({ status: 'queued' });
    expect(harness.sqs.sent).toHaveLength(1);
    expect(harness.sandbox.requests()).toEqual([]);
  });
});

describe('paymentReceived: a batch (Adyen sends several notifications in one request)', () => {
  const item = (pspReference: string, overrides: Record<string, unknown> = {}) => ({
    NotificationRequestItem: {
      additionalData: {},
      amount: { currency: 'COP', value: 5_000_000 },
      eventCode: 'AUTHORISATION',
      merchantAccountCode: 'AcmeCobranzasCOP',
      merchantReference: `${SEED_RECORD_IDS.carlosRamirez}:${SEED_OBLIGATION_IDS.carlosLibreInversion}`,
      pspReference,
      success: 'true',
      ...overrides,
    },
  });
  const batch = (...items: unknown[]) => {
    const request = signSample(
      'adyen',
      JSON.stringify({ live: 'false', notificationItems: items }),
      LOCAL_SECRETS,
    );
    return apiGatewayEvent({
      family: 'payments',
      provider: 'adyen',
      body: request.body,
      headers: request.headers,
    });
  };

  it('takes each item in on its own and answers [accepted], the outcome in a header', async () => {
    const rt = runtime();
    const event = batch(
      item('PSP-A'),
      item('PSP-B', { eventCode: 'REFUND' }),
      item('PSP-C', { merchantReference: 'x' }),
    );
    const answer = await paymentReceivedHandler(rt)(event, localContext('paymentReceived'));
    expect([answer.statusCode, answer.body]).toEqual([200, '[accepted]']);
    expect(JSON.parse(String(answer.headers?.['x-webhook-outcome']))).toMatchObject({
      status: 'accepted',
      items: [{ status: 'applied', identity: 'adyen:PSP-A' }, { status: 'ignored' }, { status: 'parked' }],
    });
    expect(carlos()?.total_balance).toBe('1200000');
    expect((rt.dispatch as DirectDispatch).parked()).toHaveLength(1);
  });

  it('refuses the whole request when one item does not verify: nothing is applied', async () => {
    const event = batch(item('PSP-D'), item('PSP-E'));
    const body = JSON.parse(event.body ?? '{}') as {
      notificationItems: { NotificationRequestItem: { amount: { value: number } } }[];
    };
    const second = body.notificationItems[1];
    if (second) second.NotificationRequestItem.amount.value = 99_900_000;
    const { answer } = await invoke({ ...event, body: JSON.stringify(body) });
    expect(answer.statusCode).toBe(401);
    expect(carlos()?.total_balance).toBe('1250000');
    expect(harness.sandbox.requests()).toEqual([]);
  });
});
