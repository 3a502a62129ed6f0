/**
 * The attacks that got through before the trust work, rerun through the real handlers (direct
 * dispatch, the wolkvox sandbox, the fake of Wompi's API): each must now change nothing in wolkvox
 * or answer within budget. The budget is a correctness bound, not a speed target (those live in
 * `npm run bench`): providers stop waiting after 5 s (HubSpot) to 10 s (Adyen, and our Lambda
 * timeout), network included, so 3 s is ours; the quadratic code took 6.4 s and 13.6 s, the linear
 * one milliseconds.
 */
import { readFile } from 'node:fs/promises';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '#lib/config.ts';
import { localAttachmentDispatcher } from '#lib/local/attachments.ts';
import { LOCAL_SECRETS, LOCAL_SETTINGS } from '#lib/local/defaults.ts';
import { localContext } from '#lib/local/runtime.ts';
import { apiGatewayEvent, signSample } from '#lib/local/sign.ts';
import { SEED_CASE_IDS, SEED_OBLIGATION_IDS, SEED_RECORD_IDS } from '#lib/sandbox/index.ts';
import { createRuntime, paymentReceivedHandler, ticketResolvedHandler } from '#lib/wiring.ts';
import { localSecretStore, useSandboxAndSqs } from './support/harness.ts';
import { capturingLogger } from './support/logs.ts';

const harness = useSandboxAndSqs();
const BUDGET_MS = 3_000;

function handlers() {
  const config = loadConfig({
    ...LOCAL_SETTINGS,
    ...harness.providerApis.env,
    WOLKVOX_SERVER: harness.sandbox.url,
    WOLKVOX_OPERATION: 'demo',
    DISPATCH: 'direct',
  });
  const logs = capturingLogger();
  const runtime = createRuntime(config, {
    secrets: localSecretStore(),
    logger: logs.logger,
    attachmentDispatcher: localAttachmentDispatcher(),
  });
  return { payments: paymentReceivedHandler(runtime), tickets: ticketResolvedHandler(runtime), logs };
}

async function deliver(event: APIGatewayProxyEventV2 | unknown) {
  const { payments, tickets, logs } = handlers();
  const family = (event as APIGatewayProxyEventV2 | null)?.rawPath?.includes('/tickets/')
    ? tickets
    : payments;
  const answer = await family(event as APIGatewayProxyEventV2, localContext('attack'));
  return { answer, body: JSON.parse(answer.body ?? '{}') as Record<string, unknown>, logs };
}

function signed(provider: string, body: string): APIGatewayProxyEventV2 {
  const request = signSample(provider, body, LOCAL_SECRETS);
  return apiGatewayEvent({ family: request.family, provider, body: request.body, headers: request.headers });
}

const sample = (file: string) => readFile(`events/${file}`, 'utf8');
const writes = () => harness.sandbox.requests().filter((r) => r.endpoint?.includes('update'));

describe('money', () => {
  it('a Stripe invoice.paid of 0 (a 100% coupon) is ignored: last_pay and its date stay', async () => {
    const invoice = JSON.parse(await sample('stripe/invoice.paid.json')) as {
      data: { object: { amount_paid: number } };
    };
    invoice.data.object.amount_paid = 0;
    const { answer, body } = await deliver(signed('stripe', JSON.stringify(invoice)));
    expect([answer.statusCode, body]).toEqual([
      200,
      { status: 'ignored', reason: 'a payment of zero changes no balance' },
    ]);
    expect(harness.sandbox.requests()).toEqual([]);
  });
});

