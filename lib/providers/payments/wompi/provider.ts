import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import '#lib/zod-mini.ts';
import type { PaymentReceived } from '#lib/events.ts';
import { excerpt, quoted } from '#lib/excerpt.ts';
import { SignatureError } from '#lib/http/errors.ts';
import { getJson, ProviderApiError } from '../../api.ts';
import {
  firstSecret,
  isObject,
  obligationTarget,
  parseJson,
  parseWith,
  safeEqual,
  secretList,
  unixSeconds,
} from '../../common.ts';
import { checkSignedTime } from '../../schemes/hmac.ts';
import type {
  Decision,
  PaymentProvider,
  ProviderCode,
  ProviderContext,
  RawRequest,
  Trust,
} from '../../types.ts';
import type { WompiSettings } from './settings.ts';

/**
 * Wompi Colombia (payment-gateways.md §4). `signature.checksum` is a plain SHA-256 (not an HMAC)
 * over the values named in `signature.properties` (paths inside `data`, in the order given),
 * then `timestamp`, then the events secret. Wompi signs values, not bytes, and the sender chooses
 * the list: so the list must name the transaction's id, status and amount, or the checksum proves
 * nothing about them. What Wompi leaves unsigned and we use — the reference (which obligation),
 * the currency and the payment time — is confirmed with Wompi's API (GET /v1/transactions/{id} on
 * the host WOMPI_API_URL names, never one the event names). Wompi retries only on a status other
 * than 200, so every answer that takes the event in is exactly 200.
 */

/** The values the checksum must cover before the service believes a transaction event. */
export const WOMPI_REQUIRED_PROPERTIES = [
  'transaction.id',
  'transaction.status',
  'transaction.amount_in_cents',
] as const;

/** How far ahead of our clock a signed timestamp may be (clock skew). */
export const WOMPI_FUTURE_SECONDS = 300;

const timestamp = z.number().check(z.int(), z.nonnegative());
const nonEmpty = z.string().check(z.minLength(1));

const signed = z.lazy(() =>
  z.object({
    event: z.optional(z.string()),
    data: z.record(z.string(), z.unknown()),
    timestamp,
    signature: z.object({
      properties: z.array(nonEmpty).check(z.minLength(1)),
      checksum: nonEmpty,
    }),
  }),
);

const event = z.lazy(() => z.object({ event: nonEmpty, data: z.record(z.string(), z.unknown()) }));

const amountInCents = z.number().check(z.int(), z.nonnegative(), z.maximum(Number.MAX_SAFE_INTEGER));
const currency = z.string().check(z.regex(/^[A-Z]{3}$/));
const instant = z.nullish(z.iso.datetime({ offset: true }));

/** What the checksum covers (WOMPI_REQUIRED_PROPERTIES): read from the event. */
const transaction = z.lazy(() =>
  z.object({ id: nonEmpty, status: nonEmpty, amount_in_cents: amountInCents }),
);

/** What Wompi leaves unsigned: read from the event only with WOMPI_CONFIRM=false. */
const unsignedFields = z.lazy(() => z.object({ reference: z.string(), currency, finalized_at: instant }));

/** GET /v1/transactions/{id}: `{ data: { … } }`. */
const apiTransaction = z.lazy(() =>
  z.object({
    data: z.object({
      id: nonEmpty,
      status: nonEmpty,
      amount_in_cents: amountInCents,
      currency,
      reference: z.string(),
      finalized_at: instant,
      created_at: instant,
    }),
  }),
);

type Transaction = z.infer<typeof transaction>;

function valueAt(data: Record<string, unknown>, path: string): string {
  let value: unknown = data;
  for (const key of path.split('.')) {
    value =
      value && typeof value === 'object' && Object.hasOwn(value, key)
        ? (value as Record<string, unknown>)[key]
        : undefined;
  }
  // Wompi's documented pitfall: a null value contributes an empty string.
  return value === null || value === undefined ? '' : String(value);
}

/** The checksum Wompi computes; exported for the local signer and tests. */
export function wompiChecksum(
  data: Record<string, unknown>,
  properties: string[],
  timestamp: number,
  secret: string,
) {
  const concatenated = properties.map((path) => valueAt(data, path)).join('') + String(timestamp) + secret;
  return createHash('sha256').update(concatenated, 'utf8').digest('hex');
}

