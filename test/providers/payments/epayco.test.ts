import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_OPERATION, LOCAL_SECRETS } from '#lib/local/defaults.ts';
import type { EpaycoTransaction, ProviderApis } from '#lib/local/provider-apis.ts';
import { readCatalog } from '#lib/local/samples.ts';
import { localContext, startLocal } from '#lib/local/runtime.ts';
import { apiGatewayEvent, signSample } from '#lib/local/sign.ts';
import epaycoCode, {
  EPAYCO_SIGNED_FIELDS,
  epaycoSignature,
  transactionState,
} from '#lib/providers/payments/epayco/provider.ts';
import type { EpaycoSettings } from '#lib/providers/payments/epayco/settings.ts';
import { DEFAULT_REFERENCE_PATTERN } from '#lib/providers/payments/reference.ts';
import type { RawRequest } from '#lib/providers/types.ts';
import { startLocalProviderApis } from '../../support/harness.ts';
import {
  harmless,
  outcome,
  runProviderContract,
  settled,
  sourceContext,
  tamperings,
} from '../../support/provider-contract.ts';
import { readRequest } from '../../support/provider-requests.ts';

const NOW = new Date('2026-11-24T12:00:00Z');
const CUSTOMER = LOCAL_SECRETS.EPAYCO_CUSTOMER_ID;
const P_KEY = LOCAL_SECRETS.EPAYCO_P_KEY;
let apis: ProviderApis;
beforeAll(async () => {
  apis = await startLocalProviderApis();
});
afterAll(() => apis.close());

const settings = (overrides: Partial<EpaycoSettings> = {}): EpaycoSettings & { operation: string } => ({
  operation: LOCAL_OPERATION,
  referencePattern: new RegExp(DEFAULT_REFERENCE_PATTERN),
  apiUrl: apis.env.EPAYCO_API_URL,
  ...overrides,
});
const context = (secrets: Readonly<Record<string, string>> = LOCAL_SECRETS) => sourceContext(secrets, NOW);

runProviderContract('epayco', {
  source: () => epaycoCode.create(settings()),
  now: NOW,
  signatureFields: ['x_signature'],
  waits: { read: "confirms the payment with ePayco's validation API" },
});

/** A confirmation's form fields, as the samples carry them (text). */
type Fields = Record<string, string>;

const accepted: Fields = {
  x_cust_id_cliente: CUSTOMER,
  x_ref_payco: '90000001',
  x_id_invoice: '65a1f0c2e4b0a1d2c3e4f501:6669999 API',
  x_amount: '62000.00',
  x_currency_code: 'COP',
  x_transaction_id: '5550001',
  x_transaction_date: '2026-11-23 20:30:00',
  x_cod_transaction_state: '1',
  x_cod_response: '1',
  x_test_request: 'FALSE',
};

/** What ePayco's API knows of `fields` (numbers where it answers numbers), with `changes`. */
function known(fields: Fields, changes: Partial<EpaycoTransaction> = {}): EpaycoTransaction {
  return {
    ...fields,
    x_cust_id_cliente: Number(fields.x_cust_id_cliente),
    x_ref_payco: Number.isNaN(Number(fields.x_ref_payco))
      ? (fields.x_ref_payco ?? '')
      : Number(fields.x_ref_payco),
    x_transaction_id: fields.x_transaction_id ?? '',
    x_id_invoice: fields.x_id_invoice ?? '',
    x_id_factura: fields.x_id_invoice ?? '',
    x_amount: Number(fields.x_amount),
    x_currency_code: fields.x_currency_code ?? '',
    x_cod_transaction_state: Number(fields.x_cod_transaction_state),
    x_cod_response: Number(fields.x_cod_response),
    x_transaction_date: fields.x_transaction_date ?? '',
    ...changes,
  };
}

/** Signed with the local secrets (or `with`), as a form POST. */
function post(fields: Fields, secrets: Readonly<Record<string, string>> = LOCAL_SECRETS): RawRequest {
  const signed = signSample('epayco', JSON.stringify(fields), secrets, NOW);
  return { body: Buffer.from(signed.body), headers: signed.headers, query: {} };
}

/** The same fields as ePayco's GET confirmation sends them: a query string, no body. */
function get(fields: Fields): RawRequest {
  const form = new URLSearchParams(post(fields).body.toString('utf8'));
  return { body: Buffer.alloc(0), headers: {}, query: Object.fromEntries(form) };
}

