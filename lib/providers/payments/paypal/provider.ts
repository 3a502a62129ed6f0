import {
  createPrivateKey,
  type KeyObject,
  randomUUID,
  sign as rsaSign,
  verify as rsaVerify,
  X509Certificate,
} from 'node:crypto';
import { readFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import * as z from 'zod/mini';
import '#lib/zod-mini.ts';
import type { PaymentReceived } from '#lib/events.ts';
import { quoted } from '#lib/excerpt.ts';
import { MalformedError, SignatureError } from '#lib/http/errors.ts';
import { getJson, ProviderApiError } from '../../api.ts';
import { firstSecret, isObject, obligationTarget, parseJson, parseWith, secretList } from '../../common.ts';
import { checkSignedTime } from '../../schemes/hmac.ts';
import type {
  Decision,
  PaymentProvider,
  ProviderCode,
  ProviderContext,
  RawRequest,
  Trust,
} from '../../types.ts';
import { minorUnits } from '../money.ts';
import type { PayPalSettings } from './settings.ts';

/**
 * PayPal, REST webhooks (payment-gateways.md §8; developer.paypal.com/api/rest/webhooks/rest).
 * Self-verification, PayPal's documented offline method: `paypal-transmission-sig` is an
 * RSA-SHA256 (PKCS#1 v1.5, `paypal-auth-algo: SHA256withRSA`) signature of
 * `<paypal-transmission-id>|<paypal-transmission-time>|<webhook id>|<CRC-32 of the raw body>`
 * (the CRC as an unsigned decimal), made with the key of the certificate `paypal-cert-url` names.
 * The webhook id is ours (PAYPAL_WEBHOOK_ID), so a delivery signed for another listener fails.
 *
 * The certificate URL comes with the request, so it is the weak point: it must be https on one of
 * PAYPAL_CERT_HOSTS exactly, under /v1/notifications/certs/ — anything else is refused before any
 * fetch, or a sender could name a certificate of their own. Downloaded over TLS from PayPal's host,
 * the certificate must be current and name PayPal's message-verification subject (the rule of
 * PayPal's own Java SDK); it is cached per URL in the container. No chain is checked: TLS to
 * PayPal's host is what authenticates it, and PayPal's 2024 certificate chains to a DigiCert root
 * Node 24 no longer ships (test/providers/payments/paypal.test.ts).
 *
 * Not chosen: PayPal's verify-webhook-signature API, which needs OAuth client credentials, a token
 * round trip per container, and the event sent back re-serialized — the source of the "always
 * FAILURE" reports (paypal/PayPal-Python-SDK#175, #157).
 *
 * The limit of the scheme, stated in docs/providers/paypal.md: the body is bound to the signature
 * through a CRC-32, a checksum anyone can steer, not a cryptographic hash.
 */

/** How far ahead of our clock a transmission time may be (clock skew). */
export const PAYPAL_FUTURE_SECONDS = 300;

/** Where PayPal serves webhook certificates on its API hosts. */
export const PAYPAL_CERT_PATH = '/v1/notifications/certs/';

/** The only algorithm PayPal names (`paypal-auth-algo`). */
const AUTH_ALGO = 'SHA256withRSA';

/**
 * The local test certificate's URL, which the signer puts in `paypal-cert-url`: on PayPal's sandbox
 * host, so it passes the same host check as a real delivery, with an id PayPal does not serve — a
 * deployment that receives a locally signed sample fetches it from PayPal, gets a 404, and refuses.
 * Local runs fetch it from the loopback fake (PAYPAL_CERT_FETCH_URL), which serves
 * events/paypal/local-cert/cert.pem.
 */
export const PAYPAL_LOCAL_CERT_ID = 'CERT-LOCAL-TEST-not-paypal';
export const PAYPAL_LOCAL_CERT_URL = `https://api.sandbox.paypal.com${PAYPAL_CERT_PATH}${PAYPAL_LOCAL_CERT_ID}`;

const CERT_TIMEOUT_MS = 3_000;
/** A PEM chain is a few KiB. */
const MAX_CERT_BYTES = 64 * 1024;
/** PayPal rotates its certificate about yearly; ten URLs cover live, sandbox and a rotation. */
const CERT_CACHE_SIZE = 10;
const MIN_RSA_BITS = 2048;

/** A UUID in practice; never a `|`, which would let the parts of the signed string shift. */
const TRANSMISSION_ID = /^[^\s|]{1,128}$/;
const TRANSMISSION_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;
const CERT_ID = /^[\w.-]{1,128}$/;
const BASE64 = /^[\d+/a-z]+={0,2}$/i;

/** PayPal's currencies without decimals (developer.paypal.com/api/rest/reference/currency-codes). */
const ZERO_DECIMAL = new Set(['HUF', 'JPY', 'TWD']);

export function paypalExponent(currency: string): number {
  return ZERO_DECIMAL.has(currency) ? 0 : 2;
}

/** What PayPal signs, for the verifier, the signer and the tests. */
export function paypalSignedString(
  transmissionId: string,
  transmissionTime: string,
  webhookId: string,
  body: string | Buffer,
): string {
  // zlib.crc32 returns the unsigned value: what PayPal's SDKs print (Python masks with 0xffffffff).
  return `${transmissionId}|${transmissionTime}|${webhookId}|${crc32(body)}`;
}

const nonEmpty = z.string().check(z.minLength(1));
const instant = z.optional(z.iso.datetime({ offset: true }));

const envelope = z.lazy(() =>
  z.object({
    id: nonEmpty,
    event_type: nonEmpty,
    create_time: instant,
    resource: z.record(z.string(), z.unknown()),
  }),
);

/** The capture (Payments v2) a PAYMENT.CAPTURE.COMPLETED carries. */
const capture = z.lazy(() =>
  z.object({
    id: nonEmpty,
    status: nonEmpty,
    amount: z.object({ currency_code: z.string().check(z.regex(/^[A-Z]{3}$/)), value: nonEmpty }),
    custom_id: z.nullish(z.string()),
    invoice_id: z.nullish(z.string()),
    create_time: instant,
    update_time: instant,
  }),
);

/** Why an event that is not a completed capture changes nothing, for the ignored answer. */
const NOT_PAID: Readonly<Record<string, string>> = {
  'CHECKOUT.ORDER.APPROVED':
    'the buyer approved the order but nothing is captured yet: PAYMENT.CAPTURE.COMPLETED follows',
  'CHECKOUT.ORDER.COMPLETED': 'an order completed: its capture arrives as PAYMENT.CAPTURE.COMPLETED',
  'PAYMENT.CAPTURE.PENDING': 'the capture is pending (review, eCheck): COMPLETED or DENIED follows',
  'PAYMENT.CAPTURE.DENIED': 'the capture was denied: nothing was paid',
  'PAYMENT.CAPTURE.DECLINED': 'the capture was declined: nothing was paid',
  'PAYMENT.CAPTURE.REFUNDED':
    'a refund is not applied automatically: an operator reverses the payment in wolkvox',
  'PAYMENT.CAPTURE.REVERSED':
    'a reversal is not applied automatically: an operator reverses the payment in wolkvox',
  'PAYMENT.SALE.COMPLETED':
    'a Payments v1 sale: only Orders v2 captures (PAYMENT.CAPTURE.COMPLETED) name an obligation here',
};

/** What a capture says that moves money or names the obligation: from PayPal's API when PAYPAL_CONFIRM is on. */
const CAPTURE_FIELDS = [
  'resource.status',
  'resource.amount.value',
  'resource.amount.currency_code',
  'resource.custom_id',
  'resource.invoice_id',
  'resource.update_time',
];

export function paypalTrust(settings: Pick<PayPalSettings, 'maxAgeSeconds' | 'confirm'>): Trust {
  return {
    covers: 'bytes',
    scheme:
      'RSA-SHA256 (SHA256withRSA) of the transmission id and time, PAYPAL_WEBHOOK_ID and the CRC-32 of the raw body, with the certificate paypal-cert-url names (https on PAYPAL_CERT_HOSTS only); a CRC-32 binds the body, not a hash (guide)',
    signed: [
      'header:paypal-transmission-id',
      'header:paypal-transmission-time',
      'id',
      'event_type',
      'resource.id',
    ],
    // The CRC-32 that binds the rest can be matched by anyone holding one delivery: believed from the API.
    confirmed: settings.confirm ? CAPTURE_FIELDS : [],
    unverified: settings.confirm ? [] : CAPTURE_FIELDS,
    replayWindowSeconds: settings.maxAgeSeconds,
    replayWindow: `paypal-transmission-time at most PAYPAL_MAX_AGE_SECONDS (${settings.maxAgeSeconds} s) old, ${PAYPAL_FUTURE_SECONDS} s ahead`,
  };
}

/** A certificate that passed the checks, as the cache keeps it. */
interface PayPalCertificate {
  key: KeyObject;
  validFrom: Date;
  validTo: Date;
}

/**
 * `paypal-cert-url` → the URL, or a SignatureError: https, on one of PAYPAL_CERT_HOSTS exactly (no
 * port, credentials, query or fragment), a certificate path. Checked before anything is fetched.
 */
function checkCertUrl(value: string, hosts: readonly string[]): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new SignatureError('paypal-cert-url is not a URL');
  }
  const id = url.pathname.startsWith(PAYPAL_CERT_PATH) ? url.pathname.slice(PAYPAL_CERT_PATH.length) : '';
  if (
    url.protocol !== 'https:' ||
    !hosts.includes(url.hostname) ||
    url.port !== '' ||
    url.username !== '' ||
    url.password !== '' ||
    url.search !== '' ||
    url.hash !== '' ||
    !CERT_ID.test(id)
  ) {
    throw new SignatureError('paypal-cert-url is not a certificate on PAYPAL_CERT_HOSTS');
  }
  return url;
}