describe('prototype names in webhook values', () => {
  it.each(['constructor', '__proto__'])(
    'a Zendesk assignee_email of %j leaves the responsible unchanged',
    async (name) => {
      const ticket = JSON.parse(await sample('zendesk/ticket.solved.no-attachments.json')) as Record<
        string,
        unknown
      >;
      ticket.assignee_email = name;
      const before = harness.sandbox.state().cases.find((c) => c.wolkvox_id === SEED_CASE_IDS.cobroDoble);
      const { body } = await deliver(signed('zendesk', JSON.stringify(ticket)));
      expect(body.status).toBe('applied');
      const [update] = writes();
      expect(update?.form?.fields).not.toHaveProperty('responsible');
      const after = harness.sandbox.state().cases.find((c) => c.wolkvox_id === SEED_CASE_IDS.cobroDoble);
      expect(after?.responsible).toBe(before?.responsible);
      expect(JSON.stringify(after)).not.toContain('native code');
    },
  );
});

describe('hostile text in a signed Jira body (under the 256 KiB cap)', () => {
  async function withClosingNote(note: unknown) {
    const issue = JSON.parse(await sample('jira/issue_updated.done.comment-only.json')) as Record<
      string,
      unknown
    >;
    issue.comment = { body: note };
    return signed('jira', JSON.stringify(issue));
  }
  const closed = () => harness.sandbox.state().cases.find((c) => c.wolkvox_id === SEED_CASE_IDS.acuerdoPago);

  it('"x" + 128,000 spaces + "y" is answered and applied', { timeout: BUDGET_MS }, async () => {
    const { answer } = await deliver(await withClosingNote(`x${' '.repeat(128_000)}y`));
    expect(answer.statusCode).toBe(200);
    expect(closed()?.solution).toMatch(/^x +y$/);
  });

  it('"{{" × 100,000 is answered and kept as written', { timeout: BUDGET_MS }, async () => {
    const { answer } = await deliver(await withClosingNote('{{'.repeat(100_000)));
    expect(answer.statusCode).toBe(200);
    expect(closed()?.solution).toBe('{{'.repeat(100_000));
  });

  it(
    'a comment in Atlassian document format nested 4,000 levels deep is answered, not a 500',
    { timeout: BUDGET_MS },
    async () => {
      // Written out as text: JSON.stringify itself recurses once per level.
      const paragraph = '{"type":"paragraph","content":[{"type":"text","text":"Acuerdo aprobado"}]}';
      const nested = `${'{"type":"blockquote","content":['.repeat(4_000)}${paragraph}${']}'.repeat(4_000)}`;
      const issue = JSON.parse(await sample('jira/issue_updated.done.comment-only.json')) as Record<
        string,
        unknown
      >;
      issue.comment = { body: 'PLACEHOLDER' };
      const body = JSON.stringify(issue).replace(
        '"PLACEHOLDER"',
        `{"type":"doc","version":1,"content":[${nested}]}`,
      );
      const { answer } = await deliver(signed('jira', body));
      expect(answer.statusCode).toBe(200);
      expect(closed()?.solution).toBe('Acuerdo aprobado');
    },
  );
});