/** A form body with `fields` exactly (no re-signing): for hand-made signatures. */
const form = (fields: Fields): RawRequest => ({
  body: Buffer.from(new URLSearchParams(fields).toString()),
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  query: {},
});

describe('epayco: x_signature', () => {
  it("reproduces payment-gateways.md §10.6's vector", () => {
    const values = {
      x_ref_payco: '68fb83729d094878e015be00',
      x_transaction_id: '987654',
      x_amount: '62000.00',
      x_currency_code: 'COP',
    };
    const expected = 'acf3a00a811d6b78de20bb9cfb25b4a1ffc7053f4d6fc43548d27a1e09062889';
    expect(epaycoSignature('123456', 'p_key_example', values)).toBe(expected);
    // The same string hashed by hand, so the vector pins the field order too.
    const joined = '123456^p_key_example^68fb83729d094878e015be00^987654^62000.00^COP';
    expect(createHash('sha256').update(joined).digest('hex')).toBe(expected);
    expect(EPAYCO_SIGNED_FIELDS).toEqual(['x_ref_payco', 'x_transaction_id', 'x_amount', 'x_currency_code']);
  });

  it('verifies x_amount exactly as sent: "62000.00" re-sent as "62000" is refused', async () => {
    apis.epayco.put(known(accepted));
    const source = epaycoCode.create(settings());
    const signature = epaycoSignature(CUSTOMER, P_KEY, {
      x_ref_payco: accepted.x_ref_payco ?? '',
      x_transaction_id: accepted.x_transaction_id ?? '',
      x_amount: '62000.00',
      x_currency_code: 'COP',
    });
    expect(await outcome(source, form({ ...accepted, x_signature: signature }), context())).toMatchObject({
      action: 'accept',
    });
    expect(
      await outcome(source, form({ ...accepted, x_amount: '62000', x_signature: signature }), context()),
    ).toEqual({ rejected: 401 });
  });

  it('accepts the signature in upper case; refuses a missing one, a missing signed value and a `^` inside one', async () => {
    apis.epayco.put(known(accepted));
    const source = epaycoCode.create(settings());
    const fields = new URLSearchParams(post(accepted).body.toString('utf8'));
    const upper = Object.fromEntries(fields);
    upper.x_signature = (upper.x_signature ?? '').toUpperCase();
    expect(await outcome(source, form(upper), context())).toMatchObject({ action: 'accept' });
    const { x_signature: _dropped, ...unsigned } = Object.fromEntries(fields);
    expect(await outcome(source, form(unsigned), context())).toEqual({ rejected: 401 });
    const { x_transaction_id: _id, ...noId } = Object.fromEntries(fields);
    expect(await outcome(source, form(noId), context())).toEqual({ rejected: 401 });
    // "a^b" + "c" and "a" + "b^c" join to the same string: such values are refused, not hashed.
    const shifted = { ...accepted, x_ref_payco: '90000001^5550001', x_transaction_id: 'x' };
    expect(await outcome(source, post(shifted), context())).toEqual({ rejected: 401 });
  });

  it('tries every pair of a rotation in either list; refuses a customer id that did not sign', async () => {
    apis.epayco.put(known(accepted));
    const source = epaycoCode.create(settings());
    const rotated = {
      ...LOCAL_SECRETS,
      EPAYCO_CUSTOMER_ID: `111111,${CUSTOMER}`,
      EPAYCO_P_KEY: `old-key,${P_KEY},newer-key`,
    };
    expect(await outcome(source, post(accepted), context(rotated))).toMatchObject({ action: 'accept' });
    // Signed with our key pair, but naming another merchant as the customer.
    const signature = new URLSearchParams(post(accepted).body.toString('utf8')).get('x_signature') ?? '';
    const other = form({ ...accepted, x_cust_id_cliente: '111111', x_signature: signature });
    expect(await outcome(source, other, context(rotated))).toEqual({ rejected: 401 });
    // Without x_cust_id_cliente the signing pair is enough.
    const { x_cust_id_cliente: _c, ...anonymous } = accepted;
    const bare = form({ ...anonymous, x_signature: signature });
    expect(await outcome(source, bare, context())).toMatchObject({ action: 'accept' });
  });

  it('refuses everything, and calls no API, when either key is missing', async () => {
    const source = epaycoCode.create(settings());
    const before = apis.epayco.requests.length;
    for (const missing of ['EPAYCO_CUSTOMER_ID', 'EPAYCO_P_KEY']) {
      expect(await outcome(source, post(accepted), context({ ...LOCAL_SECRETS, [missing]: ' ' }))).toEqual({
        rejected: 401,
      });
    }
    expect(apis.epayco.requests.length).toBe(before);
  });
});

