import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import '#lib/zod-mini.ts';
import type { PaymentReceived } from '#lib/events.ts';
import { excerpt, quoted } from '#lib/excerpt.ts';
import { MalformedError, SignatureError } from '#lib/http/errors.ts';
import { getJson, type ApiAnswer } from '../../api.ts';
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
import { bogotaTime, minorUnits } from '../money.ts';
import type { EpaycoSettings } from './settings.ts';

/**
 * ePayco (payment-gateways.md §6). A confirmation is a set of form fields — an
 * x-www-form-urlencoded POST, or a GET query string when the merchant chose `method_confirmation`
 * GET — and `x_signature` is a plain SHA-256 (not an HMAC) of
 * `p_cust_id_cliente^p_key^x_ref_payco^x_transaction_id^x_amount^x_currency_code`, the values
 * exactly as sent. That covers which payment and how much, nothing else: the state, the invoice
 * (which obligation) and the date travel unsigned. So they are read from ePayco's own record of the
 * reference (GET /validation/v1/reference/{x_ref_payco} on the host EPAYCO_API_URL names, never one
 * the request names), which must agree with the signed values. No time is signed either: a replay
 * is harmless because the payment's identity is the signed x_ref_payco and the ledger applies each
 * one once. ePayco wants 200 for anything it should not send again.
 */

/** The values `x_signature` covers, in the order they are joined (after the customer id and P_KEY). */
export const EPAYCO_SIGNED_FIELDS = [
  'x_ref_payco',
  'x_transaction_id',
  'x_amount',
  'x_currency_code',
] as const;

/** The unsigned values the service needs, taken from ePayco's API instead of the confirmation. */
export const EPAYCO_CONFIRMED_FIELDS = [
  'x_cod_transaction_state',
  'x_id_invoice',
  'x_transaction_date',
] as const;

/** `x_cod_transaction_state` 1: "Aceptada", the only state that credits a payment. */
export const EPAYCO_ACCEPTED = 1;

/**
 * The state codes, for reasons: the WooCommerce plugin's switch (1–4, 6, 7, 10, 11) and community
 * code (8, 9, 12). An unlisted code is named by its number.
 */
const STATES = new Map<number, string>([
  [1, 'accepted'],
  [2, 'rejected'],
  [3, 'pending'],
  [4, 'failed'],
  [6, 'reversed'],
  [7, 'held'],
  [8, 'started'],
  [9, 'expired'],
  [10, 'abandoned'],
  [11, 'cancelled'],
  [12, 'anti-fraud'],
]);

/** A numeric ref_payco (legacy checkout) or a 24-hex one (the new checkout): it goes into a URL path. */
const REFERENCE = /^[a-z0-9-]{1,64}$/i;
const CURRENCY = /^[A-Z]{3}$/;
const STATE_CODE = /^\d{1,4}$/;

type SignedValues = Record<(typeof EPAYCO_SIGNED_FIELDS)[number], string>;

/** The signature ePayco computes; exported for the local signer and tests. */
export function epaycoSignature(customerId: string, pKey: string, values: SignedValues): string {
  const joined = [customerId, pKey, ...EPAYCO_SIGNED_FIELDS.map((name) => values[name])].join('^');
  return createHash('sha256').update(joined, 'utf8').digest('hex');
}

/** A state code as ePayco writes it (a number, or its digits as text); 0, absent or anything else is none. */
export function stateCode(value: unknown): number | undefined {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  if (!STATE_CODE.test(text)) return undefined;
  const code = Number(text);
  return code === 0 ? undefined : code;
}

/** `x_cod_transaction_state`, or `x_cod_response` when the state is 0 or absent (the plugin's fallback). */
export function transactionState(state: unknown, response: unknown): number | undefined {
  return stateCode(state) ?? stateCode(response);
}

const describeState = (code: number) => `${code} (${STATES.get(code) ?? 'unknown'})`;

export function epaycoTrust(): Trust {
  return {
    covers: 'values',
    scheme:
      'SHA-256 of EPAYCO_CUSTOMER_ID^EPAYCO_P_KEY^x_ref_payco^x_transaction_id^x_amount^x_currency_code (x_signature; any pair of several)',
    signed: [...EPAYCO_SIGNED_FIELDS],
    confirmed: [...EPAYCO_CONFIRMED_FIELDS],
    unverified: [],
    replayWindowSeconds: null,
    // Nothing signed is a time, so any old confirmation verifies: harmless, since the identity is the
    // signed x_ref_payco and state, invoice and date are the API's current ones.
    replayWindow: 'none (ePayco signs no time): the ledger applies each signed x_ref_payco once',
  };
}

const textOrNumber = z.union([z.string(), z.number()]);
const optionalText = z.optional(z.nullable(textOrNumber));

/**
 * `data` of GET /validation/v1/reference/{ref_payco} (researched, not documented): numbers where
 * the legacy API answers numbers, text in other answers seen; both are read as text.
 */
