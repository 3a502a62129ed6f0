import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { PaymentReceived } from '#lib/events.ts';
import { ServiceError } from '#lib/errors.ts';
import { LOCAL_OPERATION, LOCAL_SECRETS, LOCAL_SETTINGS } from '#lib/local/defaults.ts';
import { localContext } from '#lib/local/runtime.ts';
import { apiGatewayEvent, signSample } from '#lib/local/sign.ts';
import { MissingSecretError } from '#lib/secrets/index.ts';
import payuCode, {
  PAYU_SANDBOX_MERCHANT_ID,
  payuNewValue,
  payuSign,
  payuSignedString,
  type PayuSigned,
} from '#lib/providers/payments/payu/provider.ts';
import type { PayuAlgorithm, PayuSettings } from '#lib/providers/payments/payu/settings.ts';
import { DEFAULT_REFERENCE_PATTERN } from '#lib/providers/payments/reference.ts';
import type { RawRequest } from '#lib/providers/types.ts';
import { SEED_OBLIGATION_IDS, SEED_RECORD_IDS } from '#lib/sandbox/index.ts';
import { loadConfig } from '#lib/config.ts';
import { createRuntime, paymentReceivedHandler } from '#lib/wiring.ts';
import { localSecretStore, useSandboxAndSqs } from '../../support/harness.ts';
import { malformed, readRequest } from '../../support/provider-requests.ts';
import {
  type Outcome,
  outcome,
  runProviderContract,
  sourceContext,
} from '../../support/provider-contract.ts';

const NOW = new Date('2026-11-23T12:00:00Z');
/** The merchant and ApiKey of payment-gateways.md §10.4 (PayU's public sandbox credentials). */
const DOCS_API_KEY = '4Vj8eK4rloUd272L48hsrarnUA';
const DOCS_MERCHANT = '508029';
/** A merchant that is not PayU's sandbox: a production account. */
const PRODUCTION_MERCHANT = '771234';

const settings = (overrides: Partial<PayuSettings> = {}): PayuSettings & { operation: string } => ({
  operation: LOCAL_OPERATION,
  merchantId: LOCAL_SETTINGS.PAYU_MERCHANT_ID,
  referencePattern: new RegExp(DEFAULT_REFERENCE_PATTERN),
  algorithm: 'md5',
  ...overrides,
});

runProviderContract('payu', {
  source: () => payuCode.create(settings()),
  now: NOW,
  signatureFields: ['sign'],
});

const context = (secrets: Readonly<Record<string, string>> = LOCAL_SECRETS) => sourceContext(secrets, NOW);

/** A confirmation's form fields; `sign` computed with `apiKey` unless given. */
function confirmation(
  fields: Partial<Record<string, string>> = {},
  options: { apiKey?: string; algorithm?: PayuAlgorithm; hmacKey?: string } = {},
): Record<string, string> {
  const form: Record<string, string> = {
    merchant_id: LOCAL_SETTINGS.PAYU_MERCHANT_ID ?? '',
    state_pol: '4',
    response_message_pol: 'APPROVED',
    reference_sale: `${SEED_RECORD_IDS.carlosRamirez}:${SEED_OBLIGATION_IDS.carlosPagare}:1`,
    reference_pol: '2150449999',
    transaction_id: 'b7c1d2e3-0000-4a4a-8b8b-123456789abc',
    transaction_date: '2026-11-23 06:59:00',
    value: '250000.00',
    currency: 'COP',
    test: '1',
    ...Object.fromEntries(Object.entries(fields).filter((e): e is [string, string] => e[1] !== undefined)),
  };
  if (fields.sign === undefined) {
    const text = payuSignedString(options.apiKey ?? LOCAL_SECRETS.PAYU_API_KEY, signedOf(form));
    if (text === undefined) throw new Error('test confirmation with a value PayU cannot sign');
    form.sign = payuSign(text, options.algorithm ?? 'md5', options.hmacKey);
  }
  return form;
}

const signedOf = (form: Record<string, string>): PayuSigned => ({
  merchantId: form.merchant_id ?? '',
  reference: form.reference_sale ?? '',
  value: form.value ?? '',
  currency: form.currency ?? '',
  state: form.state_pol ?? '',
});

const formRequest = (form: Record<string, string>): RawRequest => ({
  body: Buffer.from(new URLSearchParams(form).toString()),
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  query: {},
});

