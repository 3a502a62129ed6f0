import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { LOCAL_OPERATION } from '#lib/local/defaults.ts';
import { MalformedError, SignatureError } from '#lib/http/errors.ts';
import stripeCode from '#lib/providers/payments/stripe/provider.ts';
import type { RawRequest } from '#lib/providers/types.ts';
import { runProviderContract, settled, sourceContext } from '../../support/provider-contract.ts';

const stripeSdk = new Stripe('sk_test_not_used');
const SECRET = 'whsec_unit_test_secret';
const NOW = new Date('2026-11-23T12:00:00Z');
const nowSeconds = NOW.getTime() / 1000;
const stripe = stripeCode.create({ operation: 'demo', toleranceSeconds: 300 });

runProviderContract('stripe', {
  source: () => stripeCode.create({ operation: LOCAL_OPERATION, toleranceSeconds: 300 }),
  now: NOW,
});

function signedStripe(payload: string, options: { secret?: string; timestamp?: number } = {}): RawRequest {
  const header = stripeSdk.webhooks.generateTestHeaderString({
    payload,
    secret: options.secret ?? SECRET,
    timestamp: options.timestamp ?? nowSeconds,
  });
  return { body: Buffer.from(payload), headers: { 'stripe-signature': header }, query: {} };
}

const context = (secrets: Record<string, string> = { STRIPE_WEBHOOK_SECRET: SECRET }, now = NOW) =>
  sourceContext(secrets, now);

function stripeEvent(type: string, object: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return JSON.stringify({
    id: 'evt_1QxYz',
    object: 'event',
    api_version: '2025-09-30.clover',
    created: 1763900000,
    livemode: false,
    type,
    data: { object },
    ...extra,
  });
}

const metadata = { wolkvox_id: '65a1f0c2e4b0a1d2c3e4f501', wolkvox_obligation: '6669999 API' };
const pi = { id: 'pi_3Qx', object: 'payment_intent', amount_received: 15000000, currency: 'cop', metadata };

describe('stripe verify', () => {
  it('accepts a signature made by the official stripe package', async () => {
    await expect(
      settled(() => stripe.verify(signedStripe('{"id":"evt_1"}'), context())),
    ).resolves.toBeDefined();
  });

  it("accepts payment-gateways.md §10.1's vector", async () => {
    const request = {
      body: Buffer.from('{"id":"evt_test_webhook","object":"event"}'),
      headers: {
        'stripe-signature':
          't=1700000000,v1=d95c6b7477fbd7e9f90b1b0ef5f9c7ac25abca5382460e0d988c2b2a5b71b990',
      },
      query: {},
    };
    const at = new Date(1700000000 * 1000);
    await expect(
      settled(() => stripe.verify(request, context({ STRIPE_WEBHOOK_SECRET: 'whsec_test_secret' }, at))),
    ).resolves.toBeDefined();
  });

  it('accepts any matching v1 and any configured secret (rotation)', async () => {
    const request = signedStripe('{"id":"evt_2"}', { secret: 'whsec_new' });
    const header = `${request.headers['stripe-signature']},v1=${'0'.repeat(64)},v0=${'1'.repeat(64)}`;
    const rotated = { ...request, headers: { 'stripe-signature': header } };
    await expect(
      settled(() => stripe.verify(rotated, context({ STRIPE_WEBHOOK_SECRET: 'whsec_old, whsec_new' }))),
    ).resolves.toBeDefined();
  });

  it.each([
    ['a wrong secret', signedStripe('{"id":"evt_3"}', { secret: 'whsec_other' })],
    ['a tampered body', { ...signedStripe('{"id":"evt_3"}'), body: Buffer.from('{"id":"evt_4"}') }],
    ['a stale timestamp (301 s old)', signedStripe('{"id":"evt_3"}', { timestamp: nowSeconds - 301 })],
    ['a future timestamp (301 s ahead)', signedStripe('{"id":"evt_3"}', { timestamp: nowSeconds + 301 })],
    ['no header', { body: Buffer.from('{}'), headers: {}, query: {} }],
    [
      'a header without v1',
      { body: Buffer.from('{}'), headers: { 'stripe-signature': `t=${nowSeconds}` }, query: {} },
    ],
    ['a garbage header', { body: Buffer.from('{}'), headers: { 'stripe-signature': 'hello' }, query: {} }],
    [
      'a short v1',
      { body: Buffer.from('{}'), headers: { 'stripe-signature': `t=${nowSeconds},v1=ab` }, query: {} },
    ],
  ])('refuses %s', async (_name, request) => {
    await expect(settled(() => stripe.verify(request, context()))).rejects.toThrow(SignatureError);
  });

  it('accepts timestamps inside the tolerance both ways', async () => {
    await expect(
      settled(() => stripe.verify(signedStripe('{}', { timestamp: nowSeconds - 299 }), context())),
    ).resolves.toBeDefined();
    await expect(
      settled(() => stripe.verify(signedStripe('{}', { timestamp: nowSeconds + 299 }), context())),
    ).resolves.toBeDefined();
  });

  it('refuses everything when no secret is configured', async () => {
    await expect(settled(() => stripe.verify(signedStripe('{}'), context({})))).rejects.toThrow(
      SignatureError,
    );
  });
});

