import { createHmac } from 'node:crypto';
import * as z from 'zod/mini';
import '#lib/zod-mini.ts';
import type { PaymentReceived } from '#lib/events.ts';
import { quoted } from '#lib/excerpt.ts';
import { SignatureError } from '#lib/http/errors.ts';
import {
  firstSecret,
  isObject,
  obligationTarget,
  parseJson,
  parseWith,
  safeEqual,
  secretList,
} from '../../common.ts';
import type {
  Decision,
  PaymentProvider,
  ProviderCode,
  ProviderContext,
  RawRequest,
  Trust,
} from '../../types.ts';
import { decodedKey } from '../../schemes/hmac.ts';
import type { AdyenSettings } from './settings.ts';

/**
 * Adyen standard webhooks (payment-gateways.md §7). A request holds `notificationItems`, each with
 * `additionalData.hmacSignature`: base64 HMAC-SHA256, keyed by the **hex-decoded** HMAC key, of
 * `pspReference:originalReference:merchantAccountCode:merchantReference:value:currency:eventCode:success`
 * (a missing value is an empty field). Every item must verify or the whole request is refused
 * (401) and nothing of it is applied; then each is taken in on its own. Adyen signs no time and no
 * date: the payment's time is when it was verified. Adyen wants `[accepted]` (any 2xx since 2024).
 */

/** The signed fields, in Adyen's order. */
const SIGNED_FIELDS = [
  'pspReference',
  'originalReference',
  'merchantAccountCode',
  'merchantReference',
  'value',
  'currency',
  'eventCode',
  'success',
] as const;

/**
 * Adyen's minor-unit exponents where they are not 2 (docs.adyen.com/development-resources/currency-codes).
 * Adyen's own table, not ISO's: CLP is 2 at Adyen (ISO: 0), CVE 0 (ISO: 2).
 */
const ADYEN_EXPONENTS: Readonly<Record<string, number>> = {
  BHD: 3,
  CVE: 0,
  DJF: 0,
  GNF: 0,
  IDR: 0,
  IQD: 3,
  JOD: 3,
  JPY: 0,
  KMF: 0,
  KRW: 0,
  KWD: 3,
  LYD: 3,
  OMR: 3,
  PYG: 0,
  RWF: 0,
  TND: 3,
  UGX: 0,
  VND: 0,
  VUV: 0,
  XAF: 0,
  XOF: 0,
  XPF: 0,
};
export const adyenExponent = (currency: string) =>
  Object.hasOwn(ADYEN_EXPONENTS, currency) ? (ADYEN_EXPONENTS[currency] ?? 2) : 2;

const text = z.optional(z.string());

/** One NotificationRequestItem: what is signed, what decides, and the signature. */
const item = z.lazy(() =>
  z.object({
    pspReference: z.string().check(z.minLength(1), z.maxLength(80)),
    originalReference: text,
    merchantAccountCode: text,
    merchantReference: text,
    amount: z.object({
      value: z.number().check(z.int(), z.nonnegative(), z.maximum(Number.MAX_SAFE_INTEGER)),
      currency: z.string().check(z.regex(/^[A-Z]{3}$/)),
    }),
    eventCode: z.string().check(z.minLength(1)),
    success: z.string(),
    additionalData: z.optional(z.record(z.string(), z.unknown())),
  }),
);
type Item = z.infer<typeof item>;

const notification = z.lazy(() =>
  z.object({
    live: z.optional(z.string()),
    notificationItems: z
      .array(z.object({ NotificationRequestItem: z.unknown() }))
      .check(z.minLength(1), z.maxLength(100)),
  }),
);

/** The string Adyen signs for an item; exported for the signer and the tests (§10.5). */
export function adyenSigningString(i: Item): string {
  const fields: Record<(typeof SIGNED_FIELDS)[number], string> = {
    pspReference: i.pspReference,
    originalReference: i.originalReference ?? '',
    merchantAccountCode: i.merchantAccountCode ?? '',
    merchantReference: i.merchantReference ?? '',
    value: String(i.amount.value),
    currency: i.amount.currency,
    eventCode: i.eventCode,
    success: i.success,
  };
  return SIGNED_FIELDS.map((name) => fields[name]).join(':');
}

/** base64 HMAC-SHA256 with the hex-decoded key (strictly: a key that is not hex never verifies). */
export function adyenHmac(signingString: string, hexKey: string): string {
  return createHmac('sha256', decodedKey(hexKey, 'hex')).update(signingString, 'utf8').digest('base64');
}

