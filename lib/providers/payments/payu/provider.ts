import { createHash, createHmac } from 'node:crypto';
import type { PaymentReceived } from '#lib/events.ts';
import { ServiceError } from '#lib/errors.ts';
import { quoted } from '#lib/excerpt.ts';
import { MalformedError, SignatureError } from '#lib/http/errors.ts';
import { MissingSecretError } from '#lib/secrets/index.ts';
import { firstSecret, obligationTarget, safeEqual, secretList } from '../../common.ts';
import type {
  Decision,
  PaymentProvider,
  ProviderCode,
  ProviderContext,
  RawRequest,
  Trust,
} from '../../types.ts';
import { formFields } from '../form.ts';
import { minorUnits } from '../money.ts';
import { PAYU_ALGORITHMS, type PayuAlgorithm, type PayuSettings } from './settings.ts';

/**
 * PayU Latam's confirmation page (payment-gateways.md §5): a form POST (a JSON object from the API's
 * notifyUrl) sent once a transaction reaches a final state. `sign` is a hash of
 * `ApiKey~merchant_id~reference_sale~new_value~currency~state_pol` — MD5 unless the account is set
 * to SHA1, SHA256 or HMAC-SHA256 — and covers nothing else: not transaction_id, not
 * transaction_date, not reference_pol, and no time at all. So everything this provider acts on is
 * one of those five values:
 * - the payment's identity is the signed `reference_sale` (PayU: once a reference is approved,
 *   later reports for it can be ignored). Each attempt of an order carries a new transaction_id,
 *   but it is unsigned: anyone holding a captured approval could change it to pass the same
 *   approval off as a new payment;
 * - the payment time is when the confirmation is verified here: PayU signs none (last_pay_date is
 *   the day the confirmation first arrived; a late retry can move it to a later day);
 * - the amount and currency are the signed `value` and `currency`; the obligation, the signed
 *   `reference_sale` read with PAYU_REFERENCE_PATTERN.
 * PayU counts only HTTP 200 as delivered and retries anything else, so every answer that takes a
 * confirmation in is exactly 200.
 */

/** The signed fields, as PayU names them in the form. */
export const PAYU_SIGNED_FIELDS = [
  'merchant_id',
  'reference_sale',
  'value',
  'currency',
  'state_pol',
] as const;

/** PayU's public sandbox merchant (its "Test your solution" page): its ApiKey is published too. */
export const PAYU_SANDBOX_MERCHANT_ID = '508029';

const APPROVED = '4';
/** state_pol values of the final states PayU reports besides an approval (response codes page). */
const STATE_NAMES: Readonly<Record<string, string>> = { '5': 'expired', '6': 'declined' };

const AMOUNT = /^(\d{1,15})(?:\.(\d{1,2}))?$/;
const CURRENCY = /^[A-Z]{3}$/;

/**
 * PayU's `new_value` (the amount as signed), computed on the text: `value` taken to two decimals
 * (PayU sends "up to two": `150`, `150.5`, `150.26`), then one decimal when the second is 0
 * (`150.00` → `150.0`, `150.20` → `150.2`), else both (`150.26`). undefined when `value` is not
 * such an amount, which no PayU signature covers.
 */
export function payuNewValue(value: string): string | undefined {
  const match = AMOUNT.exec(value);
  if (!match) return undefined;
  const [, whole = '', fraction = ''] = match;
  const two = fraction.padEnd(2, '0');
  return two.endsWith('0') ? `${whole}.${two.slice(0, 1)}` : `${whole}.${two}`;
}

export interface PayuSigned {
  merchantId: string;
  reference: string;
  value: string;
  currency: string;
  state: string;
}

/** `ApiKey~merchant_id~reference_sale~new_value~currency~state_pol`, or undefined for a `value` PayU cannot have signed. */
export function payuSignedString(apiKey: string, signed: PayuSigned): string | undefined {
  const newValue = payuNewValue(signed.value);
  if (newValue === undefined) return undefined;
  return [apiKey, signed.merchantId, signed.reference, newValue, signed.currency, signed.state].join('~');
}

/** The `sign` of a signed string, lower-case hex; hmac-sha256 needs its separate key. */
export function payuSign(text: string, algorithm: PayuAlgorithm, hmacKey?: string): string {
  if (algorithm === 'hmac-sha256') {
    if (hmacKey === undefined) throw new Error('hmac-sha256 needs PAYU_SIGNATURE_KEY');
    return createHmac('sha256', hmacKey).update(text, 'utf8').digest('hex');
  }
  return createHash(algorithm).update(text, 'utf8').digest('hex');
}