const jsonRequest = (form: Record<string, string>): RawRequest => ({
  body: Buffer.from(JSON.stringify(form)),
  headers: { 'content-type': 'application/json' },
  query: {},
});

function accepted(decision: Outcome<PaymentReceived>): PaymentReceived {
  if ('rejected' in decision || decision.action !== 'accept')
    throw new Error(`expected accept, got ${JSON.stringify(decision)}`);
  return decision.event;
}

const decide = (
  form: Record<string, string>,
  overrides: Partial<PayuSettings> = {},
  secrets = LOCAL_SECRETS,
) => outcome(payuCode.create(settings(overrides)), formRequest(form), context(secrets));

describe('payu: settings', () => {
  const minimal = { WOLKVOX_SERVER: 'crm0001.wolkvox.com', WOLKVOX_OPERATION: 'demo' };
  const payuOf = (env: Record<string, string>) => loadConfig({ ...minimal, ...env }).providers.payments.payu;

  it('reads the merchant id, the algorithm (any case) and the reference pattern', () => {
    expect(payuOf({})).toMatchObject({ merchantId: undefined, algorithm: 'md5' });
    expect(
      payuOf({
        PAYU_MERCHANT_ID: '508029',
        PAYU_SIGNATURE_ALGORITHM: ' HMAC-SHA256 ',
        PAYU_REFERENCE_PATTERN: '^(?<wolkvox_id>[^-]+)-(?<obligation>.+)$',
      }),
    ).toEqual({
      merchantId: '508029',
      algorithm: 'hmac-sha256',
      referencePattern: /^(?<wolkvox_id>[^-]+)-(?<obligation>.+)$/,
    });
  });

  it('refuses a merchant id that is not digits and an algorithm PayU does not offer, naming each', () => {
    expect(() =>
      loadConfig({ ...minimal, PAYU_MERCHANT_ID: 'acme', PAYU_SIGNATURE_ALGORITHM: 'crc32' }),
    ).toThrow(
      expect.objectContaining({
        problems: [
          expect.stringMatching(/^PAYU_MERCHANT_ID: must be the numeric merchant id/),
          expect.stringMatching(/^PAYU_SIGNATURE_ALGORITHM: /),
        ],
      }),
    );
  });

  it('declares what it signs and that it has no replay window, with the algorithm the account uses', () => {
    const { trust } = payuCode.create(settings({ algorithm: 'sha256' }));
    expect(trust).toMatchObject({
      covers: 'values',
      signed: ['merchant_id', 'reference_sale', 'value', 'currency', 'state_pol'],
      confirmed: [],
      unverified: [],
      replayWindowSeconds: null,
    });
    expect(trust.scheme).toMatch(
      /^SHA-256 of PAYU_API_KEY~merchant_id~reference_sale~new_value~currency~state_pol/,
    );
  });
});

describe('payu: sign (payment-gateways.md §10.4 test vectors)', () => {
  const vector = (reference: string, value: string, state = '4') =>
    payuSignedString(DOCS_API_KEY, { merchantId: DOCS_MERCHANT, reference, value, currency: 'USD', state }) ??
    '';

  it('reproduces the MD5 vectors: two decimals kept, a second decimal 0 dropped', () => {
    expect(vector('TestPayU05', '150.26')).toBe('4Vj8eK4rloUd272L48hsrarnUA~508029~TestPayU05~150.26~USD~4');
    expect(payuSign(vector('TestPayU05', '150.26'), 'md5')).toBe('1d95778a651e11a0ab93c2169a519cd6');
    for (const value of ['150', '150.0', '150.00']) {
      expect(payuSign(vector('TestPayU04', value), 'md5')).toBe('b607a2c2fa100e0947b206d41864fb86');
    }
    // The docs label that example state_pol 6; its hash is the state 4 one (§10.4). With 6:
    expect(payuSign(vector('TestPayU04', '150.00', '6'), 'md5')).toBe('df67936f918887b2aa31688a77a10fe1');
  });

  it('reproduces the HMAC-SHA256 vectors (key test123)', () => {
    expect(payuSign(vector('PayUTest01', '150.00'), 'hmac-sha256', 'test123')).toBe(
      '65fb2b3452572784e23e7d6480359fd2507c54dd285ca3c4dceffb8764cfb66f',
    );
    expect(payuSign(vector('PayUTest01', '150.25'), 'hmac-sha256', 'test123')).toBe(
      '7770a7933b90570a078fcacce1790eb13079cdf8f8a6e900b79f4f5eb96b8024',
    );
  });

  it('computes new_value on the text, never through a float', () => {
    const cases: [string, string | undefined][] = [
      ['150', '150.0'],
      ['150.0', '150.0'],
      ['150.00', '150.0'],
      ['150.2', '150.2'],
      ['150.20', '150.2'],
      ['150.26', '150.26'],
      ['150.05', '150.05'],
      ['0.29', '0.29'],
      ['1234567890123.45', '1234567890123.45'],
      ['150.261', undefined],
      ['150.', undefined],
      ['.5', undefined],
      ['-150.00', undefined],
      ['1,500.00', undefined],
      [' 150.00', undefined],
      ['1e3', undefined],
      ['', undefined],
    ];
    for (const [value, expected] of cases) expect(payuNewValue(value), value).toBe(expected);
  });
});

