import { Webhook } from 'standardwebhooks';
import { describe, expect, it, vi } from 'vitest';
import { LOCAL_OPERATION, LOCAL_SECRETS } from '#lib/local/defaults.ts';
import { signSample } from '#lib/local/sign.ts';
import standardCode from '#lib/providers/payments/standard/provider.ts';
import { standardSignature } from '#lib/providers/schemes/standard-webhooks.ts';
import type { RawRequest } from '#lib/providers/types.ts';
import { outcome, runProviderContract, sourceContext } from '../../support/provider-contract.ts';
import { readRequest } from '../../support/provider-requests.ts';

const NOW = new Date('2026-11-20T15:04:10Z');
const SECRET = LOCAL_SECRETS.STANDARD_PAYMENTS_SECRET;
const source = () => standardCode.create({ operation: LOCAL_OPERATION });
const context = () => sourceContext(LOCAL_SECRETS, NOW);

runProviderContract('standard', { source, now: NOW });

const body = (type: string, data: Record<string, unknown>) =>
  JSON.stringify({ type, timestamp: NOW.toISOString(), data });
const payment = {
  payment_id: 'PAY-9',
  amount: '150000.50',
  currency: 'COP',
  paid_at: '2026-11-20T10:03:59-05:00',
  wolkvox_id: '65a1f0c2e4b0a1d2c3e4f501',
  obligation: 'PAG-2024-00123',
};
function signed(text: string): RawRequest {
  const request = signSample('standard', text, LOCAL_SECRETS, NOW, 'payments');
  return { body: Buffer.from(request.body), headers: request.headers, query: {} };
}

describe('standard: the scheme, against the standardwebhooks package', () => {
  it("reproduces the reference library's test vector", () => {
    expect(
      standardSignature(
        'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
        'msg_p5jXN8AQM9LWM0D4loKWxJek',
        1614265330,
        '{"test": 2432232314}',
      ),
    ).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('the package verifies what our signer produces, and we verify what the package signs', async () => {
    vi.useFakeTimers({ now: NOW, toFake: ['Date'] });
    try {
      const text = body('payment.received', payment);
      const ours = signed(text);
      expect(new Webhook(SECRET).verify(text, ours.headers)).toMatchObject({ type: 'payment.received' });
      const id = 'msg_2Kq9pX7vW4mT8nR3bL6cJ1hZ';
      const headers = {
        'webhook-id': id,
        'webhook-timestamp': String(NOW.getTime() / 1000),
        // Two signatures, as during the sender's own rotation: one is enough.
        'webhook-signature': `v1,bm90IGEgc2lnbmF0dXJl ${new Webhook(SECRET).sign(id, NOW, text)}`,
      };
      const theirs = { body: Buffer.from(text), headers, query: {} };
      expect(await outcome(source(), theirs, context())).toMatchObject({ action: 'accept' });
      // Svix's header names carry the same scheme.
      const svix = Object.fromEntries(
        Object.entries(headers).map(([k, v]) => [k.replace('webhook-', 'svix-'), v]),
      );
      expect(await outcome(source(), { ...theirs, headers: svix }, context())).toMatchObject({
        action: 'accept',
      });
    } finally {
      vi.useRealTimers();
    }
  });

  it('keys with the base64-decoded secret: Stripe-style use of the text is refused', async () => {
    const text = body('payment.received', payment);
    const id = 'msg_1';
    const ts = NOW.getTime() / 1000;
    const { createHmac } = await import('node:crypto');
    const asText = createHmac('sha256', SECRET).update(`${id}.${ts}.${text}`).digest('base64');
    const request = {
      body: Buffer.from(text),
      headers: { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': `v1,${asText}` },
      query: {},
    };
    expect(await outcome(source(), request, context())).toEqual({ rejected: 401 });
  });
});

describe('standard: the envelope', () => {
  it('reads the payment as sent: amount from its decimal text, the obligation named outright', async () => {
    expect(await outcome(source(), signed(body('payment.received', payment)), context())).toEqual({
      action: 'accept',
      event: {
        kind: 'payment',
        eventId: expect.stringMatching(/^msg_/),
        eventType: 'payment.received',
        livemode: true,
        payment: {
          provider: 'standard',
          paymentId: 'PAY-9',
          amount: { minor: 15_000_050, currency: 'COP', exponent: 2 },
          paidAt: '2026-11-20T15:03:59.000Z',
        },
        target: {
          operation: LOCAL_OPERATION,
          wolkvoxId: '65a1f0c2e4b0a1d2c3e4f501',
          obligation: 'PAG-2024-00123',
        },
      },
    });
  });

  it('answers other types 200 ignored', async () => {
    expect(await outcome(source(), signed(body('invoice.created', {})), context())).toMatchObject({
      action: 'ignore',
      reason: 'type "invoice.created" is not payment.received',
    });
  });

  it.each([
    [{ amount: 150000 }, 'data.amount'],
    [{ amount: '150.000' }, 'data.amount'],
    [{ amount: '-5' }, 'data.amount'],
    [{ currency: 'cop' }, 'data.currency'],
    [{ paid_at: 'yesterday' }, 'data.paid_at'],
    [{ payment_id: '' }, 'data.payment_id'],
  ])('a malformed payment (%j) is a 400 naming %s', async (change, path) => {
    const request = signed(body('payment.received', { ...payment, ...change }));
    await expect(readRequest(source(), request, context())).rejects.toMatchObject({
      name: 'MalformedError',
      problems: [expect.stringContaining(path)],
    });
  });
});