const apiTransaction = z.lazy(() =>
  z.object({
    x_ref_payco: textOrNumber,
    x_transaction_id: textOrNumber,
    x_amount: textOrNumber,
    x_currency_code: z.string(),
    x_cust_id_cliente: optionalText,
    x_id_invoice: optionalText,
    x_id_factura: optionalText,
    x_cod_transaction_state: optionalText,
    x_cod_response: optionalText,
    x_transaction_date: optionalText,
    x_test_request: z.optional(z.nullable(z.union([z.string(), z.boolean()]))),
  }),
);

type ApiTransaction = z.infer<typeof apiTransaction>;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const filled = (value: string | number | null | undefined): string | undefined => {
  const text = value === null || value === undefined ? '' : String(value).trim();
  return text === '' ? undefined : text;
};

/**
 * The transaction in an answer of ePayco's validation endpoint, or undefined when the answer says
 * ePayco does not know the reference. That answer is undocumented, so any of these counts: 404 (or
 * another status but 200), `success` not true, `status` false, or no `data` (the legacy endpoint
 * answers `data: []`).
 */
function knownTransaction(answer: ApiAnswer): unknown {
  const { status, body } = answer;
  if (status !== 200 || !isObject(body) || body.success !== true || body.status === false) return undefined;
  const { data } = body;
  return isObject(data) && Object.keys(data).length > 0 ? data : undefined;
}

function create(settings: EpaycoSettings & { operation: string }): PaymentProvider {
  return {
    family: 'payments',
    slug: 'epayco',
    trust: epaycoTrust(),

    verify(request: RawRequest, { secrets, now }: ProviderContext) {
      // The body's fields, or the query's when the body is empty (a GET confirmation): untrusted
      // alike until the signature over them passes.
      const fields = formFields(request);
      const given = fields.get('x_signature')?.trim().toLowerCase();
      const signed = {} as SignedValues;
      for (const name of EPAYCO_SIGNED_FIELDS) {
        const value = fields.get(name);
        if (!value) throw new SignatureError('no x_signature or signed values');
        // `^` joins the values: one inside a value could move a boundary under the same signature.
        if (value.includes('^')) throw new SignatureError('a signed value contains the separator ^');
        signed[name] = value;
      }
      if (!given) throw new SignatureError('no x_signature or signed values');
      const customers = secretList(secrets.EPAYCO_CUSTOMER_ID, 'EPAYCO_CUSTOMER_ID');
      const keys = secretList(secrets.EPAYCO_P_KEY, 'EPAYCO_P_KEY');
      // Every pair is tried: during a rotation either list may hold the old value and the new.
      const signers = customers.filter((customer) =>
        keys.some((key) => safeEqual(given, epaycoSignature(customer, key, signed))),
      );
      if (signers.length === 0) throw new SignatureError('x_signature does not match');
      // The confirmation names the merchant it is for: it must be the one whose key signed it.
      const named = fields.get('x_cust_id_cliente');
      const customer = named === undefined ? signers[0] : signers.find((candidate) => candidate === named);
      if (customer === undefined) throw new SignatureError('x_cust_id_cliente is not the signing customer');
      const verifiedAt = now();
      return { read: (context: ProviderContext) => read(fields, signed, customer, verifiedAt, context) };
    },
  };

  async function read(
    fields: Map<string, string>,
    signed: SignedValues,
    customer: string,
    verifiedAt: Date,
    context: ProviderContext,
  ): Promise<Decision<PaymentReceived>> {
    const { x_ref_payco: reference, x_transaction_id: transactionId, x_currency_code: currency } = signed;
    const minor = minorUnits(signed.x_amount);
    const problems: string[] = [];
    if (!REFERENCE.test(reference)) {
      problems.push(`x_ref_payco: ${quoted(reference, 40)} is not an ePayco reference`);
    }
    if (minor === undefined) {
      problems.push(`x_amount: ${quoted(signed.x_amount, 24)} is not an amount in major units`);
    }
    if (!CURRENCY.test(currency))
      problems.push(`x_currency_code: ${quoted(currency, 8)} is not a currency code`);
    if (problems.length > 0 || minor === undefined) throw new MalformedError(problems);

    // Ignoring is harmless and crediting is not: an unsigned state that says "not accepted" may end
    // the matter without a call; one that says accepted (or nothing readable) is asked of the API.
    const said = transactionState(fields.get('x_cod_transaction_state'), fields.get('x_cod_response'));
    if (said !== undefined && said !== EPAYCO_ACCEPTED) {
      return { action: 'ignore', reason: `the confirmation says transaction state ${describeState(said)}` };
    }

    const eventId = `${reference}:${transactionId}`;
    const park = (reason: string): Decision<PaymentReceived> => ({
      action: 'park',
      reason,
      eventId,
      summary: { paymentId: reference },
    });

    const answer = await getJson(
      `${settings.apiUrl}/validation/v1/reference/${encodeURIComponent(reference)}`,
      { provider: 'epayco', signal: context.signal },
    );
    const data = knownTransaction(answer);
    if (data === undefined) {
      return park(
        `ePayco's API (${settings.apiUrl}) does not know reference ${quoted(reference, 40)}: a test transaction, or another environment's?`,
      );
    }
    const result = apiTransaction.safeParse(data);
    if (!result.success) {
      const paths = [...new Set(result.error.issues.map((issue) => issue.path.join('.')))].slice(0, 5);
      return park(
        `ePayco's API answered reference ${quoted(reference, 40)} without a readable ${paths.join(', ')}: check the transaction before redriving`,
      );
    }
    const known = result.data;

    const disagrees: string[] = [];
    if (String(known.x_ref_payco) !== reference) disagrees.push('x_ref_payco');
    if (String(known.x_transaction_id) !== transactionId) disagrees.push('x_transaction_id');
    // The API's amount is a JSON number (62000) where the confirmation says "62000.00": as minor units.
    if (minorUnits(String(known.x_amount)) !== minor) disagrees.push('x_amount');
    if (known.x_currency_code !== currency) disagrees.push('x_currency_code');
    // The endpoint answers for any merchant's reference: it must be ours.
    const owner = filled(known.x_cust_id_cliente);
    if (owner !== undefined && owner !== customer) disagrees.push('x_cust_id_cliente');
    if (disagrees.length > 0) {
      return park(
        `ePayco's API disagrees with the signed confirmation on ${disagrees.join(', ')}: check the transaction before redriving`,
      );
    }

    const state = transactionState(known.x_cod_transaction_state, known.x_cod_response);
    if (state === undefined) {
      return park(`ePayco's API gives reference ${quoted(reference, 40)} no transaction state`);
    }
    if (state !== EPAYCO_ACCEPTED) {
      return { action: 'ignore', reason: `ePayco's API says transaction state ${describeState(state)}` };
    }

    warnOfDifferences(fields, known, reference, context);
    const invoice = filled(known.x_id_invoice) ?? filled(known.x_id_factura);
    const groups = invoice === undefined ? undefined : settings.referencePattern.exec(invoice)?.groups;
    const date = filled(known.x_transaction_date);
    const received: PaymentReceived = {
      kind: 'payment',
      eventId,
      eventType: 'confirmation',
      // The API's x_test_request, not the confirmation's (unsigned): "TRUE" is a test transaction.
      livemode: String(known.x_test_request ?? '').toUpperCase() !== 'TRUE',
      payment: {
        provider: 'epayco',
        paymentId: reference,
        // x_amount is major units as text ("62000.00" or "424265"); COP is ISO 2-decimal, as Wompi states it.
        amount: { minor, currency, exponent: 2 },
        // A local time without a zone: ePayco is Colombian, so Bogotá's (UTC−5, no daylight saving).
        paidAt: (date === undefined ? undefined : bogotaTime(date)) ?? verifiedAt.toISOString(),
      },
      ...obligationTarget(
        { operation: groups?.operation, wolkvoxId: groups?.wolkvox_id, obligation: groups?.obligation },
        settings.operation,
        invoice === undefined
          ? `ePayco's record of reference ${quoted(reference, 40)} has no invoice (x_id_invoice)`
          : `invoice ${quoted(invoice)} does not match EPAYCO_REFERENCE_PATTERN`,
      ),
    };
    return { action: 'accept', event: received };
  }
}