describe('answers and logs', () => {
  it('a parked answer quotes at most 64 escaped characters of a 3,000-character hostile obligation', async () => {
    const hostile = `NOPE\n"forged log line"\u202e${'A'.repeat(3_000)}`;
    const pi = JSON.parse(await sample('stripe/payment_intent.succeeded.json')) as {
      data: { object: { metadata: Record<string, string> } };
    };
    pi.data.object.metadata.wolkvox_obligation = hostile;
    const { answer, body, logs } = await deliver(signed('stripe', JSON.stringify(pi)));
    expect(answer.statusCode).toBe(202);
    expect(Buffer.byteLength(answer.body ?? '')).toBeLessThanOrEqual(1024);
    const reason = String(body.reason);
    expect(reason).toContain('obligation "NOPE\\n\\"forged log line\\"\\u{202e}AAAA');
    expect(reason).not.toContain('A'.repeat(65));
    expect(reason).not.toMatch(/[\n\u202e]/);
    expect(logs.text()).not.toContain('A'.repeat(65));
  });

  it('a refused attachment download is logged (WARN) with the reason and the file name', async () => {
    const ticket = (await sample('zendesk/ticket.solved.json')).replace(
      /https:\/\/acme\.zendesk\.com/g,
      'https://files.attacker.example',
    );
    const { body, logs } = await deliver(signed('zendesk', ticket));
    expect(body.status).toBe('applied');
    const refused = logs.lines.filter((line) => line.message === 'attachment refused');
    expect(refused.map((line) => [line.level, line.attributes.file])).toEqual([
      ['warn', 'paz-y-salvo.pdf'],
      ['warn', 'soporte-pago.png'],
    ]);
    expect(String(refused[0]?.attributes.reason)).toMatch(/files\.attacker\.example/);
  });

  it.each<[string, unknown]>([
    ['a null event', null],
    ['a string event', 'POST /webhooks/payments/stripe'],
    [
      'a header given as an array',
      { rawPath: '/webhooks/payments/stripe', headers: { 'stripe-signature': ['a', 'b'] }, body: '{}' },
    ],
    [
      'a body that is not a string',
      { rawPath: '/webhooks/payments/stripe', headers: {}, body: { id: 'evt' } },
    ],
    [
      'isBase64Encoded that is not a boolean',
      { rawPath: '/webhooks/payments/stripe', body: 'e30=', isBase64Encoded: 'yes' },
    ],
    [
      'headers that are a list',
      { rawPath: '/webhooks/payments/stripe', headers: ['stripe-signature'], body: '{}' },
    ],
  ])(
    'an API Gateway event of an unexpected shape (%s) is a 400, never a thrown error',
    async (_name, event) => {
      const { answer, body } = await deliver(event);
      if (event === null || typeof event === 'string') {
        // No path to name a provider: the unknown-provider answer, still not a 500.
        expect(answer.statusCode).toBe(404);
      } else {
        expect(answer.statusCode).toBe(400);
        expect(body).toMatchObject({
          error: 'malformed body',
          problems: [expect.stringMatching(/^\(event\)/)],
        });
      }
      expect(harness.sandbox.requests()).toEqual([]);
    },
  );

  it('a 400 for a body with thousands of problems lists a few, and stays under 1 KiB', async () => {
    const zendesk = JSON.parse(await sample('zendesk/ticket.solved.json')) as Record<string, unknown>;
    zendesk.attachments = Array.from({ length: 2_000 }, (_, i) => ({
      file_name: `${'n'.repeat(40)}${i}`,
      content_url: 'nope',
    }));
    const { answer, body } = await deliver(signed('zendesk', JSON.stringify(zendesk)));
    expect(answer.statusCode).toBe(400);
    expect(Buffer.byteLength(answer.body ?? '')).toBeLessThanOrEqual(1024);
    expect((body.problems as string[]).at(-1)).toMatch(/^… and \d+ more$/);
  });

  it('a 503 says only that the service is temporarily unavailable, with a short code', async () => {
    harness.sandbox.failNext('error500');
    const { answer, body, logs } = await deliver(
      signed('stripe', await sample('stripe/payment_intent.succeeded.json')),
    );
    expect([answer.statusCode, body]).toEqual([503, { error: 'temporarily unavailable', code: 'wolkvox' }]);
    // Zendesk retries a 503 only with a Retry-After under 60 s.
    expect(answer.headers).toMatchObject({ 'retry-after': '30' });
    expect(logs.lines.find((line) => line.message === 'unavailable')?.attributes).toMatchObject({
      code: 'wolkvox',
      reason: expect.stringContaining('HTTP 500'),
    });
    const carlos = harness.sandbox
      .state()
      .records.find((r) => r.wolkvox_id === SEED_RECORD_IDS.carlosRamirez)
      ?.obligations.find((o) => o.id === SEED_OBLIGATION_IDS.carlosLibreInversion);
    expect(carlos?.total_balance).toBe('1250000');
  });
});