describe('epayco: GET confirmations (method_confirmation GET)', () => {
  it('reads the query string when the body is empty, exactly as a POST', async () => {
    apis.epayco.put(known(accepted));
    const source = epaycoCode.create(settings());
    const viaPost = await outcome(source, post(accepted), context());
    expect(viaPost).toMatchObject({ action: 'accept' });
    expect(await outcome(source, get(accepted), context())).toEqual(viaPost);
  });

  it('refuses a query string without a valid signature, and changes nothing when any parameter is changed', async () => {
    apis.epayco.put(known(accepted));
    const source = epaycoCode.create(settings());
    const request = get(accepted);
    const { x_signature: _s, ...unsigned } = request.query;
    expect(await outcome(source, { ...request, query: unsigned }, context())).toEqual({ rejected: 401 });
    const genuine = await outcome(source, request, context());
    const problems: string[] = [];
    for (const { field, request: tampered } of tamperings(request, [])) {
      const result = await outcome(source, tampered, context());
      if (!harmless(result, genuine)) problems.push(`${field} → ${JSON.stringify(result).slice(0, 120)}`);
    }
    expect(problems).toEqual([]);
  });
});

describe('epayco: confirmation with the API', () => {
  it('an accepted confirmation → a payment of the signed amount, targeting the confirmed invoice, at the confirmed Bogotá time', async () => {
    apis.epayco.put(known(accepted));
    const source = epaycoCode.create(settings());
    expect(await outcome(source, post(accepted), context())).toEqual({
      action: 'accept',
      event: {
        kind: 'payment',
        eventId: '90000001:5550001',
        eventType: 'confirmation',
        livemode: true,
        payment: {
          provider: 'epayco',
          paymentId: '90000001',
          amount: { minor: 6200000, currency: 'COP', exponent: 2 },
          // 20:30 in Bogotá (UTC−5) is 01:30 UTC the next day.
          paidAt: '2026-11-24T01:30:00.000Z',
        },
        target: { operation: 'demo', wolkvoxId: '65a1f0c2e4b0a1d2c3e4f501', obligation: '6669999 API' },
      },
    });
    expect(epaycoCode.onlyStatus).toBe(200);
    expect(apis.epayco.requests.at(-1)).toBe('/validation/v1/reference/90000001');
  });

  it('takes the state, invoice, date and test flag from the API, whatever the confirmation says', async () => {
    const ref = { ...accepted, x_ref_payco: '90000002', x_transaction_id: '5550002' };
    apis.epayco.put(known(ref, { x_test_request: 'TRUE' }));
    const lying = {
      ...ref,
      x_id_invoice: 'attacker:OBL-X',
      x_id_factura: 'attacker:OBL-X',
      x_transaction_date: '2020-01-01 00:00:00',
      x_test_request: 'FALSE',
    };
    expect(await outcome(epaycoCode.create(settings()), post(lying), context())).toMatchObject({
      action: 'accept',
      event: {
        livemode: false,
        payment: { paidAt: '2026-11-24T01:30:00.000Z' },
        target: { wolkvoxId: '65a1f0c2e4b0a1d2c3e4f501', obligation: '6669999 API' },
      },
    });
  });

  it("reads the API's amounts as minor units and its text or number fields alike", async () => {
    const source = epaycoCode.create(settings());
    const whole = { ...accepted, x_ref_payco: '90000003', x_transaction_id: '5550003', x_amount: '424265' };
    apis.epayco.put(known(whole, { x_amount: 424265.0 }));
    expect(await outcome(source, post(whole), context())).toMatchObject({
      event: { payment: { amount: { minor: 42426500 } } },
    });
    const cents = { ...accepted, x_ref_payco: '90000004', x_transaction_id: '5550004', x_amount: '150.26' };
    apis.epayco.put({
      ...known(cents),
      x_amount: '150.260' as unknown as number,
      x_cust_id_cliente: CUSTOMER as unknown as number,
      x_cod_transaction_state: '1' as unknown as number,
    });
    expect(await outcome(source, post(cents), context())).toMatchObject({
      event: { payment: { amount: { minor: 15026 } } },
    });
  });

  it('falls back to x_cod_response when the state is 0, and to x_id_factura when x_id_invoice is empty', async () => {
    const fields = { ...accepted, x_ref_payco: '90000005', x_transaction_id: '5550005' };
    apis.epayco.put(
      known(fields, {
        x_cod_transaction_state: 0,
        x_cod_response: 1,
        x_id_invoice: '',
        x_id_factura: 'r7:O-7',
      }),
    );
    expect(await outcome(epaycoCode.create(settings()), post(fields), context())).toMatchObject({
      action: 'accept',
      event: { target: { wolkvoxId: 'r7', obligation: 'O-7' } },
    });
    expect(transactionState('0', '1')).toBe(1);
    expect(transactionState('', '3')).toBe(3);
    expect(transactionState(undefined, undefined)).toBeUndefined();
    expect(transactionState('1x', '0')).toBeUndefined();
    expect(transactionState(2, 1)).toBe(2);
  });

  it('takes the verify time when the API gives no readable date', async () => {
    const fields = { ...accepted, x_ref_payco: '90000006', x_transaction_id: '5550006' };
    apis.epayco.put(known(fields, { x_transaction_date: '23/11/2026 8:30 PM' }));
    expect(await outcome(epaycoCode.create(settings()), post(fields), context())).toMatchObject({
      event: { payment: { paidAt: NOW.toISOString() } },
    });
  });

  it('ignores a state the API says is not accepted, even when the confirmation says accepted', async () => {
    const source = epaycoCode.create(settings());
    for (const [state, name] of [
      [3, 'pending'],
      [6, 'reversed'],
      [11, 'cancelled'],
      [42, 'unknown'],
    ] as const) {
      const fields = { ...accepted, x_ref_payco: `9100000${state}`, x_transaction_id: `66${state}` };
      apis.epayco.put(known(fields, { x_cod_transaction_state: state, x_cod_response: state }));
      expect(await outcome(source, post(fields), context())).toEqual({
        action: 'ignore',
        reason: `ePayco's API says transaction state ${state} (${name})`,
      });
    }
  });

  it('ignores a confirmation whose own state is not accepted without calling the API', async () => {
    const source = epaycoCode.create(settings());
    const before = apis.epayco.requests.length;
    const rejected = {
      ...accepted,
      x_ref_payco: '92000001',
      x_cod_transaction_state: '2',
      x_cod_response: '2',
    };
    expect(await outcome(source, post(rejected), context())).toEqual({
      action: 'ignore',
      reason: 'the confirmation says transaction state 2 (rejected)',
    });
    const fallback = { ...rejected, x_cod_transaction_state: '0', x_cod_response: '4' };
    expect(await outcome(source, post(fallback), context())).toMatchObject({
      action: 'ignore',
      reason: expect.stringContaining('4 (failed)'),
    });
    expect(apis.epayco.requests.length).toBe(before);
  });

  it('parks a reference the API does not know, in each shape an unknown answer may take', async () => {
    const source = epaycoCode.create(settings());
    const fields = { ...accepted, x_ref_payco: '93000001', x_transaction_id: '7770001' };
    // The fake's answer for an unknown reference: 200 { success: false, data: [] }.
    expect(await outcome(source, post(fields), context())).toMatchObject({
      action: 'park',
      reason: expect.stringContaining('does not know reference "93000001"'),
      eventId: '93000001:7770001',
      summary: { paymentId: '93000001' },
    });
    apis.epayco.fail(404);
    expect(await outcome(source, post(fields), context())).toMatchObject({ action: 'park' });
  });

  it('parks a record that disagrees with the signed values, names another merchant, or lacks a state', async () => {
    const source = epaycoCode.create(settings());
    const cases: [string, Partial<EpaycoTransaction>, string][] = [
      ['94000001', { x_amount: 620000 }, 'x_amount'],
      ['94000002', { x_currency_code: 'USD' }, 'x_currency_code'],
      ['94000003', { x_transaction_id: '999' }, 'x_transaction_id'],
      ['94000004', { x_cust_id_cliente: 111111 }, 'x_cust_id_cliente'],
    ];
    for (const [ref, changes, field] of cases) {
      const fields = { ...accepted, x_ref_payco: ref };
      apis.epayco.put(known(fields, changes));
      expect(await outcome(source, post(fields), context()), field).toMatchObject({
        action: 'park',
        reason: `ePayco's API disagrees with the signed confirmation on ${field}: check the transaction before redriving`,
      });
    }
    const stateless = { ...accepted, x_ref_payco: '94000005' };
    apis.epayco.put(known(stateless, { x_cod_transaction_state: 0, x_cod_response: 0 }));
    expect(await outcome(source, post(stateless), context())).toMatchObject({
      action: 'park',
      reason: expect.stringContaining('no transaction state'),
    });
    const shapeless = { ...accepted, x_ref_payco: '94000006' };
    apis.epayco.put({ ...known(shapeless), x_amount: { value: 62000 } as unknown as number });
    expect(await outcome(source, post(shapeless), context())).toMatchObject({
      action: 'park',
      reason: expect.stringContaining('without a readable x_amount'),
    });
  });

  it('answers 503 (ProviderApiError) when the API fails or does not answer in time', async () => {
    apis.epayco.put(known(accepted));
    const source = epaycoCode.create(settings());
    apis.epayco.fail(500);
    await expect(outcome(source, post(accepted), context())).rejects.toMatchObject({
      name: 'ProviderApiError',
      component: 'provider_api',
      kind: 'transient',
    });
    apis.epayco.fail('hang');
    const short = { ...context(), signal: AbortSignal.timeout(200) };
    const verified = await source.verify(post(accepted), short);
    await expect(settled(() => verified.read(short))).rejects.toMatchObject({
      name: 'ProviderApiError',
      kind: 'transient',
    });
  });
});