/** The first PEM certificate in `text` (PayPal's answer may carry its chain after the leaf). */
function firstPem(text: string): string | undefined {
  const begin = text.indexOf('-----BEGIN CERTIFICATE-----');
  if (begin < 0) return undefined;
  const endMarker = '-----END CERTIFICATE-----';
  const end = text.indexOf(endMarker, begin);
  return end < 0 ? undefined : text.slice(begin, end + endMarker.length);
}

/**
 * The subject PayPal's webhook certificates carry: `messageverificationcerts.paypal.com` (live) and
 * `messageverificationcerts.sandbox.paypal.com` — the test of PayPal's Java SDK
 * (SSLUtil.validateCertificateChain: CN starts with messageverificationcerts, ends with .paypal.com).
 */
function isPayPalSubject(certificate: X509Certificate): boolean {
  return certificate.subject
    .split('\n')
    .some((part) => part.startsWith('CN=messageverificationcerts') && part.endsWith('.paypal.com'));
}

/** A downloaded certificate → its public key and validity, or a SignatureError saying why not. */
function readCertificate(text: string): PayPalCertificate {
  const pem = firstPem(text);
  // PayPal's host answered 200 with something else (a maintenance page?): try later, not refuse.
  if (pem === undefined) throw new ProviderApiError('transient', 'paypal certificate: no PEM certificate');
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pem);
  } catch {
    throw new SignatureError('the certificate at paypal-cert-url does not parse');
  }
  if (!isPayPalSubject(certificate)) throw new SignatureError("the certificate is not PayPal's (subject)");
  const key = certificate.publicKey;
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (key.asymmetricKeyType !== 'rsa' || bits < MIN_RSA_BITS) {
    throw new SignatureError('the certificate key is not RSA of 2048 bits or more');
  }
  return { key, validFrom: certificate.validFromDate, validTo: certificate.validToDate };
}

