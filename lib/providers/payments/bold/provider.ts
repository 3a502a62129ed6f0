import * as z from 'zod/mini';
import '#lib/zod-mini.ts';
import type { PaymentReceived } from '#lib/events.ts';
import { quoted } from '#lib/excerpt.ts';
import { MalformedError, SignatureError } from '#lib/http/errors.ts';
import { firstSecret, obligationTarget, parseJson, parseWith, secretList } from '../../common.ts';
import { anySignatureMatches, checkSignedTime, hmac } from '../../schemes/hmac.ts';
import type { Decision, PaymentProvider, ProviderCode, RawRequest, Trust } from '../../types.ts';
import { minorOfNumber } from '../money.ts';
import type { BoldSettings } from './settings.ts';

/**
 * Bold, Colombia (docs/providers/bold.md). `x-bold-signature` is the lower-case hex HMAC-SHA256,
 * keyed by the merchant's llave secreta, of the standard Base64 of the raw body — what Bold's
 * webhook page describes and its own WooCommerce plugin computes
 * (`hash_hmac('sha256', base64_encode($request_body), $secret_key)`). The whole body is signed, so
 * everything read from it is Bold's; there is no signed header time, so the body's own `time`
 * (POSIX nanoseconds) bounds replays. Bold's docs say test notifications are signed with an empty
 * key: anyone can compute that, so it is never accepted (secretList refuses an empty key).
 */

/** How far ahead of our clock a signed `time` may be (clock skew). */
export const BOLD_FUTURE_SECONDS = 300;

const NANOSECONDS_PER_MS = 1_000_000;

/** Bold's currency when `data.amount` names none (an older example of its docs omits it). */
const DEFAULT_CURRENCY = 'COP';

const nonEmpty = z.string().check(z.minLength(1));

/**
 * `time` is POSIX nanoseconds (1761063334000000000), beyond Number.MAX_SAFE_INTEGER: parsed, it is
 * rounded by a few hundred nanoseconds, which a window of seconds does not notice. That is why the
 * body is only ever read, never rebuilt from the parsed value (the signature covers its bytes).
 */
const stamped = z.lazy(() => z.object({ time: z.number().check(z.positive()) }));

const envelope = z.lazy(() =>
  z.object({ id: z.optional(z.string()), type: nonEmpty, data: z.record(z.string(), z.unknown()) }),
);

const sale = z.lazy(() =>
  z.object({
    payment_id: nonEmpty,
    created_at: z.iso.datetime({ offset: true }),
    amount: z.object({
      currency: z.optional(z.string().check(z.regex(/^[A-Z]{3}$/i))),
      total: z.number().check(z.nonnegative()),
    }),
    // Datáfono sales may carry no reference: then the payment names no obligation and is parked.
    metadata: z.nullish(z.object({ reference: z.nullish(z.string()) })),
  }),
);

const voided = z.lazy(() => z.object({ payment_id: nonEmpty }));

/**
 * The signature Bold sends for `body` under `secretKey`: hex HMAC-SHA256 of the body's Base64.
 * Base64 of the bytes as received, as Bold's plugin encodes `php://input` (never of re-encoded
 * text). Exported for the signer and the tests.
 */
export function boldSignature(body: string | Buffer, secretKey: string): string {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return hmac('sha256', secretKey, [bytes.toString('base64')], 'hex');
}

export function boldTrust(maxAgeSeconds: number): Trust {
  return {
    covers: 'bytes',
    scheme:
      'HMAC-SHA256 (hex) of the Base64 of the raw body with BOLD_SECRET_KEY (x-bold-signature; any of several)',
    signed: [
      'type',
      'time',
      'data.payment_id',
      'data.amount.total',
      'data.amount.currency',
      'data.created_at',
      'data.metadata.reference',
    ],
    confirmed: [],
    unverified: [],
    replayWindowSeconds: maxAgeSeconds,
    replayWindow: `the body's signed time at most BOLD_MAX_AGE_SECONDS (${maxAgeSeconds} s) old, ${BOLD_FUTURE_SECONDS} s ahead`,
  };
}

