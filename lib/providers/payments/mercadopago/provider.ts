import { randomUUID } from 'node:crypto';
import * as z from 'zod/mini';
import '#lib/zod-mini.ts';
import type { PaymentReceived } from '#lib/events.ts';
import { quoted } from '#lib/excerpt.ts';
import { SignatureError } from '#lib/http/errors.ts';
import { getJson, ProviderApiError } from '../../api.ts';
import { firstSecret, isObject, obligationTarget, parseJson, secretList, unixSeconds } from '../../common.ts';
import { anySignatureMatches, checkSignedTime, hmac } from '../../schemes/hmac.ts';
import type {
  Decision,
  PaymentProvider,
  ProviderCode,
  ProviderContext,
  RawRequest,
  Trust,
} from '../../types.ts';
import { minorOfNumber } from '../money.ts';
import type { MercadoPagoSettings } from './settings.ts';

/**
 * Mercado Pago (payment-gateways.md §3). A webhook says only "payment <id> changed": `x-signature:
 * ts=<ts>,v1=<hex>` is an HMAC-SHA256, keyed by the application's secret signature, of the
 * manifest `id:<data.id from the URL>;request-id:<x-request-id>;ts:<ts>;` (absent parts dropped,
 * the trailing `;` kept). Nothing about money is signed, so every payment is read from Mercado
 * Pago's API (GET /v1/payments/{id} with MERCADOPAGO_ACCESS_TOKEN): its status, amount, currency,
 * time and `external_reference` are the only ones the service believes. Mercado Pago counts 200 or
 * 201 as delivered and retries anything else: every answer that takes the notification in is 200.
 */

/** How far ahead of our clock a signed `ts` may be (clock skew). */
export const MERCADOPAGO_FUTURE_SECONDS = 300;

export interface SignatureParts {
  /** `data.id` as the URL carries it; the notification body's copy is not signed. */
  dataId: string | undefined;
  requestId: string | undefined;
  ts: string;
}

/** The manifest Mercado Pago signs; exported for the signer and tests (payment-gateways.md §10.2). */
export function mercadoPagoManifest({ dataId, requestId, ts }: SignatureParts): string {
  return `${dataId ? `id:${dataId};` : ''}${requestId ? `request-id:${requestId};` : ''}ts:${ts};`;
}

/** `ts=…,v1=…` (any order, spaces allowed): the time and every v1 hash. */
function parseSignatureHeader(header: string): { ts: string | undefined; v1: string[] } {
  let ts: string | undefined;
  const v1: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    const key = part.slice(0, eq).trim().toLowerCase();
    const value = part.slice(eq + 1).trim();
    if (key === 'ts') ts = value;
    else if (key === 'v1' && value) v1.push(value);
  }
  return { ts, v1 };
}

/**
 * The docs call `ts` milliseconds and print seconds; the official SDK reads seconds since 2026-08
 * (sdk-nodejs #458). Both are accepted: a value past 1e12 can only be milliseconds.
 */
const signedAtMs = (ts: number) => (ts > 1e12 ? ts : ts * 1000);

/** The notification's body: which topic, for which payment. Unsigned: it only decides to look. */
const notification = z.lazy(() => z.object({ type: z.optional(z.string()), action: z.optional(z.string()) }));

const nonEmpty = z.string().check(z.minLength(1));

/** GET /v1/payments/{id}: the fields the service reads (Mercado Pago sends many more). */
const apiPayment = z.lazy(() =>
  z.object({
    id: z.union([z.number(), nonEmpty]),
    status: nonEmpty,
    transaction_amount: z.number(),
    currency_id: z.string().check(z.regex(/^[A-Z]{3}$/)),
    date_approved: z.nullish(z.iso.datetime({ offset: true })),
    date_created: z.nullish(z.iso.datetime({ offset: true })),
    external_reference: z.nullish(z.string()),
    live_mode: z.optional(z.boolean()),
  }),
);

