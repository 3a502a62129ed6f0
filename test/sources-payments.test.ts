import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { MalformedError, SignatureError } from '#lib/http/errors.ts';
import { stripeSource } from '#lib/sources/payments/stripe.ts';
import { DEFAULT_WOMPI_REFERENCE_PATTERN, wompiChecksum, wompiSource } from '#lib/sources/payments/wompi.ts';
import type { RawRequest } from '#lib/sources/types.ts';

const stripeSdk = new Stripe('sk_test_not_used');
const SECRET = 'whsec_unit_test_secret';
const NOW = new Date('2026-11-23T12:00:00Z');
const nowSeconds = NOW.getTime() / 1000;
const stripe = stripeSource({ operation: 'demo', toleranceSeconds: 300 });

function signedStripe(payload: string, options: { secret?: string; timestamp?: number } = {}): RawRequest {
  const header = stripeSdk.webhooks.generateTestHeaderString({
    payload,
    secret: options.secret ?? SECRET,
    timestamp: options.timestamp ?? nowSeconds,
  });
  return { body: Buffer.from(payload), headers: { 'stripe-signature': header }, query: {} };
}

const context = (secrets: Record<string, string> = { STRIPE_WEBHOOK_SECRET: SECRET }, now = NOW) => ({
  secrets,
  now: () => now,
});

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
  it('accepts a signature made by the official stripe package', () => {
    expect(() => stripe.verify(signedStripe('{"id":"evt_1"}'), context())).not.toThrow();
  });

  it("accepts payment-gateways.md §10.1's vector", () => {
    const request = {
      body: Buffer.from('{"id":"evt_test_webhook","object":"event"}'),
      headers: {
        'stripe-signature':
          't=1700000000,v1=d95c6b7477fbd7e9f90b1b0ef5f9c7ac25abca5382460e0d988c2b2a5b71b990',
      },
      query: {},
    };
    const at = new Date(1700000000 * 1000);
    expect(() =>
      stripe.verify(request, context({ STRIPE_WEBHOOK_SECRET: 'whsec_test_secret' }, at)),
    ).not.toThrow();
  });

  it('accepts any matching v1 and any configured secret (rotation)', () => {
    const request = signedStripe('{"id":"evt_2"}', { secret: 'whsec_new' });
    const header = `${request.headers['stripe-signature']},v1=${'0'.repeat(64)},v0=${'1'.repeat(64)}`;
    const rotated = { ...request, headers: { 'stripe-signature': header } };
    expect(() =>
      stripe.verify(rotated, context({ STRIPE_WEBHOOK_SECRET: 'whsec_old, whsec_new' })),
    ).not.toThrow();
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
  ])('refuses %s', (_name, request) => {
    expect(() => stripe.verify(request, context())).toThrow(SignatureError);
  });

  it('accepts timestamps inside the tolerance both ways', () => {
    expect(() => stripe.verify(signedStripe('{}', { timestamp: nowSeconds - 299 }), context())).not.toThrow();
    expect(() => stripe.verify(signedStripe('{}', { timestamp: nowSeconds + 299 }), context())).not.toThrow();
  });

  it('refuses everything when no secret is configured', () => {
    expect(() => stripe.verify(signedStripe('{}'), context({}))).toThrow(SignatureError);
  });
});