/** For the operator: the confirmation said something else than ePayco's record (the record wins). */
function warnOfDifferences(
  fields: Map<string, string>,
  known: ApiTransaction,
  reference: string,
  { logger }: ProviderContext,
): void {
  const differs = (['x_id_invoice', 'x_transaction_date'] as const).filter((name) => {
    const sent = fields.get(name);
    return sent !== undefined && sent !== String(known[name] ?? '');
  });
  if (differs.length > 0) {
    logger.warn('epayco confirmation differs from the API; the API wins', {
      reference: excerpt(reference),
      fields: differs,
    });
  }
}

const epayco: ProviderCode<PaymentReceived, EpaycoSettings> = {
  create,
  // ePayco's docs ask for 200; what it does with 202 is undocumented, so every 2xx is 200.
  onlyStatus: 200,
  /**
   * A sample (a JSON object of the form fields, as text) as ePayco would POST it: the signing
   * customer's id in x_cust_id_cliente, x_signature over the signed values, form-encoded.
   */
  sign(body, secrets) {
    const customer = firstSecret(secrets, 'EPAYCO_CUSTOMER_ID');
    const key = firstSecret(secrets, 'EPAYCO_P_KEY');
    const sample: unknown = JSON.parse(body);
    if (!isObject(sample)) throw new Error('Not an ePayco sample: expected a JSON object of form fields');
    const form = new URLSearchParams();
    for (const [name, value] of Object.entries(sample)) {
      if (name === 'x_signature') continue;
      if (typeof value !== 'string' && typeof value !== 'number') {
        throw new Error(`Not an ePayco sample: ${name} must be text`);
      }
      form.set(name, name === 'x_cust_id_cliente' ? customer : String(value));
    }
    const signed = {} as SignedValues;
    for (const name of EPAYCO_SIGNED_FIELDS) {
      const value = form.get(name);
      if (!value) throw new Error(`Not an ePayco sample: no ${name}`);
      signed[name] = value;
    }
    form.set('x_signature', epaycoSignature(customer, key, signed));
    return { body: form.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
  },
  userAgent: 'ePayco',
};

export default epayco;