describe('payu: verification', () => {
  it('accepts the documented vectors as confirmations, with the algorithm the account is set to', async () => {
    const secrets = { ...LOCAL_SECRETS, PAYU_API_KEY: DOCS_API_KEY, PAYU_SIGNATURE_KEY: 'test123' };
    const docs = { merchantId: DOCS_MERCHANT };
    const md5 = confirmation({
      merchant_id: DOCS_MERCHANT,
      reference_sale: 'TestPayU05',
      value: '150.26',
      currency: 'USD',
      sign: '1d95778a651e11a0ab93c2169a519cd6',
    });
    expect(accepted(await decide(md5, docs, secrets)).payment.amount).toEqual({
      minor: 15026,
      currency: 'USD',
      exponent: 2,
    });
    const hmac = confirmation({
      merchant_id: DOCS_MERCHANT,
      reference_sale: 'PayUTest01',
      value: '150.00',
      currency: 'USD',
      sign: '65fb2b3452572784e23e7d6480359fd2507c54dd285ca3c4dceffb8764cfb66f',
    });
    expect(
      accepted(await decide(hmac, { ...docs, algorithm: 'hmac-sha256' }, secrets)).payment.amount,
    ).toEqual({ minor: 15000, currency: 'USD', exponent: 2 });
    // The algorithm is the account's setting, never guessed from the request.
    expect(await decide(md5, { ...docs, algorithm: 'sha256' }, secrets)).toEqual({ rejected: 401 });
    expect(await decide(hmac, docs, secrets)).toEqual({ rejected: 401 });
  });

  it.each(['md5', 'sha1', 'sha256'] as const)('verifies %s with PAYU_API_KEY', async (algorithm) => {
    const form = confirmation({}, { algorithm });
    expect(accepted(await decide(form, { algorithm })).payment.paymentId).toBe(form.reference_sale);
    const other = algorithm === 'md5' ? 'sha1' : 'md5';
    expect(await decide(form, { algorithm: other })).toEqual({ rejected: 401 });
  });

  it('compares sign in any case, in constant time', async () => {
    const form = confirmation();
    expect(await decide({ ...form, sign: (form.sign ?? '').toUpperCase() })).toMatchObject({
      action: 'accept',
    });
    expect(await decide({ ...form, sign: `${form.sign ?? ''}0` })).toEqual({ rejected: 401 });
    expect(await decide({ ...form, sign: '' })).toEqual({ rejected: 401 });
  });

  it('signs HMAC-SHA256 with PAYU_SIGNATURE_KEY, any of several during a rotation', async () => {
    const form = confirmation({}, { algorithm: 'hmac-sha256', hmacKey: 'hmac-new' });
    const hmac = { algorithm: 'hmac-sha256' as const };
    const secrets = (key: string) => ({ ...LOCAL_SECRETS, PAYU_SIGNATURE_KEY: key });
    expect(await decide(form, hmac, secrets('hmac-old, hmac-new'))).toMatchObject({ action: 'accept' });
    expect(await decide(form, hmac, secrets('hmac-old'))).toEqual({ rejected: 401 });
    // The HMAC over the same string with the ApiKey as key is not the account's signature.
    const keyedWithApiKey = confirmation(
      {},
      { algorithm: 'hmac-sha256', hmacKey: LOCAL_SECRETS.PAYU_API_KEY },
    );
    expect(await decide(keyedWithApiKey, hmac, secrets('hmac-new'))).toEqual({ rejected: 401 });
  });

  it('treats a missing PAYU_SIGNATURE_KEY under hmac-sha256 as a configuration problem (503), not a 401', async () => {
    const form = confirmation({}, { algorithm: 'hmac-sha256', hmacKey: 'k' });
    await expect(decide(form, { algorithm: 'hmac-sha256' })).rejects.toThrow(MissingSecretError);
  });

  it('refuses a confirmation for another merchant, even one signed with the same ApiKey', async () => {
    const form = confirmation({ merchant_id: PRODUCTION_MERCHANT, test: '0' });
    expect(await decide(form)).toEqual({ rejected: 401 });
    expect(await decide(form, { merchantId: PRODUCTION_MERCHANT })).toMatchObject({ action: 'accept' });
  });

  it('checks nothing without PAYU_MERCHANT_ID: a configuration problem (503), logged, never a payment', async () => {
    const failure = decide(confirmation(), { merchantId: undefined });
    await expect(failure).rejects.toThrow(ServiceError);
    await expect(failure).rejects.toThrow(/PAYU_MERCHANT_ID is not configured/);
    await expect(failure).rejects.toMatchObject({ component: 'secrets', kind: 'auth' });
  });

  it('refuses a confirmation without sign or without a field sign covers (401)', async () => {
    const form = confirmation();
    for (const name of ['sign', 'merchant_id', 'reference_sale', 'value', 'currency', 'state_pol']) {
      const { [name]: _dropped, ...rest } = form;
      expect(await decide(rest), name).toEqual({ rejected: 401 });
    }
    expect(await outcome(payuCode.create(settings()), formRequest({}), context())).toEqual({ rejected: 401 });
  });

  it('refuses a value PayU cannot have signed (401: the signature cannot be checked)', async () => {
    const form = confirmation();
    for (const value of ['250000.001', '250,000.00', '2.5e5', '-250000.00'])
      expect(await decide({ ...form, value }), value).toEqual({ rejected: 401 });
  });

  it('reads the same confirmation from a JSON body (the API integration’s notifyUrl)', async () => {
    const form = confirmation();
    const source = payuCode.create(settings());
    const fromJson = await outcome(source, jsonRequest(form), context());
    expect(fromJson).toMatchObject({ action: 'accept' });
    expect(fromJson).toEqual(await outcome(source, formRequest(form), context()));
  });
});