describe('stripe normalize', () => {
  const normalize = (body: string) => stripe.normalize(signedStripe(body), context());

  it('payment_intent.succeeded → a payment in minor units with its target', () => {
    expect(normalize(stripeEvent('payment_intent.succeeded', pi))).toEqual({
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

  it('checkout sessions count only when paid, and use the PaymentIntent id as the payment identity', () => {
    const session = {
      id: 'cs_1',
      payment_status: 'paid',
      amount_total: 5000000,
      currency: 'cop',
      metadata,
      payment_intent: 'pi_9',
    };
    const paid = normalize(stripeEvent('checkout.session.completed', session));
    expect(paid).toMatchObject({
      action: 'accept',
      event: { payment: { paymentId: 'pi_9', amount: { minor: 5000000 } } },
    });
    const unpaid = normalize(
      stripeEvent('checkout.session.completed', { ...session, payment_status: 'unpaid' }),
    );
    expect(unpaid).toEqual({ action: 'ignore', reason: 'checkout session payment_status is unpaid' });
    const later = normalize(
      stripeEvent('checkout.session.async_payment_succeeded', { ...session, payment_status: 'paid' }),
    );
    expect(later).toMatchObject({ action: 'accept', event: { payment: { paymentId: 'pi_9' } } });
  });

  it('invoice.paid uses amount_paid and the paid_at time', () => {
    const invoice = {
      id: 'in_1',
      amount_paid: 7500000,
      currency: 'cop',
      metadata,
      payment_intent: null,
      status_transitions: { paid_at: 1763800000 },
    };
    expect(normalize(stripeEvent('invoice.paid', invoice))).toMatchObject({
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

  it('invoice.paid on API versions since 2025-03-31 takes the PaymentIntent from invoice.payments', () => {
    const invoice = {
      id: 'in_2',
      amount_paid: 100,
      currency: 'cop',
      metadata,
      payments: { data: [{ payment: { type: 'payment_intent', payment_intent: 'pi_77' } }] },
    };
    expect(normalize(stripeEvent('invoice.paid', invoice))).toMatchObject({
      event: { payment: { paymentId: 'pi_77' } },
    });
  });

  it("reads zero- and three-decimal currencies with Stripe's own list", () => {
    const clp = normalize(
      stripeEvent('payment_intent.succeeded', { ...pi, currency: 'clp', amount_received: 25000 }),
    );
    expect(clp).toMatchObject({
      event: { payment: { amount: { minor: 25000, currency: 'CLP', exponent: 0 } } },
    });
    const kwd = normalize(stripeEvent('payment_intent.succeeded', { ...pi, currency: 'kwd' }));
    expect(kwd).toMatchObject({ event: { payment: { amount: { exponent: 3 } } } });
  });

  it('ignores other event types', () => {
    expect(normalize(stripeEvent('charge.succeeded', { id: 'ch_1' }))).toEqual({
      action: 'ignore',
      reason: 'event type charge.succeeded is not a payment we apply',
    });
  });

  it('has no target without metadata, or for another operation', () => {
    const bare = normalize(stripeEvent('payment_intent.succeeded', { ...pi, metadata: {} }));
    expect(bare).toMatchObject({
      event: { target: null, targetProblem: expect.stringContaining('wolkvox_id') },
    });
    const other = normalize(
      stripeEvent('payment_intent.succeeded', { ...pi, metadata: { ...metadata, wolkvox_operation: 'x' } }),
    );
    expect(other).toMatchObject({ event: { target: null, targetProblem: expect.stringContaining('"x"') } });
  });

  it('names the failing paths of a malformed body', () => {
    const bad = stripeEvent('payment_intent.succeeded', { ...pi, amount_received: '150000.00' });
    expect(() => normalize(bad)).toThrow(MalformedError);
    try {
      normalize(bad);
    } catch (error) {
      expect((error as MalformedError).problems).toEqual([
        expect.stringMatching(/^data\.object\.amount_received: /),
      ]);
    }
    expect(() => normalize('{"id": 1')).toThrow(
      expect.objectContaining({ problems: [expect.stringContaining('not valid JSON')] }),
    );
    expect(() => normalize('{"id":"evt"}')).toThrow(MalformedError);
  });
});

describe('wompi', () => {
  const WOMPI_SECRET = 'test_events_unit';
  const wompi = wompiSource({
    operation: 'demo',
    referencePattern: new RegExp(DEFAULT_WOMPI_REFERENCE_PATTERN),
  });
  const properties = ['transaction.id', 'transaction.status', 'transaction.amount_in_cents'];

  function wompiBody(
    transaction: Record<string, unknown>,
    options: { secret?: string; event?: string } = {},
  ) {
    const data = { transaction };
    const timestamp = 1763900000;
    const checksum = wompiChecksum(data, properties, timestamp, options.secret ?? WOMPI_SECRET).toUpperCase();
    const body = {
      event: options.event ?? 'transaction.updated',
      data,
      environment: 'test',
      signature: { properties, checksum },
      timestamp,
      sent_at: '2026-11-23T12:00:00.000Z',
    };
    return { body: Buffer.from(JSON.stringify(body)), headers: {}, query: {} };
  }
  const tx = {
    id: '1234-1763900000-49201',
    status: 'APPROVED',
    amount_in_cents: 8500000,
    currency: 'COP',
    reference: '65a1f0c2e4b0a1d2c3e4f503:MC-001245',
    finalized_at: '2026-11-23T03:10:00.000Z',
  };
  const wctx = { secrets: { WOMPI_EVENTS_SECRET: WOMPI_SECRET }, now: () => NOW };

  it("reproduces payment-gateways.md §10.3's corrected vector", () => {
    const data = {
      transaction: { id: '1234-1610641025-49201', status: 'APPROVED', amount_in_cents: 4490000 },
    };
    expect(wompiChecksum(data, properties, 1530291411, 'prod_events_OcHnIzeBl5socpwByQ4hA52Em3USQ93Z')).toBe(
      '5a18ec5e8fdb7df463e9f94774cba8f583ba21bd04a09ceff2ea68a4bc0aefbe',
    );
  });

  it('accepts its checksum in any case and refuses a wrong secret, a tampered value or no signature', () => {
    expect(() => wompi.verify(wompiBody(tx), wctx)).not.toThrow();
    expect(() => wompi.verify(wompiBody(tx, { secret: 'other' }), wctx)).toThrow(SignatureError);
    const tampered = JSON.parse(wompiBody(tx).body.toString());
    tampered.data.transaction.amount_in_cents = 9900000;
    expect(() =>
      wompi.verify({ body: Buffer.from(JSON.stringify(tampered)), headers: {}, query: {} }, wctx),
    ).toThrow(SignatureError);
    delete tampered.signature;
    expect(() =>
      wompi.verify({ body: Buffer.from(JSON.stringify(tampered)), headers: {}, query: {} }, wctx),
    ).toThrow(SignatureError);
  });

  it('hashes a null property as an empty string', () => {
    const data = { transaction: { id: 'a', status: null, amount_in_cents: 1 } };
    expect(wompiChecksum(data, properties, 1, 's')).toBe(
      wompiChecksum({ transaction: { id: 'a', amount_in_cents: 1 } }, properties, 1, 's'),
    );
  });

  it('an APPROVED transaction → a ×100 payment targeting the reference', () => {
    expect(wompi.normalize(wompiBody(tx), wctx)).toEqual({
      action: 'accept',
      event: {
        kind: 'payment',
        eventId: '1234-1763900000-49201:APPROVED:1763900000',
        eventType: 'transaction.updated',
        livemode: false,
        payment: {
          provider: 'wompi',
          paymentId: tx.id,
          amount: { minor: 8500000, currency: 'COP', exponent: 2 },
          paidAt: '2026-11-23T03:10:00.000Z',
        },
        target: { operation: 'demo', wolkvoxId: '65a1f0c2e4b0a1d2c3e4f503', obligation: 'MC-001245' },
      },
    });
    expect(wompi.onlyStatus).toBe(200);
  });

  it('reads references with a suffix, and parks unknown ones', () => {
    const suffixed = wompi.normalize(wompiBody({ ...tx, reference: 'rec1:6669999 API:2' }), wctx);
    expect(suffixed).toMatchObject({ event: { target: { wolkvoxId: 'rec1', obligation: '6669999 API' } } });
    const unknown = wompi.normalize(wompiBody({ ...tx, reference: 'FACTURA-8841' }), wctx);
    expect(unknown).toMatchObject({
      event: { target: null, targetProblem: expect.stringContaining('FACTURA-8841') },
    });
  });

  it('takes a configured pattern, operation group included', () => {
    const custom = wompiSource({
      operation: 'demo',
      referencePattern: /^(?<operation>\w+)\|(?<wolkvox_id>\w+)\|(?<obligation>.+)$/,
    });
    expect(custom.normalize(wompiBody({ ...tx, reference: 'demo|r1|O 1' }), wctx)).toMatchObject({
      event: { target: { operation: 'demo', wolkvoxId: 'r1', obligation: 'O 1' } },
    });
    expect(custom.normalize(wompiBody({ ...tx, reference: 'other|r1|O 1' }), wctx)).toMatchObject({
      event: { target: null },
    });
  });

  it('ignores non-approved transactions and other events', () => {
    expect(wompi.normalize(wompiBody({ ...tx, status: 'DECLINED' }), wctx)).toEqual({
      action: 'ignore',
      reason: 'transaction status is DECLINED',
    });
    expect(wompi.normalize(wompiBody(tx, { event: 'nequi_token.updated' }), wctx)).toMatchObject({
      action: 'ignore',
    });
  });

  it('names the failing paths of a malformed transaction', () => {
    expect(() => wompi.normalize(wompiBody({ ...tx, amount_in_cents: '85000.00' }), wctx)).toThrow(
      /malformed|amount_in_cents/,
    );
  });
});