export function wompiTrust(settings: Pick<WompiSettings, 'confirm' | 'maxAgeSeconds'>): Trust {
  const unsigned = [
    'data.transaction.reference',
    'data.transaction.currency',
    'data.transaction.finalized_at',
  ];
  return {
    covers: 'values',
    scheme:
      'SHA-256 of the values signature.properties names (which must include transaction.id, status and amount_in_cents), the timestamp and WOMPI_EVENTS_SECRET',
    signed: [...WOMPI_REQUIRED_PROPERTIES.map((path) => `data.${path}`), 'timestamp'],
    confirmed: settings.confirm ? unsigned : [],
    unverified: settings.confirm ? [] : unsigned,
    replayWindowSeconds: settings.maxAgeSeconds,
    replayWindow: `signed timestamp at most WOMPI_MAX_AGE_SECONDS (${settings.maxAgeSeconds} s) old, ${WOMPI_FUTURE_SECONDS} s ahead`,
  };
}

function create(settings: WompiSettings & { operation: string }): PaymentProvider {
  return {
    family: 'payments',
    slug: 'wompi',
    trust: wompiTrust(settings),

    verify(request: RawRequest, { secrets, now }: ProviderContext) {
      const result = signed.safeParse(parseJson(request.body));
      if (!result.success) throw new SignatureError('no signature.properties, checksum or timestamp');
      const { data, timestamp, signature } = result.data;
      const given = signature.checksum.toLowerCase();
      const secret = secretList(secrets.WOMPI_EVENTS_SECRET, 'WOMPI_EVENTS_SECRET').find((candidate) =>
        safeEqual(given, wompiChecksum(data, signature.properties, timestamp, candidate)),
      );
      if (secret === undefined) throw new SignatureError('checksum does not match');
      // The sender picks the list: a checksum over anything else proves nothing about the money.
      if (result.data.event === 'transaction.updated') {
        const missing = WOMPI_REQUIRED_PROPERTIES.filter((path) => !signature.properties.includes(path));
        if (missing.length > 0) throw new SignatureError(`signature.properties lacks ${missing.join(', ')}`);
      }
      checkSignedTime(timestamp * 1000, now().getTime(), {
        maxAgeSeconds: settings.maxAgeSeconds,
        futureSeconds: WOMPI_FUTURE_SECONDS,
        setting: 'WOMPI_MAX_AGE_SECONDS',
      });
      // The secret that verified tells the environment (prod_events_… / test_events_…); the body's
      // `environment` is not signed.
      const livemode = secret.startsWith('prod_');
      return { read: (context: ProviderContext) => read(request, timestamp, livemode, context) };
    },
  };

  async function read(
    request: RawRequest,
    signedAt: number,
    livemode: boolean,
    context: ProviderContext,
  ): Promise<Decision<PaymentReceived>> {
    const body = parseWith(event, parseJson(request.body));
    if (body.event !== 'transaction.updated') {
      return { action: 'ignore', reason: `event ${quoted(body.event, 40)} is not a transaction update` };
    }
    const tx = parseWith(transaction, body.data.transaction, 'data.transaction');
    if (tx.status !== 'APPROVED')
      return { action: 'ignore', reason: `transaction status is ${quoted(tx.status, 20)}` };

    const eventId = `${tx.id}:${tx.status}:${signedAt}`;
    let paid: { reference: string; currency: string; paidAt: string };
    if (settings.confirm) {
      const confirmed = await confirm(tx, body.data.transaction, signedAt, context);
      if ('park' in confirmed) {
        return { action: 'park', reason: confirmed.park, eventId, summary: { paymentId: tx.id } };
      }
      paid = confirmed;
    } else {
      // WOMPI_CONFIRM=false: the reference, currency and time are believed as sent (the guide says the cost).
      const sent = parseWith(unsignedFields, body.data.transaction, 'data.transaction');
      paid = {
        reference: sent.reference,
        currency: sent.currency,
        paidAt: sent.finalized_at ?? new Date(signedAt * 1000).toISOString(),
      };
    }

    const groups = settings.referencePattern.exec(paid.reference)?.groups;
    const received: PaymentReceived = {
      kind: 'payment',
      eventId,
      eventType: body.event,
      livemode,
      payment: {
        provider: 'wompi',
        paymentId: tx.id,
        // Wompi states every amount ×100, COP included (which trades in whole pesos).
        amount: { minor: tx.amount_in_cents, currency: paid.currency, exponent: 2 },
        paidAt: new Date(paid.paidAt).toISOString(),
      },
      ...obligationTarget(
        { operation: groups?.operation, wolkvoxId: groups?.wolkvox_id, obligation: groups?.obligation },
        settings.operation,
        `reference ${quoted(paid.reference)} does not match WOMPI_REFERENCE_PATTERN`,
      ),
    };
    return { action: 'accept', event: received };
  }

  /**
   * Wompi's own record of the transaction: the reference, currency and time it gives win over the
   * event's. It must agree with what the checksum covers (id, APPROVED, amount); if it does not,
   * or does not know the transaction, the event is parked for an operator, never guessed at.
   */
  async function confirm(
    tx: Transaction,
    sent: unknown,
    signedAt: number,
    { secrets, signal, logger }: ProviderContext,
  ): Promise<{ reference: string; currency: string; paidAt: string } | { park: string }> {
    const key = secrets.WOMPI_PRIVATE_KEY?.trim();
    const answer = await getJson(`${settings.apiUrl}/v1/transactions/${encodeURIComponent(tx.id)}`, {
      provider: 'wompi',
      headers: key ? { authorization: `Bearer ${key}` } : {},
      signal,
    });
    if (answer.status === 404) {
      // Wompi answers 404 to lookups without the private key too: only with one is it "unknown".
      if (!key) throw new ProviderApiError('auth', 'wompi API: HTTP 404 without WOMPI_PRIVATE_KEY (set it)');
      return {
        park: `Wompi's API (${settings.apiUrl}) does not know transaction ${quoted(tx.id, 40)}: an event from another environment?`,
      };
    }
    const result = apiTransaction.safeParse(answer.body);
    if (!result.success)
      throw new ProviderApiError('transient', 'wompi API: a transaction of an unexpected shape');
    const known = result.data.data;
    const disagrees = (['id', 'status', 'amount_in_cents'] as const).filter(
      (field) => known[field] !== tx[field],
    );
    if (disagrees.length > 0) {
      return {
        park: `Wompi's API disagrees with the signed event on ${disagrees.join(', ')} (now ${quoted(known.status, 20)}): check the transaction before redriving`,
      };
    }
    // For the operator: the event said something else (a test event, a tampered replay).
    const said = (sent ?? {}) as Record<string, unknown>;
    const differs = (['reference', 'currency', 'finalized_at'] as const).filter(
      (field) => Object.hasOwn(said, field) && said[field] !== known[field],
    );
    if (differs.length > 0) {
      logger.warn('wompi event differs from the API; the API wins', {
        transaction: excerpt(tx.id),
        fields: differs,
      });
    }
    return {
      reference: known.reference,
      currency: known.currency,
      paidAt: known.finalized_at ?? known.created_at ?? new Date(signedAt * 1000).toISOString(),
    };
  }
}