export function mercadoPagoTrust(settings: Pick<MercadoPagoSettings, 'maxAgeSeconds'>): Trust {
  return {
    covers: 'values',
    scheme:
      'HMAC-SHA256 of id:<data.id>;request-id:<x-request-id>;ts:<ts>; keyed by MERCADOPAGO_WEBHOOK_SECRET',
    signed: ['query data.id', 'header x-request-id', 'ts'],
    confirmed: [
      'payment.status',
      'payment.transaction_amount',
      'payment.currency_id',
      'payment.date_approved',
      'payment.external_reference',
    ],
    unverified: [],
    replayWindowSeconds: settings.maxAgeSeconds,
    replayWindow: `signed ts at most MERCADOPAGO_MAX_AGE_SECONDS (${settings.maxAgeSeconds} s) old, ${MERCADOPAGO_FUTURE_SECONDS} s ahead`,
  };
}

function create(settings: MercadoPagoSettings & { operation: string }): PaymentProvider {
  return {
    family: 'payments',
    slug: 'mercadopago',
    trust: mercadoPagoTrust(settings),

    verify(request: RawRequest, { secrets, now }: ProviderContext) {
      const { ts, v1 } = parseSignatureHeader(request.headers['x-signature'] ?? '');
      if (!ts || !/^\d{1,16}$/.test(ts) || v1.length === 0)
        throw new SignatureError('no x-signature ts and v1');
      const dataId = request.query['data.id'] || undefined;
      const requestId = request.headers['x-request-id'] || undefined;
      // Mercado Pago signs the id's original casing (sdk-nodejs #439); its docs once said lower case.
      const manifests = [...new Set([dataId, dataId?.toLowerCase()])].map((id) =>
        mercadoPagoManifest({ dataId: id, requestId, ts }),
      );
      const secretsList = secretList(secrets.MERCADOPAGO_WEBHOOK_SECRET, 'MERCADOPAGO_WEBHOOK_SECRET');
      const matches = manifests.some((manifest) =>
        anySignatureMatches(v1, secretsList, (secret) => hmac('sha256', secret, [manifest], 'hex'), 'hex'),
      );
      if (!matches) throw new SignatureError('x-signature does not match');
      checkSignedTime(signedAtMs(Number(ts)), now().getTime(), {
        maxAgeSeconds: settings.maxAgeSeconds,
        futureSeconds: MERCADOPAGO_FUTURE_SECONDS,
        setting: 'MERCADOPAGO_MAX_AGE_SECONDS',
      });
      return { read: (context: ProviderContext) => read(request, dataId, context) };
    },
  };

  async function read(
    request: RawRequest,
    paymentId: string | undefined,
    context: ProviderContext,
  ): Promise<Decision<PaymentReceived>> {
    const body = notification.safeParse(parseJson(request.body));
    const topic = request.query.type ?? request.query.topic ?? (body.success ? body.data.type : undefined);
    // Orders, subscriptions, chargebacks… say nothing about a payment received; neither body nor
    // URL is signed, so a changed topic can only make a notification irrelevant.
    if (
      topic !== 'payment' ||
      (body.success && body.data.type !== undefined && body.data.type !== 'payment')
    ) {
      return { action: 'ignore', reason: `topic ${quoted(topic ?? '(none)', 40)} is not a payment` };
    }
    // Only the URL's data.id is signed: without it nothing names a payment we may look up.
    if (!paymentId)
      return { action: 'ignore', reason: 'no data.id in the URL: the signature names no payment' };

    const eventId = `${paymentId}:${request.headers['x-request-id'] ?? ''}`;
    const payment = await lookUp(paymentId, context);
    if ('park' in payment) return { action: 'park', reason: payment.park, eventId, summary: { paymentId } };
    if (payment.status !== 'approved') {
      return { action: 'ignore', reason: `payment status is ${quoted(payment.status, 20)}` };
    }
    const minor = minorOfNumber(payment.transaction_amount);
    if (minor === undefined) {
      return {
        action: 'park',
        reason: `Mercado Pago's API gives an amount that is not a plain decimal (${quoted(String(payment.transaction_amount), 30)})`,
        eventId,
        summary: { paymentId },
      };
    }
    const reference = payment.external_reference ?? '';
    const groups = settings.referencePattern.exec(reference)?.groups;
    const received: PaymentReceived = {
      kind: 'payment',
      eventId,
      eventType: 'payment',
      livemode: payment.live_mode ?? true,
      payment: {
        provider: 'mercadopago',
        paymentId,
        // transaction_amount is in major units (COP in whole pesos): minor units with exponent 2, as every provider here.
        amount: { minor, currency: payment.currency_id, exponent: 2 },
        paidAt: new Date(payment.date_approved ?? payment.date_created ?? context.now()).toISOString(),
      },
      ...obligationTarget(
        { operation: groups?.operation, wolkvoxId: groups?.wolkvox_id, obligation: groups?.obligation },
        settings.operation,
        reference
          ? `external_reference ${quoted(reference)} does not match MERCADOPAGO_REFERENCE_PATTERN`
          : 'the payment has no external_reference naming an obligation',
      ),
    };
    return { action: 'accept', event: received };
  }

  /** The payment as Mercado Pago knows it, on the host the configuration names (never the notification). */
  async function lookUp(
    paymentId: string,
    { secrets, signal }: ProviderContext,
  ): Promise<z.infer<typeof apiPayment> | { park: string }> {
    const token = secrets.MERCADOPAGO_ACCESS_TOKEN?.trim();
    if (!token) throw new ProviderApiError('auth', 'mercadopago API: MERCADOPAGO_ACCESS_TOKEN is not set');
    const answer = await getJson(`${settings.apiUrl}/v1/payments/${encodeURIComponent(paymentId)}`, {
      provider: 'mercadopago',
      headers: { authorization: `Bearer ${token}` },
      signal,
    });
    if (answer.status === 404) {
      return {
        park: `Mercado Pago's API does not know payment ${quoted(paymentId, 40)}: a notification of another application or test user?`,
      };
    }
    const result = apiPayment.safeParse(answer.body);
    if (!result.success)
      throw new ProviderApiError('transient', 'mercadopago API: a payment of an unexpected shape');
    if (String(result.data.id) !== paymentId) {
      return {
        park: `Mercado Pago's API answered for payment ${quoted(String(result.data.id), 40)}, not the one signed`,
      };
    }
    return result.data;
  }
}

