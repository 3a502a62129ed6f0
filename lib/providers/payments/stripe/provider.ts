import * as z from 'zod/mini';
import { compiledObject } from '#lib/zod-mini.ts';
import type { PaymentReceived } from '#lib/events.ts';
import { quoted } from '#lib/excerpt.ts';
import { SignatureError } from '#lib/http/errors.ts';
import {
  firstSecret,
  obligationTarget,
  parseJson,
  parseWith,
  secretList,
  unixSeconds,
} from '../../common.ts';
import { anySignatureMatches, checkSignedTime, hmac } from '../../schemes/hmac.ts';
import type {
  Decision,
  PaymentProvider,
  ProviderCode,
  ProviderContext,
  RawRequest,
  Trust,
} from '../../types.ts';
import type { StripeSettings } from './settings.ts';

/**
 * Stripe (payment-gateways.md §2). Signature: `Stripe-Signature: t=<unix s>,v1=<hex>[,v1=…]`,
 * HMAC-SHA256 over `<t>.<raw body>` keyed by the endpoint secret as-is (`whsec_…`, not decoded).
 * Any v1 may match (rotation); the timestamp must be within the tolerance in both directions,
 * where stripe-node only checks age. The signer beside the verifier produces what Stripe's own
 * generateTestHeaderString does (the official package checks it in the tests).
 */

// https://docs.stripe.com/currencies: amounts in these are whole units; three-decimal ones ×1000.
const ZERO_DECIMAL = new Set('BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF'.split(' '));
const THREE_DECIMAL = new Set('BHD JOD KWD OMR TND'.split(' '));

export function stripeExponent(currency: string): number {
  if (ZERO_DECIMAL.has(currency)) return 0;
  return THREE_DECIMAL.has(currency) ? 3 : 2;
}

const metadata = z.nullish(z.record(z.string(), z.string()));
const amount = z.number().check(z.int(), z.nonnegative());
const currency = z.string().check(z.regex(/^[a-z]{3}$/i));
const idOf = z.lazy(() => z.nullish(z.union([z.string(), z.object({ id: z.string() })])));
const nonEmpty = z.string().check(z.minLength(1));
const unixTime = z.number().check(z.int(), z.positive());

const envelope = z.lazy(() =>
  compiledObject({
    id: nonEmpty,
    type: nonEmpty,
    created: unixTime,
    livemode: z.boolean(),
    data: z.object({ object: z.record(z.string(), z.unknown()) }),
  }),
);

const paymentIntent = z.lazy(() =>
  compiledObject({ id: nonEmpty, amount_received: amount, currency, metadata }),
);
const checkoutSession = z.lazy(() =>
  compiledObject({
    id: nonEmpty,
    payment_status: z.string(),
    amount_total: amount,
    currency,
    metadata,
    payment_intent: idOf,
  }),
);
const invoice = z.lazy(() =>
  compiledObject({
    id: nonEmpty,
    amount_paid: amount,
    currency,
    metadata,
    payment_intent: idOf,
    status_transitions: z.nullish(z.object({ paid_at: z.nullish(unixTime) })),
    // API versions since 2025-03-31 moved the PaymentIntent here (when the list is included).
    payments: z.nullish(
      z.object({ data: z.array(z.object({ payment: z.nullish(z.object({ payment_intent: idOf })) })) }),
    ),
  }),
);

type Paid = {
  paymentId: string;
  minor: number;
  currency: string;
  metadata: Record<string, string>;
  paidAt?: number;
};

const refId = (value: z.infer<typeof idOf>) => (typeof value === 'string' ? value : value?.id);

/** The events that mean "paid", each read the way its object carries the money (§2). */
const PAID_EVENTS: Record<string, (object: unknown) => Paid | string> = {
  'payment_intent.succeeded': (object) => {
    const pi = parseWith(paymentIntent, object, 'data.object');
    return {
      paymentId: pi.id,
      minor: pi.amount_received,
      currency: pi.currency,
      metadata: pi.metadata ?? {},
    };
  },
  'checkout.session.completed': (object) => {
    const session = parseWith(checkoutSession, object, 'data.object');
    // Delayed methods complete "unpaid" and pay later in async_payment_succeeded.
    if (session.payment_status !== 'paid')
      return `checkout session payment_status is ${quoted(session.payment_status, 20)}`;
    return fromSession(session);
  },
  'checkout.session.async_payment_succeeded': (object) =>
    fromSession(parseWith(checkoutSession, object, 'data.object')),
  'invoice.paid': (object) => {
    const paid = parseWith(invoice, object, 'data.object');
    return {
      // The PaymentIntent id, when present, makes a PI event and its invoice one payment.
      paymentId:
        refId(paid.payment_intent) ?? refId(paid.payments?.data[0]?.payment?.payment_intent) ?? paid.id,
      minor: paid.amount_paid,
      currency: paid.currency,
      metadata: paid.metadata ?? {},
      paidAt: paid.status_transitions?.paid_at ?? undefined,
    };
  },
};

