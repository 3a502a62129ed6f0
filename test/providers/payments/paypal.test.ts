import { generateKeyPairSync, type KeyObject, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { rootCertificates } from 'node:tls';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '#lib/config.ts';
import { LOCAL_OPERATION, LOCAL_SECRETS } from '#lib/local/defaults.ts';
import { localContext } from '#lib/local/runtime.ts';
import { apiGatewayEvent, signSample } from '#lib/local/sign.ts';
import { ProviderApiError } from '#lib/providers/api.ts';
import type { PayPalCapture } from '#lib/local/provider-apis.ts';
import paypalCode, {
  PAYPAL_LOCAL_CERT_URL,
  paypalSignedString,
  signPayPal,
} from '#lib/providers/payments/paypal/provider.ts';
import { DEFAULT_CERT_HOSTS, type PayPalSettings } from '#lib/providers/payments/paypal/settings.ts';
import { DEFAULT_REFERENCE_PATTERN } from '#lib/providers/payments/reference.ts';
import type { RawRequest } from '#lib/providers/types.ts';
import { SEED_OBLIGATION_IDS, SEED_RECORD_IDS } from '#lib/sandbox/index.ts';
import { createRuntime, paymentReceivedHandler } from '#lib/wiring.ts';
import { localSecretStore, useSandboxAndSqs } from '../../support/harness.ts';
import { outcome, runProviderContract, sourceContext } from '../../support/provider-contract.ts';
import { paypalLikeCertificate, type TestCertificate } from './paypal/certificates.ts';
import simulator from './paypal/simulator-delivery.json' with { type: 'json' };

const NOW = new Date('2026-11-23T12:00:00Z');
const WEBHOOK_ID = LOCAL_SECRETS.PAYPAL_WEBHOOK_ID;
// The loopback fakes (PayPal's certificate host among them), a wolkvox sandbox and SQS for the file.
const harness = useSandboxAndSqs();
const apis = () => harness.providerApis;

const settings = (overrides: Partial<PayPalSettings> = {}): PayPalSettings & { operation: string } => ({
  operation: LOCAL_OPERATION,
  referencePattern: new RegExp(DEFAULT_REFERENCE_PATTERN),
  certHosts: DEFAULT_CERT_HOSTS,
  certFetchUrl: apis().env.PAYPAL_CERT_FETCH_URL,
  maxAgeSeconds: 3 * 86_400,
  confirm: true,
  apiUrl: apis().env.PAYPAL_API_URL,
  ...overrides,
});
const source = (overrides: Partial<PayPalSettings> = {}) => paypalCode.create(settings(overrides));
const context = (now = NOW, secrets: Readonly<Record<string, string>> = LOCAL_SECRETS) =>
  sourceContext(secrets, now);

runProviderContract('paypal', {
  source: () => source(),
  now: NOW,
  waits: { verify: "fetches PayPal's signing certificate", read: "confirms the capture with PayPal's API" },
});

const sample = (name: string) => readFile(`events/paypal/${name}`, 'utf8');

/**
 * A body signed with the local test certificate (the local signer); its capture, if it carries one,
 * is what PayPal's API (the fake) knows: PayPal signs what it has.
 */
function signed(body: string, now = NOW, webhookId = WEBHOOK_ID): RawRequest {
  known(body);
  return { body: Buffer.from(body), headers: signPayPal(body, webhookId, now), query: {} };
}

function known(body: string) {
  const event = JSON.parse(body) as { event_type?: string; resource?: PayPalCapture };
  if (event.event_type?.startsWith('PAYMENT.CAPTURE.') && event.resource)
    apis().paypalCaptures.put(event.resource);
}

let certificates = 0;
/** A certificate put on the fake of PayPal's host under a fresh id; the URL PayPal would name for it. */
function served(certificate: TestCertificate | string, host = 'api.paypal.com'): string {
  const id = `CERT-test-${++certificates}`;
  apis().paypal.put({ id, pem: typeof certificate === 'string' ? certificate : certificate.pem });
  return `https://${host}/v1/notifications/certs/${id}`;
}

/** A body signed with `privateKey`, naming `certUrl` as its certificate. */
function signedWith(body: string, privateKey: KeyObject, certUrl: string, now = NOW): RawRequest {
  known(body);
  return {
    body: Buffer.from(body),
    headers: signPayPal(body, WEBHOOK_ID, now, { privateKey, certUrl }),
    query: {},
  };
}

const capture = (resource: Record<string, unknown> = {}, eventType = 'PAYMENT.CAPTURE.COMPLETED') =>
  JSON.stringify({
    id: 'WH-0AB12345CD6789012-3EF45678GH9012345',
    event_version: '1.0',
    create_time: '2026-11-23T11:59:00.000Z',
    resource_type: 'capture',
    event_type: eventType,
    resource: {
      id: '9XY12345AB6789012',
      amount: { currency_code: 'USD', value: '12.34' },
      custom_id: '65a1f0c2e4b0a1d2c3e4f501:PAG-2024-00123',
      status: 'COMPLETED',
      create_time: '2026-11-23T11:58:40Z',
      update_time: '2026-11-23T11:58:41Z',
      ...resource,
    },
  });

const fetches = () => apis().paypal.requests.length;

describe('paypal: settings', () => {
  const base = { WOLKVOX_SERVER: 'crm0001.wolkvox.com', WOLKVOX_OPERATION: 'demo' };

  it("defaults to PayPal's four API hosts, no local fetch URL, and three days (PayPal retries for 3 days)", () => {
    expect(loadConfig(base).providers.payments.paypal).toEqual({
      referencePattern: new RegExp(DEFAULT_REFERENCE_PATTERN),
      certHosts: ['api.paypal.com', 'api-m.paypal.com', 'api.sandbox.paypal.com', 'api-m.sandbox.paypal.com'],
      certFetchUrl: undefined,
      maxAgeSeconds: 259_200,
      confirm: true,
      apiUrl: 'https://api-m.paypal.com',
    });
  });

  it('takes certificate hosts under paypal.com only, and a fetch URL on loopback only', () => {
    expect(
      loadConfig({ ...base, PAYPAL_CERT_HOSTS: ' API.paypal.com , api.paypal.com' }).providers.payments.paypal
        .certHosts,
    ).toEqual(['api.paypal.com']);
    for (const hosts of [
      'evil.example',
      'paypal.com.evil.example',
      'api.paypal.com:443',
      'x.paypal.com/',
      ',',
    ])
      expect(() => loadConfig({ ...base, PAYPAL_CERT_HOSTS: hosts }), hosts).toThrow(/PAYPAL_CERT_HOSTS/);
    expect(
      loadConfig({ ...base, PAYPAL_CERT_FETCH_URL: 'http://127.0.0.1:4010/paypal/' }).providers.payments
        .paypal.certFetchUrl,
    ).toBe('http://127.0.0.1:4010/paypal');
    for (const url of ['https://api.paypal.com', 'http://10.0.0.5/paypal', 'https://evil.example'])
      expect(() => loadConfig({ ...base, PAYPAL_CERT_FETCH_URL: url }), url).toThrow(/PAYPAL_CERT_FETCH_URL/);
  });
});

describe('paypal: what is signed', () => {
  it('hashes the raw body with CRC-32, written as an unsigned decimal (payment-gateways.md §10.8)', () => {
    expect(crc32('hello')).toBe(907_060_870);
    // The standard check value, above 2^31: a signed reading would print -873187034.
    expect(crc32('123456789')).toBe(3_421_780_262);
    expect(paypalSignedString('id-1', '2026-11-23T12:00:00Z', 'WH1', '123456789')).toBe(
      'id-1|2026-11-23T12:00:00Z|WH1|3421780262',
    );
  });

  it('verifies a genuine PayPal delivery (a simulator event, webhook id WEBHOOK_ID) with PayPal’s own certificate', async () => {
    const [, id = ''] = /certs\/(.+)$/.exec(simulator.headers['paypal-cert-url']) ?? [];
    apis().paypal.put({ id, pem: simulator.certificate });
    known(simulator.body);
    const request: RawRequest = { body: Buffer.from(simulator.body), headers: simulator.headers, query: {} };
    const at = new Date('2024-08-02T19:33:36Z');
    const secrets = { ...LOCAL_SECRETS, PAYPAL_WEBHOOK_ID: `${WEBHOOK_ID},${simulator.webhookId}` };
    const result = await outcome(source(), request, context(at, secrets));
    expect(result).toEqual({
      action: 'accept',
      event: {
        kind: 'payment',
        eventId: 'WH-58D329510W468432D-8HN650336L201105X',
        eventType: 'PAYMENT.CAPTURE.COMPLETED',
        livemode: true,
        payment: {
          provider: 'paypal',
          paymentId: '12A34567BC123456S',
          amount: { minor: 3000, currency: 'USD', exponent: 2 },
          paidAt: '2022-08-23T18:29:50.000Z',
        },
        target: null,
        targetProblem: 'invoice_id "5840243-146" does not match PAYPAL_REFERENCE_PATTERN',
      },
    });
    // One byte changed, or another webhook id, and PayPal's signature no longer holds.
    const changed = { ...request, body: Buffer.from(simulator.body.replace('"30.00"', '"31.00"')) };
    expect(await outcome(source(), changed, context(at, secrets))).toEqual({ rejected: 401 });
    expect(await outcome(source(), request, context(at))).toEqual({ rejected: 401 });
  });

  it("takes PayPal's certificate on TLS to PayPal's host, not on a chain: it chains to a DigiCert root Node no longer ships", () => {
    const leaf = new X509Certificate(simulator.certificate);
    const intermediate = new X509Certificate(simulator.intermediate);
    expect(leaf.subject).toContain('CN=messageverificationcerts.paypal.com');
    expect(leaf.checkIssued(intermediate) && leaf.verify(intermediate.publicKey)).toBe(true);
    expect(intermediate.issuer).toContain('CN=DigiCert High Assurance EV Root CA');
    const roots = rootCertificates.map((pem) => new X509Certificate(pem).subject);
    expect(roots.some((subject) => subject.includes('CN=DigiCert High Assurance EV Root CA'))).toBe(false);
  });

  it('binds the body only by a CRC-32, which a forger can match: so the capture is read from PayPal’s API, whose values win', async () => {
    const genuine = await sample('PAYMENT.CAPTURE.COMPLETED.json');
    const request = signed(genuine);
    const forged = forgeSameCrc32(genuine, (patch) =>
      genuine
        .replace('"500000.00"', '"9999999.00"')
        .replace('65a1f0c2e4b0a1d2c3e4f502:VEH-2023-77', `65a1f0c2e4b0a1d2c3e4f501:PAG-2024-00123:${patch}`),
    );
    expect(crc32(forged)).toBe(crc32(genuine));
    const tampered = { ...request, body: Buffer.from(forged) };
    // The signature still verifies (the limit of PayPal's scheme)…
    expect(await outcome(source({ confirm: false }), tampered, context())).toMatchObject({
      action: 'accept',
      event: {
        payment: { amount: { minor: 999_999_900 } },
        target: { obligation: SEED_OBLIGATION_IDS.carlosPagare },
      },
    });
    // …so with PAYPAL_CONFIRM (the default) the forged amount and obligation are never used.
    expect(await outcome(source(), tampered, context())).toEqual(await outcome(source(), request, context()));
  });

  it('confirms each capture with PayPal’s API: unknown → parked, API or credentials failing → 503', async () => {
    // Signed, but of a capture PayPal's API has never seen.
    const text = capture({ id: '0UNKNOWN0CAPTURE0' });
    const unknown = { body: Buffer.from(text), headers: signPayPal(text, WEBHOOK_ID, NOW), query: {} };
    expect(await outcome(source(), unknown, context())).toMatchObject({
      action: 'park',
      reason: expect.stringContaining('does not know capture "0UNKNOWN0CAPTURE0"'),
    });
    const request = signed(capture());
    apis().paypalCaptures.fail(500);
    await expect(outcome(source(), request, context())).rejects.toMatchObject({ kind: 'transient' });
    const noClient = { ...LOCAL_SECRETS, PAYPAL_CLIENT_ID: '', PAYPAL_CLIENT_SECRET: '' };
    await expect(outcome(source(), request, context(NOW, noClient))).rejects.toMatchObject({ kind: 'auth' });
    // The capture's status now, not the delivery's: refunded since → not counted.
    apis().paypalCaptures.put({
      ...(JSON.parse(capture()) as { resource: PayPalCapture }).resource,
      status: 'REFUNDED',
    });
    expect(await outcome(source(), request, context())).toMatchObject({ action: 'ignore' });
  });
});

describe('paypal: the certificate (generated here, served by the loopback fake of PayPal’s host)', () => {
  const body = capture();

  it('accepts a delivery signed by the key of the certificate paypal-cert-url names, and caches it', async () => {
    const cert = paypalLikeCertificate(NOW);
    const url = served(cert);
    const provider = source();
    const before = fetches();
    for (let i = 0; i < 3; i++) {
      expect(await outcome(provider, signedWith(body, cert.privateKey, url), context())).toMatchObject({
        action: 'accept',
        event: { livemode: true, payment: { paymentId: '9XY12345AB6789012' } },
      });
    }
    expect(fetches() - before).toBe(1);
  });

  it('fetches a certificate once for concurrent deliveries', async () => {
    const cert = paypalLikeCertificate(NOW);
    const url = served(cert);
    const provider = source();
    const before = fetches();
    const results = await Promise.all(
      [1, 2, 3].map(() => outcome(provider, signedWith(body, cert.privateKey, url), context())),
    );
    expect(results.map((r) => ('action' in r ? r.action : r))).toEqual(['accept', 'accept', 'accept']);
    expect(fetches() - before).toBe(1);
  });

  it('keeps the last ten certificates, re-checking their dates on every use', async () => {
    const provider = source();
    const certs = Array.from({ length: 11 }, () => paypalLikeCertificate(NOW));
    const urls = certs.map((cert) => served(cert));
    const before = fetches();
    for (const [i, cert] of certs.entries())
      await outcome(provider, signedWith(body, cert.privateKey, urls[i] ?? ''), context());
    const first = certs[0] as TestCertificate;
    await outcome(provider, signedWith(body, first.privateKey, urls[0] ?? ''), context());
    expect(fetches() - before).toBe(12); // the first was evicted by the eleventh
    // Cached, but expired by then: refused, as on its first use.
    const later = new Date(NOW.getTime() + 400 * 86_400_000);
    expect(
      await outcome(provider, signedWith(body, first.privateKey, urls[0] ?? '', later), context(later)),
    ).toEqual({ rejected: 401 });
  });

  it('says sandbox when the certificate is on a sandbox host', async () => {
    const cert = paypalLikeCertificate(NOW, {
      subject: { CN: 'messageverificationcerts.sandbox.paypal.com' },
    });
    const url = served(cert, 'api-m.sandbox.paypal.com');
    expect(await outcome(source(), signedWith(body, cert.privateKey, url), context())).toMatchObject({
      action: 'accept',
      event: { livemode: false },
    });
  });

  it.each([
    ['http (not https)', 'http://api.paypal.com/v1/notifications/certs/CERT-x'],
    ['another host', 'https://evil.example/v1/notifications/certs/CERT-x'],
    ['a look-alike host', 'https://api.paypal.com.evil.example/v1/notifications/certs/CERT-x'],
    ['a subdomain not listed', 'https://www.paypal.com/v1/notifications/certs/CERT-x'],
    ['a port', 'https://api.paypal.com:8443/v1/notifications/certs/CERT-x'],
    ['credentials', 'https://user@api.paypal.com/v1/notifications/certs/CERT-x'],
    ['a query', 'https://api.paypal.com/v1/notifications/certs/CERT-x?u=https://evil.example'],
    ['another path', 'https://api.paypal.com/v1/oauth2/token'],
    ['a path that climbs', 'https://api.paypal.com/v1/notifications/certs/../../x'],
    ['loopback', 'http://127.0.0.1/v1/notifications/certs/CERT-x'],
  ])('refuses a certificate URL with %s, without fetching it', async (_name, url) => {
    const attacker = paypalLikeCertificate(NOW);
    const before = fetches();
    expect(await outcome(source(), signedWith(body, attacker.privateKey, url), context())).toEqual({
      rejected: 401,
    });
    expect(fetches()).toBe(before);
  });

  it.each([
    ['another subject', { subject: { CN: 'api.paypal.com' }, dnsNames: ['api.paypal.com'] }],
    ['a look-alike subject', { subject: { CN: 'messageverificationcerts.paypal.com.evil.example' } }],
    [
      'dates in the past',
      { notBefore: new Date('2024-01-01T00:00:00Z'), notAfter: new Date('2025-01-01T00:00:00Z') },
    ],
    [
      'dates in the future',
      { notBefore: new Date('2027-01-01T00:00:00Z'), notAfter: new Date('2028-01-01T00:00:00Z') },
    ],
    ['an RSA key under 2048 bits', { keys: generateKeyPairSync('rsa', { modulusLength: 1024 }) }],
    ['an EC key', { keys: generateKeyPairSync('ec', { namedCurve: 'P-256' }) }],
  ] as const)('refuses a certificate with %s', async (_name, overrides) => {
    const cert = paypalLikeCertificate(NOW, overrides);
    const url = served(cert);
    const request =
      cert.privateKey.asymmetricKeyType === 'rsa'
        ? signedWith(body, cert.privateKey, url)
        : signedWith(body, paypalLikeCertificate(NOW).privateKey, url);
    expect(await outcome(source(), request, context())).toEqual({ rejected: 401 });
  });

  it("refuses a signature by another key than the certificate's", async () => {
    const url = served(paypalLikeCertificate(NOW));
    const other = paypalLikeCertificate(NOW);
    expect(await outcome(source(), signedWith(body, other.privateKey, url), context())).toEqual({
      rejected: 401,
    });
  });

  it('refuses a certificate PayPal does not serve (404), and answers 503 when its host fails or is slow', async () => {
    const cert = paypalLikeCertificate(NOW);
    const missing = 'https://api.paypal.com/v1/notifications/certs/CERT-nobody';
    expect(await outcome(source(), signedWith(body, cert.privateKey, missing), context())).toEqual({
      rejected: 401,
    });

    const url = served(cert);
    apis().paypal.fail(500);
    const provider = source();
    await expect(outcome(provider, signedWith(body, cert.privateKey, url), context())).rejects.toMatchObject({
      name: 'ProviderApiError',
      kind: 'transient',
    });
    // A failure is not cached: PayPal's next delivery fetches again.
    expect(await outcome(provider, signedWith(body, cert.privateKey, url), context())).toMatchObject({
      action: 'accept',
    });

    apis().paypal.fail('hang');
    const quick = { ...context(), signal: AbortSignal.timeout(100) };
    await expect(
      outcome(source(), signedWith(body, cert.privateKey, served(cert)), quick),
    ).rejects.toBeInstanceOf(ProviderApiError);

    // A 200 that is not a certificate (a maintenance page): try later, not refuse.
    const page = served('<html><body>We are down for maintenance</body></html>');
    await expect(
      outcome(source(), signedWith(body, cert.privateKey, page), context()),
    ).rejects.toBeInstanceOf(ProviderApiError);
  });

  it('refuses before any fetch: a stale or future transmission time, another algorithm, a malformed header', async () => {
    const cert = paypalLikeCertificate(NOW);
    const url = served(cert);
    const good = signedWith(body, cert.privateKey, url);
    const before = fetches();
    const variants: Record<string, string>[] = [
      { 'paypal-auth-algo': 'SHA1withRSA' },
      { 'paypal-transmission-sig': 'not base64!' },
      { 'paypal-transmission-id': 'a|b' },
      { 'paypal-transmission-time': 'yesterday' },
      { 'paypal-transmission-time': '2026-11-19T12:00:00Z' },
      { 'paypal-transmission-time': '2026-11-23T12:10:00Z' },
    ];
    for (const change of variants) {
      const request = { ...good, headers: { ...good.headers, ...change } };
      expect(await outcome(source(), request, context()), JSON.stringify(change)).toEqual({ rejected: 401 });
    }
    const none = { ...LOCAL_SECRETS, PAYPAL_WEBHOOK_ID: ' ' };
    expect(await outcome(source(), good, context(NOW, none))).toEqual({ rejected: 401 });
    expect(fetches()).toBe(before);
  });

  it('accepts any webhook id of a rotation, and none other', async () => {
    const cert = paypalLikeCertificate(NOW);
    const url = served(cert);
    const request = {
      body: Buffer.from(body),
      headers: signPayPal(body, 'NEWWEBHOOK1', NOW, { privateKey: cert.privateKey, certUrl: url }),
      query: {},
    };
    const secrets = (ids: string) => ({ ...LOCAL_SECRETS, PAYPAL_WEBHOOK_ID: ids });
    expect(await outcome(source(), request, context(NOW, secrets('OLDWEBHOOK0,NEWWEBHOOK1')))).toMatchObject({
      action: 'accept',
    });
    expect(await outcome(source(), request, context(NOW, secrets('OLDWEBHOOK0')))).toEqual({ rejected: 401 });
  });
});

describe('paypal: what a verified delivery means', () => {
  const read = async (body: string, overrides: Partial<PayPalSettings> = {}) =>
    outcome(source(overrides), signed(body), context());

  it('reads every sample as the catalog says, the COP one to the obligation its custom_id names', async () => {
    expect(await read(await sample('PAYMENT.CAPTURE.COMPLETED.json'))).toEqual({
      action: 'accept',
      event: {
        kind: 'payment',
        eventId: 'WH-7YX49823S2290830K-0JE13296W68552352',
        eventType: 'PAYMENT.CAPTURE.COMPLETED',
        // The local test certificate is on PayPal's sandbox host.
        livemode: false,
        payment: {
          provider: 'paypal',
          paymentId: '3KU29571VE6218409',
          amount: { minor: 50_000_000, currency: 'COP', exponent: 2 },
          paidAt: '2026-11-30T20:40:58.000Z',
        },
        target: {
          operation: LOCAL_OPERATION,
          wolkvoxId: SEED_RECORD_IDS.mariaLopez,
          obligation: SEED_OBLIGATION_IDS.mariaVehiculo,
        },
      },
    });
    expect(await read(await sample('PAYMENT.CAPTURE.COMPLETED.usd.json'))).toMatchObject({
      action: 'accept',
      event: {
        payment: { paymentId: '8MC58410BG2753914', amount: { minor: 3500, currency: 'USD', exponent: 2 } },
        target: {
          wolkvoxId: SEED_RECORD_IDS.carlosRamirez,
          obligation: SEED_OBLIGATION_IDS.carlosLibreInversion,
        },
      },
    });
    expect(await read(await sample('PAYMENT.CAPTURE.COMPLETED.no-reference.json'))).toMatchObject({
      action: 'accept',
      event: {
        target: null,
        targetProblem: 'the capture has no custom_id or invoice_id naming a wolkvox obligation',
      },
    });
    expect(await read(await sample('PAYMENT.CAPTURE.DENIED.json'))).toEqual({
      action: 'ignore',
      reason: 'event "PAYMENT.CAPTURE.DENIED": the capture was denied: nothing was paid',
    });
    expect(await read(await sample('CHECKOUT.ORDER.APPROVED.json'))).toEqual({
      action: 'ignore',
      reason:
        'event "CHECKOUT.ORDER.APPROVED": the buyer approved the order but nothing is captured yet: PAYMENT.CAPTURE.COMPLETED follows',
    });
  });

  it('ignores other event types with the reason, and a capture that is not COMPLETED', async () => {
    expect(await read(capture({}, 'PAYMENT.CAPTURE.REFUNDED'))).toMatchObject({
      action: 'ignore',
      reason: expect.stringContaining('a refund is not applied automatically'),
    });
    expect(await read(capture({}, 'BILLING.SUBSCRIPTION.CREATED'))).toEqual({
      action: 'ignore',
      reason: 'event "BILLING.SUBSCRIPTION.CREATED": not a completed capture',
    });
    expect(await read(capture({ status: 'PENDING' }))).toEqual({
      action: 'ignore',
      reason: 'capture status is "PENDING", not COMPLETED',
    });
  });

  it('names the obligation by custom_id, else invoice_id, or says why neither does', async () => {
    const target = async (resource: Record<string, unknown>, overrides: Partial<PayPalSettings> = {}) => {
      const result = await read(capture(resource), overrides);
      return 'action' in result && result.action === 'accept'
        ? (result.event.target ?? result.event.targetProblem)
        : result;
    };
    expect(await target({ custom_id: 'order-77', invoice_id: 'r1:O-1:cuota-2' })).toMatchObject({
      wolkvoxId: 'r1',
      obligation: 'O-1',
    });
    expect(await target({ custom_id: 'order-77', invoice_id: 'INV-9' })).toBe(
      'custom_id "order-77" and invoice_id "INV-9" do not match PAYPAL_REFERENCE_PATTERN',
    );
    expect(await target({ custom_id: null, invoice_id: 'INV-9' })).toBe(
      'invoice_id "INV-9" does not match PAYPAL_REFERENCE_PATTERN',
    );
    expect(
      await target(
        { custom_id: 'OBL|r7|PAG 9' },
        { referencePattern: /^OBL\|(?<wolkvox_id>[^|]+)\|(?<obligation>[^|]+)$/ },
      ),
    ).toMatchObject({ wolkvoxId: 'r7', obligation: 'PAG 9' });
    expect(await target({ custom_id: 'r1:O-1', invoice_id: null })).toMatchObject({ obligation: 'O-1' });
  });

  it('reads amounts as decimal text in the currency’s units, never through a float', async () => {
    const money = async (currency_code: string, value: string) => {
      const result = await read(capture({ amount: { currency_code, value } }));
      return 'action' in result && result.action === 'accept' ? result.event.payment.amount : result;
    };
    expect(await money('USD', '0.29')).toEqual({ minor: 29, currency: 'USD', exponent: 2 });
    expect(await money('USD', '1234567.80')).toEqual({ minor: 123_456_780, currency: 'USD', exponent: 2 });
    // PayPal's currencies without decimals (HUF, JPY, TWD).
    expect(await money('JPY', '1500')).toEqual({ minor: 1500, currency: 'JPY', exponent: 0 });
    for (const [currency, value] of [
      ['JPY', '1500.50'],
      ['USD', '10.005'],
      ['USD', '-1.00'],
      ['USD', '1e3'],
      ['usd', '1.00'],
    ])
      expect(await money(currency ?? '', value ?? ''), `${currency} ${value}`).toEqual({ rejected: 400 });
  });
});

describe('paypal: end to end', () => {
  function handler(env: Record<string, string> = {}) {
    const config = loadConfig({
      ...harness.providerApis.env,
      WOLKVOX_SERVER: harness.sandbox.url,
      WOLKVOX_OPERATION: 'demo',
      DISPATCH: 'direct',
      ...env,
    });
    return paymentReceivedHandler(createRuntime(config, { secrets: localSecretStore(), logLevel: 'SILENT' }));
  }
  /** The sample captured a minute ago: the ledger parks payments older than it remembers. */
  async function deliver(to: ReturnType<typeof handler>, file: string) {
    const minuteAgo = `${new Date(Date.now() - 60_000).toISOString().slice(0, 19)}Z`;
    const body = (await sample(file)).replace(
      /"(create|update)_time": "[^"]+Z"/g,
      `"$1_time": "${minuteAgo}"`,
    );
    const request = signSample('paypal', body, LOCAL_SECRETS);
    const answer = await to(
      apiGatewayEvent({ provider: 'paypal', ...request }),
      localContext('paymentReceived'),
    );
    return { status: answer.statusCode, body: JSON.parse(answer.body ?? '{}') as Record<string, unknown> };
  }
  const balance = () =>
    harness.sandbox
      .state()
      .records.find((r) => r.wolkvox_id === SEED_RECORD_IDS.carlosRamirez)
      ?.obligations.find((o) => o.id === SEED_OBLIGATION_IDS.carlosLibreInversion)?.total_balance;

  it('parks a USD capture in a COP operation, never converting it', async () => {
    expect(await deliver(handler(), 'PAYMENT.CAPTURE.COMPLETED.usd.json')).toMatchObject({
      status: 202,
      body: { status: 'parked', reason: "payment currency USD does not match the obligations' COP" },
    });
    expect(balance()).toBe('1250000');
  });

  it('applies the same USD capture where the obligations are kept in USD (WOLKVOX_CURRENCY=USD)', async () => {
    const usd = handler({ WOLKVOX_CURRENCY: 'USD' });
    expect(await deliver(usd, 'PAYMENT.CAPTURE.COMPLETED.usd.json')).toMatchObject({
      status: 200,
      body: { status: 'applied' },
    });
    expect(balance()).toBe('1249965');
    // PayPal's next delivery of the same capture (a new transmission) is the same payment.
    expect(await deliver(usd, 'PAYMENT.CAPTURE.COMPLETED.usd.json')).toMatchObject({
      status: 200,
      body: { status: 'skipped' },
    });
  });

  it('signs local samples with the local test certificate, on a URL PayPal does not serve', () => {
    expect(PAYPAL_LOCAL_CERT_URL).toBe(
      'https://api.sandbox.paypal.com/v1/notifications/certs/CERT-LOCAL-TEST-not-paypal',
    );
  });
});