describe('stripe normalize', () => {
  const normalize = async (body: string) =>
    (await stripe.verify(signedStripe(body), context())).read(context());

  it('payment_intent.succeeded → a payment in minor units with its target', async () => {
    expect(await normalize(stripeEvent('payment_intent.succeeded', pi))).toEqual({
      action: 'accept',
      event: {
        kind: 'payment',
        eventId: 'evt_1QxYz',
        eventType: 'payment_intent.succeeded',
        livemode: false,
        payment: {
          provider: 'stripe',
          paymentId: 'pi_3Qx',
          amount: { minor: 15000000, currency: 'COP', exponent: 2 },
          paidAt: new Date(1763900000 * 1000).toISOString(),
        },
        target: { operation: 'demo', wolkvoxId: metadata.wolkvox_id, obligation: '6669999 API' },
      },
    });
  });

  it('checkout sessions count only when paid, and use the PaymentIntent id as the payment identity', async () => {
    const session = {
      id: 'cs_1',
      payment_status: 'paid',
      amount_total: 5000000,
      currency: 'cop',
      metadata,
      payment_intent: 'pi_9',
    };
    const paid = await normalize(stripeEvent('checkout.session.completed', session));
    expect(paid).toMatchObject({
      action: 'accept',
      event: { payment: { paymentId: 'pi_9', amount: { minor: 5000000 } } },
    });
    const unpaid = await normalize(
      stripeEvent('checkout.session.completed', { ...session, payment_status: 'unpaid' }),
    );
    expect(unpaid).toEqual({ action: 'ignore', reason: 'checkout session payment_status is "unpaid"' });
    const later = await normalize(
      stripeEvent('checkout.session.async_payment_succeeded', { ...session, payment_status: 'paid' }),
    );
    expect(later).toMatchObject({ action: 'accept', event: { payment: { paymentId: 'pi_9' } } });
  });

  it('invoice.paid uses amount_paid and the paid_at time', async () => {
    const invoice = {
      id: 'in_1',
      amount_paid: 7500000,
      currency: 'cop',
      metadata,
      payment_intent: null,
      status_transitions: { paid_at: 1763800000 },
    };
    expect(await normalize(stripeEvent('invoice.paid', invoice))).toMatchObject({
      action: 'accept',
      event: {
        payment: {
          paymentId: 'in_1',
          amount: { minor: 7500000 },
          paidAt: new Date(1763800000 * 1000).toISOString(),
        },
      },
    });
  });

  it('invoice.paid on API versions since 2025-03-31 takes the PaymentIntent from invoice.payments', async () => {
    const invoice = {
      id: 'in_2',
      amount_paid: 100,
      currency: 'cop',
      metadata,
      payments: { data: [{ payment: { type: 'payment_intent', payment_intent: 'pi_77' } }] },
    };
    expect(await normalize(stripeEvent('invoice.paid', invoice))).toMatchObject({
      event: { payment: { paymentId: 'pi_77' } },
    });
  });

  it("reads zero- and three-decimal currencies with Stripe's own list", async () => {
    const clp = await normalize(
      stripeEvent('payment_intent.succeeded', { ...pi, currency: 'clp', amount_received: 25000 }),
    );
    expect(clp).toMatchObject({
      event: { payment: { amount: { minor: 25000, currency: 'CLP', exponent: 0 } } },
    });
    const kwd = await normalize(stripeEvent('payment_intent.succeeded', { ...pi, currency: 'kwd' }));
    expect(kwd).toMatchObject({ event: { payment: { amount: { exponent: 3 } } } });
  });

  it('ignores other event types', async () => {
    expect(await normalize(stripeEvent('charge.succeeded', { id: 'ch_1' }))).toEqual({
      action: 'ignore',
      reason: 'event type "charge.succeeded" is not a payment we apply',
    });
  });

  it('has no target without metadata, or for another operation', async () => {
    const bare = await normalize(stripeEvent('payment_intent.succeeded', { ...pi, metadata: {} }));
    expect(bare).toMatchObject({
      event: { target: null, targetProblem: expect.stringContaining('wolkvox_id') },
    });
    const other = await normalize(
      stripeEvent('payment_intent.succeeded', { ...pi, metadata: { ...metadata, wolkvox_operation: 'x' } }),
    );
    expect(other).toMatchObject({ event: { target: null, targetProblem: expect.stringContaining('"x"') } });
  });

  it('names the failing paths of a malformed body', async () => {
    const bad = stripeEvent('payment_intent.succeeded', { ...pi, amount_received: '150000.00' });
    await expect(normalize(bad)).rejects.toThrow(MalformedError);
    await expect(normalize(bad)).rejects.toMatchObject({
      problems: [expect.stringMatching(/^data\.object\.amount_received: /)],
    });
    await expect(normalize('{"id": 1')).rejects.toMatchObject({
      problems: [expect.stringContaining('not valid JSON')],
    });
    await expect(normalize('{"id":"evt"}')).rejects.toThrow(MalformedError);
  });
});