describe('epayco: reading', () => {
  it('parks invoices that name no obligation, and reads a configured pattern', async () => {
    const source = epaycoCode.create(settings());
    const factura = { ...accepted, x_ref_payco: '95000001', x_id_invoice: 'FACTURA-8841' };
    apis.epayco.put(known(factura));
    expect(await outcome(source, post(factura), context())).toMatchObject({
      event: { target: null, targetProblem: expect.stringContaining('FACTURA-8841') },
    });
    const custom = epaycoCode.create(
      settings({ referencePattern: /^(?<operation>\w+)\|(?<wolkvox_id>\w+)\|(?<obligation>.+)$/ }),
    );
    const piped = { ...accepted, x_ref_payco: '95000002', x_id_invoice: 'demo|r1|O 1' };
    apis.epayco.put(known(piped));
    expect(await outcome(custom, post(piped), context())).toMatchObject({
      event: { target: { operation: 'demo', wolkvoxId: 'r1', obligation: 'O 1' } },
    });
  });

  it('names a malformed signed value (400), quoting it', async () => {
    const source = epaycoCode.create(settings());
    const bad = { ...accepted, x_ref_payco: '95000003', x_amount: '62.000,00' };
    await expect(readRequest(source, post(bad), context())).rejects.toMatchObject({
      problems: ['x_amount: "62.000,00" is not an amount in major units'],
    });
    const cop = { ...accepted, x_ref_payco: '95000004', x_currency_code: 'cop' };
    await expect(readRequest(source, post(cop), context())).rejects.toMatchObject({
      problems: [expect.stringContaining('x_currency_code')],
    });
  });

  it('declares what is signed and what the API confirms, and why a replay is harmless', () => {
    const { trust } = epaycoCode.create(settings());
    expect(trust).toMatchObject({
      covers: 'values',
      signed: ['x_ref_payco', 'x_transaction_id', 'x_amount', 'x_currency_code'],
      confirmed: ['x_cod_transaction_state', 'x_id_invoice', 'x_transaction_date'],
      unverified: [],
      replayWindowSeconds: null,
    });
    expect(trust.replayWindow).toMatch(/x_ref_payco.*once/);
  });
});