describe('payu: decisions', () => {
  it('turns an approval (state_pol 4) into a payment: identity, amount, currency and target from signed values', async () => {
    const form = confirmation({
      reference_sale: `${SEED_RECORD_IDS.mariaLopez}:${SEED_OBLIGATION_IDS.mariaLibranza}`,
    });
    expect(accepted(await decide(form))).toEqual({
      kind: 'payment',
      eventId: `${SEED_RECORD_IDS.mariaLopez}:${SEED_OBLIGATION_IDS.mariaLibranza}:4`,
      eventType: 'confirmation',
      livemode: false,
      payment: {
        provider: 'payu',
        paymentId: `${SEED_RECORD_IDS.mariaLopez}:${SEED_OBLIGATION_IDS.mariaLibranza}`,
        amount: { minor: 25_000_000, currency: 'COP', exponent: 2 },
        // PayU signs no time: the moment the confirmation was verified, not transaction_date.
        paidAt: NOW.toISOString(),
      },
      target: {
        operation: LOCAL_OPERATION,
        wolkvoxId: SEED_RECORD_IDS.mariaLopez,
        obligation: SEED_OBLIGATION_IDS.mariaLibranza,
      },
    });
  });

  it('ignores declined (6), expired (5) and any other state, saying which', async () => {
    expect(await decide(confirmation({ state_pol: '6' }))).toEqual({
      action: 'ignore',
      reason: 'state_pol 6 (declined): not an approval',
    });
    expect(await decide(confirmation({ state_pol: '5' }))).toEqual({
      action: 'ignore',
      reason: 'state_pol 5 (expired): not an approval',
    });
    expect(await decide(confirmation({ state_pol: '7' }))).toEqual({
      action: 'ignore',
      reason: 'state_pol "7" is not an approval (4)',
    });
  });

  it('gives every attempt of an order, whatever its transaction_id or date, the one identity of its signed reference', async () => {
    const first = await decide(confirmation());
    const second = await decide(
      confirmation({
        transaction_id: '00000000-1111-4222-8333-444444444444',
        transaction_date: '2026-12-01 08:00:00',
        reference_pol: '2150440000',
        attempts: '3',
      }),
    );
    expect(second).toEqual(first);
  });

  it('reads amounts of up to two decimals as minor units (no floats)', async () => {
    const amounts: [string, number][] = [
      ['150', 15000],
      ['150.5', 15050],
      ['0.29', 29],
      ['1234567.89', 123456789],
    ];
    for (const [value, minor] of amounts) {
      expect(accepted(await decide(confirmation({ value }))).payment.amount.minor, value).toBe(minor);
    }
  });

  it('answers 400 to a signed currency that is not an ISO code', async () => {
    const problems = await malformed(() =>
      readRequest(payuCode.create(settings()), formRequest(confirmation({ currency: 'cop' })), context()),
    );
    expect(problems).toEqual(['currency: "cop" is not an ISO 4217 code']);
  });

  it('accepts a reference that names no obligation with no target (the payment is parked)', async () => {
    const event = accepted(await decide(confirmation({ reference_sale: 'PEDIDO-2026-1187' })));
    expect(event.target).toBeNull();
    expect(event.targetProblem).toBe(
      'reference_sale "PEDIDO-2026-1187" does not match PAYU_REFERENCE_PATTERN',
    );
  });

  it('reads the obligation with PAYU_REFERENCE_PATTERN, and parks one for another operation', async () => {
    const pattern = { referencePattern: /^COB-(?<wolkvox_id>[0-9a-f]{24})-(?<obligation>.+)$/ };
    const event = accepted(
      await decide(
        confirmation({ reference_sale: `COB-${SEED_RECORD_IDS.jorgeMartinez}-MC-001245` }),
        pattern,
      ),
    );
    expect(event.target).toEqual({
      operation: LOCAL_OPERATION,
      wolkvoxId: SEED_RECORD_IDS.jorgeMartinez,
      obligation: 'MC-001245',
    });
    const other = { referencePattern: /^(?<operation>[^:]+):(?<wolkvox_id>[^:]+):(?<obligation>[^:]+)$/ };
    const elsewhere = accepted(await decide(confirmation({ reference_sale: 'otra:r1:O-1' }), other));
    expect(elsewhere.target).toBeNull();
    expect(elsewhere.targetProblem).toMatch(/names operation "otra"/);
  });

  it('ignores a test transaction on a production merchant (unsigned `test` can only make it do less)', async () => {
    const production = { merchantId: PRODUCTION_MERCHANT };
    const live = confirmation({ merchant_id: PRODUCTION_MERCHANT, test: '0' });
    expect(accepted(await decide(live, production)).livemode).toBe(true);
    for (const test of ['1', 'true', 'TRUE']) {
      expect(await decide({ ...live, test }, production), test).toEqual({
        action: 'ignore',
        reason: 'a test transaction (test=1): no money moved',
      });
    }
    // PayU's sandbox merchant sends only test transactions: those are what a sandbox stage applies.
    expect(PAYU_SANDBOX_MERCHANT_ID).toBe(LOCAL_SETTINGS.PAYU_MERCHANT_ID);
    expect(accepted(await decide(confirmation({ test: '1' }))).livemode).toBe(false);
  });
});