const mercadopago: ProviderCode<PaymentReceived, MercadoPagoSettings> = {
  create,
  // 200 or 201 is delivered; anything else (202 included) is retried: one status for every intake.
  onlyStatus: 200,
  /**
   * A notification as Mercado Pago sends it: the body as it is, `data.id` and `type` in the URL, a
   * fresh x-request-id, and x-signature over them at `now`.
   */
  sign(body, secrets, now) {
    const event: unknown = JSON.parse(body);
    if (!isObject(event) || !isObject(event.data) || event.data.id === undefined) {
      throw new Error('Not a Mercado Pago notification: expected an object with data.id');
    }
    const dataId = String(event.data.id as string | number);
    const requestId = randomUUID();
    const ts = String(unixSeconds(now));
    const secret = firstSecret(secrets, 'MERCADOPAGO_WEBHOOK_SECRET');
    const v1 = hmac('sha256', secret, [mercadoPagoManifest({ dataId, requestId, ts })], 'hex');
    return {
      body,
      headers: {
        'content-type': 'application/json',
        'x-request-id': requestId,
        'x-signature': `ts=${ts},v1=${v1}`,
      },
      query: { 'data.id': dataId, type: typeof event.type === 'string' ? event.type : 'payment' },
    };
  },
  userAgent: 'MercadoPago WebHook v1.0 payment',
};

export default mercadopago;