function fromSession(session: z.infer<typeof checkoutSession>): Paid {
  return {
    paymentId: refId(session.payment_intent) ?? session.id,
    minor: session.amount_total,
    currency: session.currency,
    metadata: session.metadata ?? {},
  };
}

function parseHeader(header: string): { timestamp: number; signatures: string[] } {
  let timestamp = Number.NaN;
  const signatures: string[] = [];
  for (const item of header.split(',')) {
    const [key, value] = item.split('=', 2).map((part) => part.trim());
    if (key === 't' && value && /^\d+$/.test(value)) timestamp = Number(value);
    if (key === 'v1' && value) signatures.push(value);
  }
  return { timestamp, signatures };
}

export function stripeTrust(settings: StripeSettings): Trust {
  return {
    covers: 'bytes',
    scheme:
      'HMAC-SHA256 of `<t>.<raw body>` with STRIPE_WEBHOOK_SECRET (Stripe-Signature v1; any of several)',
    signed: ['header:stripe-signature'],
    confirmed: [],
    unverified: [],
    replayWindowSeconds: settings.toleranceSeconds,
    replayWindow: `signed t within STRIPE_TOLERANCE_SECONDS (${settings.toleranceSeconds} s), both ways`,
  };
}

const sign = (secret: string, timestamp: number, body: string | Buffer) =>
  hmac('sha256', secret, [`${timestamp}.`, body], 'hex');

function create(settings: StripeSettings & { operation: string }): PaymentProvider {
  return {
    family: 'payments',
    slug: 'stripe',
    trust: stripeTrust(settings),

    verify(request: RawRequest, { secrets, now }: ProviderContext) {
      const header = request.headers['stripe-signature'];
      if (!header) throw new SignatureError('no Stripe-Signature header');
      const { timestamp, signatures } = parseHeader(header);
      if (!Number.isFinite(timestamp) || signatures.length === 0) {
        throw new SignatureError('Stripe-Signature lacks t or v1');
      }
      const secretsNow = secretList(secrets.STRIPE_WEBHOOK_SECRET, 'STRIPE_WEBHOOK_SECRET');
      if (
        !anySignatureMatches(signatures, secretsNow, (secret) => sign(secret, timestamp, request.body), 'hex')
      ) {
        throw new SignatureError('no v1 signature matches');
      }
      const window = { maxAgeSeconds: settings.toleranceSeconds, futureSeconds: settings.toleranceSeconds };
      checkSignedTime(timestamp * 1000, now().getTime(), { ...window, setting: 'STRIPE_TOLERANCE_SECONDS' });
      return { read: () => read(request, settings.operation) };
    },
  };
}

function read(request: RawRequest, operation: string): Decision<PaymentReceived> {
  const event = parseWith(envelope, parseJson(request.body));
  const paidEvent = Object.hasOwn(PAID_EVENTS, event.type) ? PAID_EVENTS[event.type] : undefined;
  if (!paidEvent)
    return { action: 'ignore', reason: `event type ${quoted(event.type, 60)} is not a payment we apply` };
  const paid = paidEvent(event.data.object);
  if (typeof paid === 'string') return { action: 'ignore', reason: paid };

  const code = paid.currency.toUpperCase();
  const received: PaymentReceived = {
    kind: 'payment',
    eventId: event.id,
    eventType: event.type,
    livemode: event.livemode,
    payment: {
      provider: 'stripe',
      paymentId: paid.paymentId,
      amount: { minor: paid.minor, currency: code, exponent: stripeExponent(code) },
      paidAt: new Date((paid.paidAt ?? event.created) * 1000).toISOString(),
    },
    ...obligationTarget(
      {
        operation: paid.metadata.wolkvox_operation,
        wolkvoxId: paid.metadata.wolkvox_id,
        obligation: paid.metadata.wolkvox_obligation,
      },
      operation,
      'metadata wolkvox_id and wolkvox_obligation are not both set',
    ),
  };
  return { action: 'accept', event: received };
}

const stripe: ProviderCode<PaymentReceived, StripeSettings> = {
  create,
  sign(body, secrets, now) {
    const timestamp = unixSeconds(now);
    // stripe-node falls back to Date.now() for a falsy timestamp; a signer that ignored `now` would
    // make fixed-clock tests lie.
    if (timestamp <= 0) throw new Error('Stripe signing time must be after 1970-01-01T00:00:01Z');
    const signature = sign(firstSecret(secrets, 'STRIPE_WEBHOOK_SECRET'), timestamp, body);
    return {
      body,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'stripe-signature': `t=${timestamp},v1=${signature}`,
      },
    };
  },
  userAgent: 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
};

export default stripe;