describe('payu: samples', () => {
  it('store a sign made with the local key, and the signer makes the same one, sent as a form', async () => {
    for (const name of [
      'confirmation.approved',
      'confirmation.approved-second-attempt',
      'confirmation.declined',
      'confirmation.approved-unknown-reference',
    ]) {
      const body = await readFile(`events/payu/${name}.json`, 'utf8');
      const fields = JSON.parse(body) as Record<string, string>;
      expect(fields.merchant_id, name).toBe(LOCAL_SETTINGS.PAYU_MERCHANT_ID);
      const signed = signSample('payu', body, LOCAL_SECRETS, NOW);
      expect(signed.headers).toEqual({ 'content-type': 'application/x-www-form-urlencoded' });
      const form = new URLSearchParams(signed.body);
      expect(form.get('sign'), name).toBe(fields.sign);
      expect(Object.fromEntries(form), name).toEqual(fields);
    }
  });

  it('signs with PAYU_SIGNATURE_ALGORITHM when the local environment sets it', async () => {
    const body = await readFile('events/payu/confirmation.approved.json', 'utf8');
    const signed = signSample(
      'payu',
      body,
      { ...LOCAL_SECRETS, PAYU_SIGNATURE_ALGORITHM: 'hmac-sha256', PAYU_SIGNATURE_KEY: 'k1,k0' },
      NOW,
    );
    const request = { body: Buffer.from(signed.body), headers: signed.headers, query: {} };
    const source = payuCode.create(settings({ algorithm: 'hmac-sha256' }));
    const secrets = { ...LOCAL_SECRETS, PAYU_SIGNATURE_KEY: 'k1' };
    expect(await outcome(source, request, context(secrets))).toMatchObject({ action: 'accept' });
    expect(() =>
      signSample('payu', body, { ...LOCAL_SECRETS, PAYU_SIGNATURE_ALGORITHM: 'crc32' }, NOW),
    ).toThrow(/PAYU_SIGNATURE_ALGORITHM/);
  });
});