/**
 * `build(patch)` with a 4-character patch chosen so the whole has the CRC-32 of `genuine`. CRC-32
 * is affine over GF(2), so the 32 patch bits that reach any CRC are found by elimination; patches
 * that are not plain JSON string characters are skipped by varying a counter before them.
 */
function forgeSameCrc32(genuine: string, build: (patch: string) => string): string {
  const want = crc32(genuine);
  const MARK = '\u0000\u0000\u0000\u0000';
  for (let counter = 0; counter < 10_000; counter++) {
    const [prefix = '', suffix = ''] = build(`${counter}-${MARK}`).split(MARK);
    const head = crc32(prefix);
    const f = (x: number) => {
      const patch = Buffer.alloc(4);
      patch.writeUInt32LE(x >>> 0);
      return crc32(suffix, crc32(patch, head));
    };
    const x = solveAffine(f, want);
    if (x === undefined) continue;
    const patch = Buffer.alloc(4);
    patch.writeUInt32LE(x);
    if (![...patch].every((b) => b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c)) continue;
    return `${prefix}${patch.toString('latin1')}${suffix}`;
  }
  throw new Error('no printable patch found');
}

/** x such that f(x) = want, for an affine f on 32-bit words (Gaussian elimination over GF(2)). */
function solveAffine(f: (x: number) => number, want: number): number | undefined {
  const f0 = f(0);
  const basis: { value: number; input: number; pivot: number }[] = [];
  for (let bit = 0; bit < 32; bit++) {
    let value = (f((1 << bit) >>> 0) ^ f0) >>> 0;
    let input = (1 << bit) >>> 0;
    for (const b of basis) {
      if ((value >>> b.pivot) & 1) {
        value = (value ^ b.value) >>> 0;
        input = (input ^ b.input) >>> 0;
      }
    }
    if (value !== 0) basis.push({ value, input, pivot: 31 - Math.clz32(value) });
  }
  let rest = (want ^ f0) >>> 0;
  let x = 0;
  for (const b of basis) {
    if ((rest >>> b.pivot) & 1) {
      rest = (rest ^ b.value) >>> 0;
      x = (x ^ b.input) >>> 0;
    }
  }
  return rest === 0 ? x : undefined;
}