export const adyenTrust: Trust = {
  covers: 'values',
  scheme:
    'per item, HMAC-SHA256 (base64) of pspReference:originalReference:merchantAccountCode:merchantReference:value:currency:eventCode:success with the hex ADYEN_HMAC_KEY',
  signed: SIGNED_FIELDS.map((name) =>
    name === 'value' || name === 'currency'
      ? `notificationItems.0.NotificationRequestItem.amount.${name}`
      : `notificationItems.0.NotificationRequestItem.${name}`,
  ),
  confirmed: [],
  unverified: [],
  replayWindowSeconds: null,
  replayWindow:
    'none signed: a replay carries the same pspReference, which the ledger applies once (for LEDGER_RETENTION_DAYS)',
};

function create(settings: AdyenSettings & { operation: string }): PaymentProvider {
  return {
    family: 'payments',
    slug: 'adyen',
    trust: adyenTrust,

    verify(request: RawRequest, { secrets }: ProviderContext) {
      const keys = secretList(secrets.ADYEN_HMAC_KEY, 'ADYEN_HMAC_KEY');
      const body = notification.safeParse(parseJson(request.body));
      if (!body.success) throw new SignatureError('no notificationItems');
      const items = body.data.notificationItems.map((entry) => {
        const parsed = item.safeParse(entry.NotificationRequestItem);
        if (!parsed.success) throw new SignatureError('a notification item lacks its signed fields');
        const given = parsed.data.additionalData?.hmacSignature;
        if (typeof given !== 'string') throw new SignatureError('a notification item has no hmacSignature');
        const signing = adyenSigningString(parsed.data);
        let ok = false;
        for (const key of keys) ok = safeEqual(given, adyenHmac(signing, key)) || ok;
        // One item that does not verify and the whole request is refused: nothing of it is applied.
        if (!ok) throw new SignatureError('an item’s hmacSignature does not match');
        return parsed.data;
      });
      return {
        read: (context: ProviderContext) => {
          const decisions = items.map((i) => decide(i, context.now()));
          return decisions.length === 1 && decisions[0] ? decisions[0] : { action: 'each', items: decisions };
        },
      };
    },
  };

  function decide(i: Item, verifiedAt: Date): Decision<PaymentReceived> {
    if (i.eventCode !== settings.paidEvent) {
      return {
        action: 'ignore',
        reason: `eventCode ${quoted(i.eventCode, 40)} is not ${settings.paidEvent} (ADYEN_PAID_EVENT)`,
      };
    }
    if (i.success !== 'true') return { action: 'ignore', reason: `${settings.paidEvent} did not succeed` };
    // A CAPTURE is a modification of the payment named by originalReference: the payment is the identity.
    const paymentId = (i.eventCode === 'CAPTURE' && i.originalReference) || i.pspReference;
    const reference = i.merchantReference ?? '';
    const groups = settings.referencePattern.exec(reference)?.groups;
    const received: PaymentReceived = {
      kind: 'payment',
      eventId: `${i.pspReference}:${i.eventCode}:${i.success}`,
      eventType: i.eventCode,
      // Test and live endpoints have different HMAC keys; `live` itself is unsigned (logs only).
      livemode: true,
      payment: {
        provider: 'adyen',
        paymentId,
        amount: {
          minor: i.amount.value,
          currency: i.amount.currency,
          exponent: adyenExponent(i.amount.currency),
        },
        // eventDate is not signed: the time the notification was verified stands in for it.
        paidAt: verifiedAt.toISOString(),
      },
      ...obligationTarget(
        { operation: groups?.operation, wolkvoxId: groups?.wolkvox_id, obligation: groups?.obligation },
        settings.operation,
        `merchantReference ${quoted(reference)} does not match ADYEN_REFERENCE_PATTERN`,
      ),
    };
    return { action: 'accept', event: received };
  }
}

const adyen: ProviderCode<PaymentReceived, AdyenSettings> = {
  create,
  onlyStatus: 200,
  // What Adyen's older integrations require, and harmless since it accepts any 2xx.
  acceptedBody: '[accepted]',
  /** Each item's hmacSignature computed with the first key; Adyen signs values, so JSON is re-serialized. */
  sign(body, secrets) {
    const key = firstSecret(secrets, 'ADYEN_HMAC_KEY');
    const event: unknown = JSON.parse(body);
    if (!isObject(event) || !Array.isArray(event.notificationItems)) {
      throw new Error('Not an Adyen notification: expected notificationItems');
    }
    const notificationItems = event.notificationItems.map((entry: unknown) => {
      const raw = isObject(entry) ? entry.NotificationRequestItem : undefined;
      const parsed = parseWith(item, raw, 'NotificationRequestItem');
      const hmacSignature = adyenHmac(adyenSigningString(parsed), key);
      const additionalData = isObject(raw) && isObject(raw.additionalData) ? raw.additionalData : {};
      return {
        NotificationRequestItem: { ...(raw as object), additionalData: { ...additionalData, hmacSignature } },
      };
    });
    return {
      body: JSON.stringify({ ...event, notificationItems }),
      headers: { 'content-type': 'application/json' },
    };
  },
  userAgent: 'Adyen HttpClient 1.0',
};

export default adyen;