describe('payu: through paymentReceived (form body base64-encoded, as an HTTP API delivers it)', () => {
  const harness = useSandboxAndSqs();

  /** One deployment (one ledger) for every confirmation posted to it. */
  function deployment(env: Record<string, string> = {}) {
    const config = loadConfig({
      WOLKVOX_SERVER: harness.sandbox.url,
      WOLKVOX_OPERATION: LOCAL_OPERATION,
      DISPATCH: 'direct',
      PAYU_MERCHANT_ID: LOCAL_SETTINGS.PAYU_MERCHANT_ID ?? '',
      ...env,
    });
    return paymentReceivedHandler(createRuntime(config, { secrets: localSecretStore(), logLevel: 'SILENT' }));
  }

  async function post(handler: ReturnType<typeof deployment>, file: string) {
    const body = await readFile(`events/payu/${file}`, 'utf8');
    const signed = signSample('payu', body, LOCAL_SECRETS, new Date());
    const event = apiGatewayEvent({ provider: 'payu', ...signed, base64: true });
    const answer = await handler(event, localContext('paymentReceived'));
    return { status: answer.statusCode, body: JSON.parse(answer.body ?? '{}') as Record<string, unknown> };
  }

  const carlos = () =>
    harness.sandbox
      .state()
      .records.find((r) => r.wolkvox_id === SEED_RECORD_IDS.carlosRamirez)
      ?.obligations.find((o) => o.id === SEED_OBLIGATION_IDS.carlosLibreInversion);

  it('applies an approval once: a second attempt of the same order is acknowledged (200 skipped) and writes nothing', async () => {
    const handler = deployment();
    expect(await post(handler, 'confirmation.approved.json')).toMatchObject({
      status: 200,
      body: {
        status: 'applied',
        identity: `payu:${SEED_RECORD_IDS.carlosRamirez}:6669999 API:PSE-20261121-1`,
      },
    });
    expect(carlos()?.total_balance).toBe('950000');
    expect(carlos()?.last_pay).toBe('300000');
    expect(await post(handler, 'confirmation.approved-second-attempt.json')).toMatchObject({
      status: 200,
      body: { status: 'skipped' },
    });
    expect(carlos()?.total_balance).toBe('950000');
  });

  it('answers exactly 200 to what it parks or ignores, as PayU requires', async () => {
    const handler = deployment();
    expect(await post(handler, 'confirmation.approved-unknown-reference.json')).toMatchObject({
      status: 200,
      body: { status: 'parked' },
    });
    expect(await post(handler, 'confirmation.declined.json')).toMatchObject({
      status: 200,
      body: { status: 'ignored' },
    });
  });

  it('answers 503 without PAYU_MERCHANT_ID (PayU retries until someone sets it)', async () => {
    expect(await post(deployment({ PAYU_MERCHANT_ID: '' }), 'confirmation.approved.json')).toMatchObject({
      status: 503,
      body: { error: 'temporarily unavailable', code: 'secrets' },
    });
    expect(carlos()?.total_balance).toBe('1250000');
  });
});