describe('epayco: the samples', () => {
  it('every catalog sample leads to what the catalog says, with its target and amount', async () => {
    const source = epaycoCode.create(settings());
    const entries = (await readCatalog()).filter((entry) => entry.provider === 'epayco');
    expect(entries.map((entry) => entry.expect).sort()).toEqual([
      'applied',
      'applied',
      'ignored',
      'ignored',
      'parked',
      'parked',
      'skipped',
    ]);
    for (const entry of entries) {
      const fields = JSON.parse(await readFile(entry.file, 'utf8')) as Fields;
      const result = await outcome(source, post(fields), context());
      if (entry.expect === 'ignored') {
        expect(result, entry.file).toMatchObject({ action: 'ignore' });
      } else if (entry.expect === 'skipped') {
        // A redelivery reads as the payment it repeats; the ledger skips it.
        expect(result, entry.file).toMatchObject({ action: 'accept' });
      } else if (entry.expect === 'applied') {
        const target = entry.target as { wolkvoxId: string; obligation: string };
        expect(result, entry.file).toMatchObject({
          action: 'accept',
          event: {
            target: { operation: LOCAL_OPERATION, ...target },
            payment: { amount: { minor: Number(entry.amount) * 100, currency: 'COP' } },
          },
        });
      } else {
        // Parked: here (the API disagrees), or by the translation (no target).
        const parked =
          ('action' in result && result.action === 'park') ||
          ('action' in result && result.action === 'accept' && result.event.target === null);
        expect(parked, `${entry.file}: ${JSON.stringify(result).slice(0, 200)}`).toBe(true);
      }
    }
  });

  it('the forged-amount sample is parked by the API check, not by a missing target', async () => {
    const fields = JSON.parse(
      await readFile('events/epayco/confirmation.forged-amount.json', 'utf8'),
    ) as Fields;
    expect(await outcome(epaycoCode.create(settings()), post(fields), context())).toMatchObject({
      action: 'park',
      reason: expect.stringContaining('on x_amount'),
    });
  });
});