const ALGORITHM_NAMES: Readonly<Record<PayuAlgorithm, string>> = {
  md5: 'MD5',
  sha1: 'SHA-1',
  sha256: 'SHA-256',
  'hmac-sha256': 'HMAC-SHA256 (key PAYU_SIGNATURE_KEY)',
};

export function payuTrust(settings: Pick<PayuSettings, 'algorithm'>): Trust {
  return {
    covers: 'values',
    scheme: `${ALGORITHM_NAMES[settings.algorithm]} of PAYU_API_KEY~merchant_id~reference_sale~new_value~currency~state_pol (PAYU_SIGNATURE_ALGORITHM), merchant_id = PAYU_MERCHANT_ID`,
    signed: [...PAYU_SIGNED_FIELDS],
    confirmed: [],
    unverified: [],
    replayWindowSeconds: null,
    // The ledger remembers an identity for LEDGER_RETENTION_DAYS: the guide says what that leaves.
    replayWindow: 'none (no signed time): a replay repeats the signed reference_sale, applied once',
  };
}

/** The HMAC keys, when the account signs with HMAC-SHA256: without one nothing can be checked. */
function hmacKeys(settings: PayuSettings, secrets: Readonly<Record<string, string>>): (string | undefined)[] {
  if (settings.algorithm !== 'hmac-sha256') return [undefined];
  const keys = (secrets.PAYU_SIGNATURE_KEY ?? '')
    .split(',')
    .map((key) => key.trim())
    .filter(Boolean);
  // A configuration problem (503, logged at ERROR), not a stream of 401s PayU would give up on.
  if (keys.length === 0) throw new MissingSecretError('PAYU_SIGNATURE_KEY', 'the secret', 'missing');
  return keys;
}

const isTest = (flag: string | undefined) => flag === '1' || flag?.toLowerCase() === 'true';

function create(settings: PayuSettings & { operation: string }): PaymentProvider {
  return {
    family: 'payments',
    slug: 'payu',
    trust: payuTrust(settings),

    verify(request: RawRequest, { secrets }: ProviderContext) {
      const { merchantId } = settings;
      if (!merchantId) {
        // Without it any PayU merchant's confirmations would be believed: a configuration problem,
        // answered 503 (PayU retries) and logged at ERROR until someone sets it.
        throw new ServiceError(
          'secrets',
          'auth',
          'PAYU_MERCHANT_ID is not configured: PayU confirmations cannot be checked (docs/providers/payu.md)',
        );
      }
      const fields = formFields(request);
      const given = fields.get('sign');
      const [merchant, reference, value, currency, state] = PAYU_SIGNED_FIELDS.map((name) =>
        fields.get(name),
      );
      if (
        given === undefined ||
        merchant === undefined ||
        reference === undefined ||
        value === undefined ||
        currency === undefined ||
        state === undefined
      ) {
        throw new SignatureError('no sign, or a field it signs is missing');
      }
      // The ApiKey belongs to one merchant, but a confirmation for another is not ours to apply.
      if (!safeEqual(merchant, merchantId)) throw new SignatureError('merchant_id is not PAYU_MERCHANT_ID');
      const signed: PayuSigned = { merchantId: merchant, reference, value, currency, state };
      const apiKeys = secretList(secrets.PAYU_API_KEY, 'PAYU_API_KEY');
      const keys = hmacKeys(settings, secrets);
      const expected = apiKeys.flatMap((apiKey) => {
        const text = payuSignedString(apiKey, signed);
        return text === undefined ? [] : keys.map((key) => payuSign(text, settings.algorithm, key));
      });
      if (expected.length === 0) throw new SignatureError('value is not an amount PayU signs');
      const sign = given.toLowerCase();
      if (!expected.some((candidate) => safeEqual(sign, candidate))) {
        throw new SignatureError('sign does not match');
      }
      return { read: (context: ProviderContext) => read(signed, fields.get('test'), context) };
    },
  };

  function read(
    signed: PayuSigned,
    testFlag: string | undefined,
    { now }: ProviderContext,
  ): Decision<PaymentReceived> {
    const { reference, value, currency, state } = signed;
    if (state !== APPROVED) {
      const name = STATE_NAMES[state];
      return {
        action: 'ignore',
        reason: name
          ? `state_pol ${state} (${name}): not an approval`
          : `state_pol ${quoted(state, 20)} is not an approval (4)`,
      };
    }
    const sandbox = signed.merchantId === PAYU_SANDBOX_MERCHANT_ID;
    // `test` is unsigned, so it is used only to do less: a test transaction on a production
    // merchant moved no money and must not reduce a debt. Whoever changes it can only get a
    // genuine payment ignored, which dropping the request would do as well.
    if (!sandbox && isTest(testFlag)) {
      return { action: 'ignore', reason: 'a test transaction (test=1): no money moved' };
    }
    const minor = minorUnits(value);
    const problems = [
      ...(reference.trim() === '' ? ['reference_sale: is empty'] : []),
      ...(minor === undefined ? [`value: ${quoted(value, 20)} is not an amount`] : []),
      ...(CURRENCY.test(currency) ? [] : [`currency: ${quoted(currency, 10)} is not an ISO 4217 code`]),
    ];
    if (minor === undefined || problems.length > 0) throw new MalformedError(problems);

    const groups = settings.referencePattern.exec(reference)?.groups;
    const received: PaymentReceived = {
      kind: 'payment',
      // From signed values only, as the identity: a changed transaction_id must change nothing.
      eventId: `${reference}:${state}`,
      eventType: 'confirmation',
      // PayU signs nothing that says live or test but the merchant: its public sandbox merchant is test.
      livemode: !sandbox,
      payment: {
        provider: 'payu',
        paymentId: reference,
        amount: { minor, currency, exponent: 2 },
        paidAt: now().toISOString(),
      },
      ...obligationTarget(
        { operation: groups?.operation, wolkvoxId: groups?.wolkvox_id, obligation: groups?.obligation },
        settings.operation,
        `reference_sale ${quoted(reference)} does not match PAYU_REFERENCE_PATTERN`,
      ),
    };
    return { action: 'accept', event: received };
  }
}