const wompi: ProviderCode<PaymentReceived, WompiSettings> = {
  create,
  // Wompi retries on any status but exactly 200 (201 and 204 included): parked answers too.
  onlyStatus: 200,
  /** A sample stamped now: the checksum over its listed properties, the timestamp and `sent_at`. */
  sign(body, secrets, now) {
    const secret = firstSecret(secrets, 'WOMPI_EVENTS_SECRET');
    const event: unknown = JSON.parse(body);
    if (!isObject(event) || !isObject(event.data) || !isObject(event.signature)) {
      throw new Error('Not a Wompi event: expected an object with data and signature');
    }
    const { properties } = event.signature;
    if (!Array.isArray(properties) || !properties.every((p): p is string => typeof p === 'string')) {
      throw new Error('Not a Wompi event: signature.properties must be an array of strings');
    }
    const timestamp = unixSeconds(now);
    // Upper case as Wompi shows it; the verifier compares case-insensitively.
    const checksum = wompiChecksum(event.data, properties, timestamp, secret).toUpperCase();
    const signed = {
      ...event,
      signature: { ...event.signature, checksum },
      timestamp,
      sent_at: now.toISOString(),
    };
    return {
      // Wompi signs values, not bytes, so a compact re-serialization (as a real delivery) is safe.
      body: JSON.stringify(signed),
      headers: { 'content-type': 'application/json', 'x-event-checksum': checksum },
    };
  },
  userAgent: 'Wompi',
};

export default wompi;
