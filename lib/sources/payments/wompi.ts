import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import '#lib/zod-mini.ts';
import type { PaymentReceived } from '#lib/events.ts';
import { SignatureError } from '#lib/http/errors.ts';
import type { PaymentSource, RawRequest, SourceContext } from '../types.ts';
import { obligationTarget, parseJson, parseWith, safeEqual, secretList } from '../common.ts';

/**
 * Wompi Colombia (payment-gateways.md §4). `signature.checksum` is a plain SHA-256 (not an HMAC)
 * over the values named in `signature.properties` (paths inside `data`, in the order given),
 * then `timestamp`, then the events secret. Wompi signs values, not bytes. It retries only on
 * a status other than 200, so every answer that takes the event in is exactly 200.
 */
export interface WompiSettings {
  operation: string;
  /** Reads the target from `transaction.reference`: named groups wolkvox_id, obligation, optional operation. */
  referencePattern: RegExp;
}

export { DEFAULT_WOMPI_REFERENCE_PATTERN } from './wompi-reference.ts';

const timestamp = z.number().check(z.int(), z.nonnegative());
const nonEmpty = z.string().check(z.minLength(1));

const signed = z.lazy(() =>
  z.object({
    data: z.record(z.string(), z.unknown()),
    timestamp,
    signature: z.object({
      properties: z.array(nonEmpty).check(z.minLength(1)),
      checksum: nonEmpty,
    }),
  }),
);

const event = z.lazy(() =>
  z.object({
    event: nonEmpty,
    data: z.record(z.string(), z.unknown()),
    environment: z.optional(z.string()),
    timestamp,
    sent_at: z.optional(z.iso.datetime({ offset: true })),
  }),
);

const transaction = z.lazy(() =>
  z.object({
    id: nonEmpty,
    status: nonEmpty,
    amount_in_cents: z.number().check(z.int(), z.nonnegative()),
    currency: z.string().check(z.regex(/^[A-Z]{3}$/)),
    reference: z.string(),
    finalized_at: z.nullish(z.iso.datetime({ offset: true })),
  }),
);

function valueAt(data: Record<string, unknown>, path: string): string {
  let value: unknown = data;
  for (const key of path.split('.')) {
    value = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
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

export function wompiSource(settings: WompiSettings): PaymentSource {
  return {
    slug: 'wompi',
    onlyStatus: 200,

    verify(request: RawRequest, { secrets }: SourceContext) {
      const result = signed.safeParse(parseJson(request.body));
      if (!result.success) throw new SignatureError('no signature.properties, checksum or timestamp');
      const { data, timestamp, signature } = result.data;
      const given = signature.checksum.toLowerCase();
      const ok = secretList(secrets.WOMPI_EVENTS_SECRET, 'WOMPI_EVENTS_SECRET').some((secret) =>
        safeEqual(given, wompiChecksum(data, signature.properties, timestamp, secret)),
      );
      if (!ok) throw new SignatureError('checksum does not match');
    },

    normalize(request: RawRequest) {
      const body = parseWith(event, parseJson(request.body));
      if (body.event !== 'transaction.updated') {
        return { action: 'ignore', reason: `event ${body.event} is not a transaction update` };
      }
      const tx = parseWith(transaction, body.data.transaction, 'data.transaction');
      if (tx.status !== 'APPROVED') return { action: 'ignore', reason: `transaction status is ${tx.status}` };

      const groups = settings.referencePattern.exec(tx.reference)?.groups;
      const paidAt = tx.finalized_at ?? body.sent_at ?? new Date(body.timestamp * 1000).toISOString();
      const received: PaymentReceived = {
        kind: 'payment',
        eventId: `${tx.id}:${tx.status}:${body.timestamp}`,
        eventType: body.event,
        livemode: body.environment === 'prod',
        payment: {
          provider: 'wompi',
          paymentId: tx.id,
          // Wompi states every amount ×100, COP included (which trades in whole pesos).
          amount: { minor: tx.amount_in_cents, currency: tx.currency, exponent: 2 },
          paidAt: new Date(paidAt).toISOString(),
        },
        ...obligationTarget(
          {
            operation: groups?.operation,
            wolkvoxId: groups?.wolkvox_id,
            obligation: groups?.obligation,
          },
          settings.operation,
          `reference "${tx.reference.slice(0, 80)}" does not match WOMPI_REFERENCE_PATTERN`,
        ),
      };
      return { action: 'accept', event: received };
    },
  };
}