describe('epayco: through the real handler (local runtime, sandbox, fake API)', () => {
  it('applies a GET confirmation (query string, no body) once, answering 200; a second delivery is skipped', async () => {
    const local = await startLocal({ freshSandbox: true, logLevel: 'SILENT', env: {} });
    try {
      const fields = JSON.parse(
        await readFile('events/epayco/confirmation.accepted-new-checkout.json', 'utf8'),
      ) as Fields;
      const signed = signSample('epayco', JSON.stringify(fields), LOCAL_SECRETS, new Date());
      const query = Object.fromEntries(new URLSearchParams(signed.body));
      const event = apiGatewayEvent({ family: 'payments', provider: 'epayco', body: '', headers: {}, query });
      event.routeKey = 'GET /webhooks/payments/{provider}';
      event.requestContext.http.method = 'GET';
      const obligation = () =>
        local.sandbox
          ?.state()
          .records.find((record) => record.wolkvox_id === '65a1f0c2e4b0a1d2c3e4f502')
          ?.obligations.find((o) => o.id === 'VEH-2023-77');
      const first = await local.handlers.paymentReceived(event, localContext('get'));
      expect([first.statusCode, JSON.parse(first.body ?? '{}')]).toEqual([
        200,
        { status: 'applied', identity: 'epayco:6921a4c7e3b05d18f2a9c611' },
      ]);
      expect(obligation()).toMatchObject({
        total_balance: '32075735',
        last_pay: '424265',
        last_pay_date: '23-11-2026',
      });
      const again = await local.handlers.paymentReceived(event, localContext('get'));
      expect([again.statusCode, JSON.parse(again.body ?? '{}').status]).toEqual([200, 'skipped']);
      expect(obligation()?.total_balance).toBe('32075735');
      // A parked one is answered 200 too (ePayco's rule), not 202.
      const unknown = JSON.parse(
        await readFile('events/epayco/confirmation.accepted.unknown-invoice.json', 'utf8'),
      ) as Fields;
      const parked = await local.handlers.paymentReceived(
        apiGatewayEvent({
          provider: 'epayco',
          ...signSample('epayco', JSON.stringify(unknown), LOCAL_SECRETS),
        }),
        localContext('post'),
      );
      expect([parked.statusCode, JSON.parse(parked.body ?? '{}').status]).toEqual([200, 'parked']);
    } finally {
      await local.close();
    }
  });
});