/**
 * The certificates of one container: fetched once per URL (concurrent requests share the fetch),
 * the last CERT_CACHE_SIZE kept, re-checked for validity on every use. A certificate that cannot be
 * fetched is a 503 (ProviderApiError): PayPal retries, and nothing is refused for our network's sake.
 */
function certificateStore(settings: Pick<PayPalSettings, 'certFetchUrl'>) {
  const cache = new Map<string, Promise<PayPalCertificate>>();

  return async function publicKey(certUrl: URL, at: Date, signal: AbortSignal): Promise<KeyObject> {
    // Local runs only: the loopback fake stands in for PayPal's host (settings.ts allows nothing else).
    const from = settings.certFetchUrl ? `${settings.certFetchUrl}${certUrl.pathname}` : certUrl.href;
    let entry = cache.get(from);
    if (entry) {
      cache.delete(from); // most recently used last
    } else {
      entry = download(from, signal).then(readCertificate);
      entry.catch(() => {
        if (cache.get(from) === entry) cache.delete(from);
      });
    }
    cache.set(from, entry);
    while (cache.size > CERT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
    const certificate = await entry;
    if (at < certificate.validFrom || at > certificate.validTo) {
      throw new SignatureError('the certificate at paypal-cert-url is not valid now');
    }
    return certificate.key;
  };
}

/** GET a certificate: its text, or a SignatureError (there is none) or ProviderApiError (try later). */
async function download(url: string, signal: AbortSignal): Promise<string> {
  const where = `paypal certificate ${new URL(url).pathname.slice(-48)}`;
  // Loaded on the first certificate fetch only (one per container and URL, then cached).
  const { request } = await import('#lib/undici.ts');
  const deadline = AbortSignal.any([signal, AbortSignal.timeout(CERT_TIMEOUT_MS)]);
  let status: number;
  let text: string;
  try {
    const response = await request(url, {
      method: 'GET',
      headers: { accept: 'application/x-pem-file, text/plain, */*' },
      signal: deadline,
    });
    status = response.statusCode;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_CERT_BYTES) {
        response.body.destroy();
        throw new ProviderApiError('transient', `${where}: answer over ${MAX_CERT_BYTES} bytes`);
      }
      chunks.push(chunk);
    }
    text = Buffer.concat(chunks).toString('utf8');
  } catch (cause) {
    if (cause instanceof ProviderApiError) throw cause;
    const why = deadline.aborted ? 'no answer before the deadline' : 'network error';
    throw new ProviderApiError('transient', `${where}: ${why}`, { cause });
  }
  // PayPal's host does not know it: no certificate PayPal signs with.
  if (status === 404 || status === 410) throw new SignatureError(`${where}: HTTP ${status}`);
  if (status < 200 || status > 299) throw new ProviderApiError('transient', `${where}: HTTP ${status}`);
  return text;
}