function create(settings: BoldSettings & { operation: string }): PaymentProvider {
  return {
    family: 'payments',
    slug: 'bold',
    trust: boldTrust(settings.maxAgeSeconds),

    verify(request: RawRequest, { secrets, now }) {
      const given = request.headers['x-bold-signature']?.trim();
      if (!given) throw new SignatureError('no x-bold-signature header');
      const keys = secretList(secrets.BOLD_SECRET_KEY, 'BOLD_SECRET_KEY');
      if (!anySignatureMatches([given], keys, (key) => boldSignature(request.body, key), 'hex')) {
        throw new SignatureError('signature does not match');
      }
      // No signed header time: the body's `time`, covered by the HMAC, bounds how long a captured
      // notification can be replayed.
      const parsed = parseJson(request.body);
      const time = stamped.safeParse(parsed);
      if (!time.success) throw new SignatureError('no time in the body to bound replays');
      checkSignedTime(time.data.time / NANOSECONDS_PER_MS, now().getTime(), {
        maxAgeSeconds: settings.maxAgeSeconds,
        futureSeconds: BOLD_FUTURE_SECONDS,
        setting: 'BOLD_MAX_AGE_SECONDS',
      });
      return { read: () => read(parsed) };
    },
  };

  function read(parsed: unknown): Decision<PaymentReceived> {
    const body = parseWith(envelope, parsed);
    if (body.type === 'SALE_REJECTED') return { action: 'ignore', reason: 'sale rejected: nothing was paid' };
    if (body.type === 'VOID_APPROVED') {
      const of = voided.safeParse(body.data);
      const id = of.success ? ` (payment_id ${quoted(of.data.payment_id, 40)})` : '';
      return {
        action: 'ignore',
        reason: `a void${id} reverses a sale and is not applied automatically: an operator reverses the payment in wolkvox`,
      };
    }
    if (body.type !== 'SALE_APPROVED')
      return { action: 'ignore', reason: `type ${quoted(body.type, 40)} is not an approved sale` };

    const paid = parseWith(sale, body.data, 'data');
    // Whole pesos as a JSON number (59900), tip and taxes included; stated ×100 as every gateway's.
    const minor = minorOfNumber(paid.amount.total);
    if (minor === undefined) {
      throw new MalformedError(['data.amount.total: not an amount with at most 2 decimals']);
    }
    const reference = paid.metadata?.reference ?? undefined;
    const groups = reference === undefined ? undefined : settings.referencePattern.exec(reference)?.groups;
    const received: PaymentReceived = {
      kind: 'payment',
      // The notification's id, for logs only: whether a retry keeps it is unverified, so the
      // payment's identity is its payment_id (bold:<payment_id>), never this.
      eventId: body.id || `${paid.payment_id}:${body.type}`,
      eventType: body.type,
      // The body says nothing of the mode. Bold sends no notification for test-mode sales, and
      // "Probar el webhook" signs with an empty key, refused above: what verifies is taken as live.
      livemode: true,
      payment: {
        provider: 'bold',
        paymentId: paid.payment_id,
        amount: { minor, currency: (paid.amount.currency ?? DEFAULT_CURRENCY).toUpperCase(), exponent: 2 },
        paidAt: new Date(paid.created_at).toISOString(),
      },
      ...obligationTarget(
        { operation: groups?.operation, wolkvoxId: groups?.wolkvox_id, obligation: groups?.obligation },
        settings.operation,
        reference === undefined
          ? 'the sale has no data.metadata.reference naming a wolkvox obligation'
          : `reference ${quoted(reference)} does not match BOLD_REFERENCE_PATTERN`,
      ),
    };
    return { action: 'accept', event: received };
  }
}

/** The top-level `time` number as written; its digits are matched, never rebuilt from a parse. */
const TIME = /("time"\s*:\s*)(\d+)(?!\d)/g;

/**
 * A sample stamped now: its `time` (the only value the replay window reads) rewritten in place to
 * now in nanoseconds, every other byte as in the file, so the signature covers the sample as it
 * was written. Only the occurrence holding the top-level value changes.
 */
export function restampBold(body: string, now: Date): string {
  const ms = now.getTime();
  if (!Number.isFinite(ms)) throw new Error('Invalid signing time');
  const parsed: unknown = JSON.parse(body);
  const top =
    typeof parsed === 'object' && parsed !== null && 'time' in parsed
      ? (parsed as { time: unknown }).time
      : undefined;
  if (typeof top !== 'number')
    throw new Error('Not a Bold notification: expected a top-level numeric "time"');
  const nanoseconds = `${BigInt(ms) * 1_000_000n}`;
  let done = false;
  return body.replace(TIME, (match, key: string, digits: string) => {
    if (done || Number(digits) !== top) return match;
    done = true;
    return `${key}${nanoseconds}`;
  });
}

const bold: ProviderCode<PaymentReceived, BoldSettings> = {
  create,
  // Bold wants HTTP 200 within 2 s and retries otherwise: every answer that takes a notification in
  // (parked included) is exactly 200.
  onlyStatus: 200,
  /** `x-bold-signature` over the sample with its `time` set to now; nothing else is stamped. */
  sign(body, secrets, now) {
    const secretKey = firstSecret(secrets, 'BOLD_SECRET_KEY');
    const stamped = restampBold(body, now);
    return {
      body: stamped,
      headers: { 'content-type': 'application/json', 'x-bold-signature': boldSignature(stamped, secretKey) },
    };
  },
  // Bold does not document its User-Agent; local API Gateway events only.
  userAgent: 'Bold-Webhooks',
};

export default bold;