const isAlgorithm = (name: string): name is PayuAlgorithm =>
  (PAYU_ALGORITHMS as readonly string[]).includes(name);

function isStringRecord(value: unknown): value is Record<string, string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((item) => typeof item === 'string')
  );
}

const payu: ProviderCode<PaymentReceived, PayuSettings> = {
  create,
  // PayU counts only HTTP 200 as delivered: parked answers too.
  onlyStatus: 200,
  /**
   * A sample (a JSON object of the form's fields as text) as PayU posts it: `sign` computed with the
   * first PAYU_API_KEY over the sample's own merchant_id (the local PAYU_MERCHANT_ID must name the
   * same), with PAYU_SIGNATURE_ALGORITHM and PAYU_SIGNATURE_KEY when the local environment sets
   * them, MD5 otherwise; sent x-www-form-urlencoded.
   */
  sign(body, secrets) {
    const apiKey = firstSecret(secrets, 'PAYU_API_KEY');
    const fields: unknown = JSON.parse(body);
    if (!isStringRecord(fields)) {
      throw new Error('Not a PayU confirmation: expected a JSON object of form fields, each a string');
    }
    const missing = PAYU_SIGNED_FIELDS.filter((name) => fields[name] === undefined);
    if (missing.length > 0) throw new Error(`Not a PayU confirmation: no ${missing.join(', ')}`);
    const algorithm = secrets.PAYU_SIGNATURE_ALGORITHM?.trim().toLowerCase() || 'md5';
    if (!isAlgorithm(algorithm)) {
      throw new Error(`PAYU_SIGNATURE_ALGORITHM must be one of ${PAYU_ALGORITHMS.join(', ')}`);
    }
    const text = payuSignedString(apiKey, {
      merchantId: fields.merchant_id ?? '',
      reference: fields.reference_sale ?? '',
      value: fields.value ?? '',
      currency: fields.currency ?? '',
      state: fields.state_pol ?? '',
    });
    if (text === undefined) throw new Error('Not a PayU confirmation: value is not an amount');
    const hmacKey = algorithm === 'hmac-sha256' ? firstSecret(secrets, 'PAYU_SIGNATURE_KEY') : undefined;
    const form = new URLSearchParams({ ...fields, sign: payuSign(text, algorithm, hmacKey) });
    return {
      body: form.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    };
  },
  userAgent: 'PayU',
};

export default payu;