/** The base64 of a signature, strictly (a changed character must not decode to the same bytes). */
function signatureBytes(value: string): Buffer {
  if (value.length % 4 !== 0 || !BASE64.test(value)) {
    throw new SignatureError('paypal-transmission-sig is not base64');
  }
  return Buffer.from(value, 'base64');
}

function create(settings: PayPalSettings & { operation: string }): PaymentProvider {
  const publicKey = certificateStore(settings);

  return {
    family: 'payments',
    slug: 'paypal',
    trust: paypalTrust(settings),

    async verify(request: RawRequest, { secrets, now, signal }: ProviderContext) {
      const headers = request.headers;
      const transmissionId = headers['paypal-transmission-id'] ?? '';
      const transmissionTime = headers['paypal-transmission-time'] ?? '';
      const algorithm = headers['paypal-auth-algo'] ?? '';
      const certUrlHeader = headers['paypal-cert-url'] ?? '';
      if (!transmissionId || !transmissionTime || !algorithm || !certUrlHeader) {
        throw new SignatureError(
          'no paypal-transmission-id, -time, -sig, paypal-auth-algo or paypal-cert-url',
        );
      }
      if (!TRANSMISSION_ID.test(transmissionId)) throw new SignatureError('odd paypal-transmission-id');
      if (!TRANSMISSION_TIME.test(transmissionTime))
        throw new SignatureError('paypal-transmission-time is not a time');
      if (algorithm.toLowerCase() !== AUTH_ALGO.toLowerCase())
        throw new SignatureError('paypal-auth-algo is not SHA256withRSA');
      const signature = signatureBytes(headers['paypal-transmission-sig'] ?? '');
      const webhookIds = secretList(secrets.PAYPAL_WEBHOOK_ID, 'PAYPAL_WEBHOOK_ID');
      const at = now();
      // Before any fetch: a stale or far-future request costs nothing.
      checkSignedTime(Date.parse(transmissionTime), at.getTime(), {
        maxAgeSeconds: settings.maxAgeSeconds,
        futureSeconds: PAYPAL_FUTURE_SECONDS,
        setting: 'PAYPAL_MAX_AGE_SECONDS',
      });
      const certUrl = checkCertUrl(certUrlHeader, settings.certHosts);
      const key = await publicKey(certUrl, at, signal);
      // Every id of a rotation is tried, so the time taken does not say which one matched.
      const matches = webhookIds.map((webhookId) =>
        rsaVerify(
          'sha256',
          Buffer.from(paypalSignedString(transmissionId, transmissionTime, webhookId, request.body), 'utf8'),
          key,
          signature,
        ),
      );
      if (!matches.includes(true)) throw new SignatureError('paypal-transmission-sig does not match');
      // The certificate that verified says which PayPal signed: its sandbox hosts, or live.
      const livemode = !certUrl.hostname.includes('.sandbox.');
      return { read: (context: ProviderContext) => read(request, transmissionTime, livemode, context) };
    },
  };

  async function read(
    request: RawRequest,
    transmissionTime: string,
    livemode: boolean,
    context: ProviderContext,
  ): Promise<Decision<PaymentReceived>> {
    const event = parseWith(envelope, parseJson(request.body));
    if (event.event_type !== 'PAYMENT.CAPTURE.COMPLETED') {
      const why = Object.hasOwn(NOT_PAID, event.event_type) ? NOT_PAID[event.event_type] : undefined;
      return {
        action: 'ignore',
        reason: `event ${quoted(event.event_type, 40)}: ${why ?? 'not a completed capture'}`,
      };
    }
    const sent = parseWith(capture, event.resource, 'resource');
    let paid = sent;
    if (settings.confirm) {
      const known = await confirmCapture(sent.id, context);
      if ('park' in known) {
        return { action: 'park', reason: known.park, eventId: event.id, summary: { paymentId: sent.id } };
      }
      paid = known;
    }
    if (paid.status !== 'COMPLETED') {
      return { action: 'ignore', reason: `capture status is ${quoted(paid.status, 20)}, not COMPLETED` };
    }
    const currency = paid.amount.currency_code;
    const exponent = paypalExponent(currency);
    // Major units as decimal text ("150.00"; whole units for HUF, JPY, TWD): never through a float.
    const minor = minorUnits(paid.amount.value, exponent);
    if (minor === undefined) {
      throw new MalformedError([
        `resource.amount.value: not an amount with at most ${exponent} decimals for ${currency}`,
      ]);
    }
    const named = nameObligation(paid.custom_id, paid.invoice_id);
    return {
      action: 'accept',
      event: {
        kind: 'payment',
        eventId: event.id,
        eventType: event.event_type,
        livemode,
        payment: {
          provider: 'paypal',
          // The capture, not the event: a resent event or a second delivery is the same payment.
          paymentId: paid.id,
          amount: { minor, currency, exponent },
          paidAt: new Date(
            paid.update_time ?? paid.create_time ?? event.create_time ?? transmissionTime,
          ).toISOString(),
        },
        ...obligationTarget(named.groups, settings.operation, named.problem),
      },
    };
  }

  /**
   * The capture as PayPal's API knows it (GET /v2/payments/captures/{id}, an OAuth token from the
   * app's client id and secret), on the host PAYPAL_API_URL names: its values win over the body's.
   * A capture PayPal does not know is parked; an API that does not answer is a 503.
   */
  async function confirmCapture(
    id: string,
    { secrets, signal }: ProviderContext,
  ): Promise<z.infer<typeof capture> | { park: string }> {
    const token = await accessToken(settings.apiUrl, secrets, signal);
    const answer = await getJson(`${settings.apiUrl}/v2/payments/captures/${encodeURIComponent(id)}`, {
      provider: 'paypal',
      headers: { authorization: `Bearer ${token}` },
      signal,
    });
    if (answer.status === 404) {
      return {
        park: `PayPal's API does not know capture ${quoted(id, 40)}: a delivery of another app or environment?`,
      };
    }
    const known = capture.safeParse(answer.body);
    if (!known.success)
      throw new ProviderApiError('transient', 'paypal API: a capture of an unexpected shape');
    if (known.data.id !== id)
      return { park: `PayPal's API answered for another capture than ${quoted(id, 40)}` };
    return known.data;
  }

  /** custom_id names the obligation, else invoice_id; the first that matches the pattern wins. */
  function nameObligation(
    customId: string | null | undefined,
    invoiceId: string | null | undefined,
  ): { groups: { operation?: string; wolkvoxId?: string; obligation?: string }; problem: string } {
    const given = [
      ['custom_id', customId],
      ['invoice_id', invoiceId],
    ].filter((pair): pair is [string, string] => typeof pair[1] === 'string' && pair[1] !== '');
    for (const [, value] of given) {
      const groups = settings.referencePattern.exec(value)?.groups;
      if (groups?.wolkvox_id && groups.obligation) {
        return {
          groups: {
            operation: groups.operation,
            wolkvoxId: groups.wolkvox_id,
            obligation: groups.obligation,
          },
          problem: '',
        };
      }
    }
    return {
      groups: {},
      problem:
        given.length === 0
          ? 'the capture has no custom_id or invoice_id naming a wolkvox obligation'
          : `${given.map(([field, value]) => `${field} ${quoted(value, 40)}`).join(' and ')} ${given.length > 1 ? 'do' : 'does'} not match PAYPAL_REFERENCE_PATTERN`,
    };
  }
}

let localKey: KeyObject | undefined;

/** The local test certificate's private key (events/paypal/local-cert/): local tools only, never Lambda. */
function localSigningKey(): KeyObject {
  localKey ??= createPrivateKey(
    readFileSync(new URL('../../../../events/paypal/local-cert/key.pem', import.meta.url)),
  );
  return localKey;
}

/** PayPal's time format: ISO 8601 to the second, in UTC (`2024-08-02T19:33:35Z`). */
function transmissionTimeOf(now: Date): string {
  const ms = now.getTime();
  if (!Number.isFinite(ms)) throw new Error('Invalid signing time');
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

/**
 * A delivery signed as PayPal signs it, with a key and certificate of our own (PayPal's key is
 * PayPal's): the body's bytes as they are, a fresh transmission id, `now` as the transmission time.
 */
export function signPayPal(
  body: string,
  webhookId: string,
  now: Date,
  signer: { privateKey: KeyObject; certUrl: string } = {
    privateKey: localSigningKey(),
    certUrl: PAYPAL_LOCAL_CERT_URL,
  },
): Record<string, string> {
  const transmissionId = randomUUID();
  const transmissionTime = transmissionTimeOf(now);
  const signed = Buffer.from(paypalSignedString(transmissionId, transmissionTime, webhookId, body), 'utf8');
  return {
    'content-type': 'application/json',
    'paypal-auth-algo': AUTH_ALGO,
    'paypal-cert-url': signer.certUrl,
    'paypal-transmission-id': transmissionId,
    'paypal-transmission-sig': rsaSign('sha256', signed, signer.privateKey).toString('base64'),
    'paypal-transmission-time': transmissionTime,
  };
}

/** OAuth tokens by API and client id, reused until a minute before they expire (PayPal: ~9 h). */
const tokens = new Map<string, { token: string; until: number }>();

const tokenAnswer = z.lazy(() =>
  z.object({ access_token: z.string().check(z.minLength(1)), expires_in: z.number().check(z.positive()) }),
);

async function accessToken(apiUrl: string, secrets: Readonly<Record<string, string>>, signal: AbortSignal) {
  const clientId = secrets.PAYPAL_CLIENT_ID?.trim();
  const clientSecret = secrets.PAYPAL_CLIENT_SECRET?.trim();
  if (!clientId || !clientSecret) {
    throw new ProviderApiError(
      'auth',
      'paypal API: PAYPAL_CLIENT_ID and PAYPAL_CLIENT_SECRET are not set (PAYPAL_CONFIRM)',
    );
  }
  const key = `${apiUrl} ${clientId}`;
  const cached = tokens.get(key);
  if (cached && cached.until > Date.now()) return cached.token;
  const answer = await getJson(`${apiUrl}/v1/oauth2/token`, {
    provider: 'paypal',
    headers: { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}` },
    form: { grant_type: 'client_credentials' },
    signal,
  });
  const parsed = tokenAnswer.safeParse(answer.body);
  if (!parsed.success)
    throw new ProviderApiError('auth', 'paypal API: no access token (are the client id and secret right?)');
  tokens.set(key, {
    token: parsed.data.access_token,
    until: Date.now() + (parsed.data.expires_in - 60) * 1000,
  });
  return parsed.data.access_token;
}

const paypal: ProviderCode<PaymentReceived, PayPalSettings> = {
  create,
  sign(body, secrets, now) {
    const event: unknown = JSON.parse(body);
    if (!isObject(event) || typeof event.event_type !== 'string') {
      throw new Error('Not a PayPal webhook event: expected an object with event_type');
    }
    return { body, headers: signPayPal(body, firstSecret(secrets, 'PAYPAL_WEBHOOK_ID'), now) };
  },
  // As PayPal's deliveries carry it (PayPal/AUHD-<build>-<number>).
  userAgent: 'PayPal/AUHD-214.0-58391792',
};

export default paypal;
