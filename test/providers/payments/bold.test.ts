import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { PaymentReceived } from '#lib/events.ts';
import { LOCAL_OPERATION, LOCAL_SECRETS } from '#lib/local/defaults.ts';
import { readCatalog } from '#lib/local/samples.ts';
import { signSample } from '#lib/local/sign.ts';
import boldCode, { boldSignature, restampBold } from '#lib/providers/payments/bold/provider.ts';
import type { BoldSettings } from '#lib/providers/payments/bold/settings.ts';
import { hmac } from '#lib/providers/schemes/hmac.ts';
import { DEFAULT_REFERENCE_PATTERN } from '#lib/providers/payments/reference.ts';
import type { RawRequest } from '#lib/providers/types.ts';
import { formatMajor, type ObligationRules, paymentCommand } from '#lib/translate/obligation.ts';
import { outcome, runProviderContract, sourceContext } from '../../support/provider-contract.ts';
import { readRequest } from '../../support/provider-requests.ts';

const NOW = new Date('2026-11-23T12:00:00Z');
const KEY = LOCAL_SECRETS.BOLD_SECRET_KEY;

const settings = (overrides: Partial<BoldSettings> = {}): BoldSettings & { operation: string } => ({
  operation: LOCAL_OPERATION,
  referencePattern: new RegExp(DEFAULT_REFERENCE_PATTERN),
  maxAgeSeconds: 172_800,
  ...overrides,
});
const bold = boldCode.create(settings());

runProviderContract('bold', { source: () => boldCode.create(settings()), now: NOW });

/** Nanoseconds of `date` (a string of digits, as Bold writes them). */
const nanos = (date: Date) => `${BigInt(date.getTime()) * 1_000_000n}`;

/** A Bold notification as text, its `time` written as given (digits), signed over its bytes. */
function notification(
  fields: { type?: string; data?: Record<string, unknown>; id?: string } = {},
  options: { time?: string; key?: string; signature?: string } = {},
): RawRequest {
  const envelope = JSON.stringify({
    id: fields.id ?? '0b6e2f4c-1d3a-4e5b-8c7d-9f0a1b2c3d4e',
    type: fields.type ?? 'SALE_APPROVED',
    subject: 'LNK1TEST',
    source: '/payments/links',
    spec_version: '1.0',
    time: 0,
    data: fields.data ?? sale(),
    datacontenttype: 'application/json',
  });
  const body = envelope.replace('"time":0', `"time":${options.time ?? nanos(NOW)}`);
  const signature = options.signature ?? boldSignature(body, options.key ?? KEY);
  return { body: Buffer.from(body), headers: { 'x-bold-signature': signature }, query: {} };
}

function sale(overrides: Record<string, unknown> = {}) {
  return {
    payment_id: 'LNK1TEST',
    merchant_id: 'MCNT1',
    created_at: '2026-11-23T06:58:30-05:00',
    amount: { currency: 'COP', total: 320000, taxes: [], tip: 0 },
    metadata: { reference: '65a1f0c2e4b0a1d2c3e4f502:LIB-99812' },
    payment_method: 'CARD_WEB',
    ...overrides,
  };
}

const RULES: ObligationRules = {
  timeZone: 'America/Bogota',
  dateFormat: 'DD-MM-YYYY',
  currency: 'COP',
  reduceBalance: true,
  clearDelayWhenPaidOff: true,
  overpayment: 'reduce',
};

const context = (now = NOW, secrets: Record<string, string> = LOCAL_SECRETS) => sourceContext(secrets, now);
const run = (request: RawRequest, now = NOW) => outcome(bold, request, context(now));

/** The approved sale of Bold's webhook page (developers.bold.co/webhook), byte for byte. */
const DOCS_EXAMPLE =
  '{"id":"a9c1d0f5-3b7e-4d2a-9f6c-8e4b5d2f0a1b","type":"SALE_APPROVED","subject":"CNPCGSPS2WBA8","source":"/payments/links","spec_version":"1.0","time":1761063334000000000,"data":{"payment_id":"CNPCGSPS2WBA8","merchant_id":"MCNTR2025ABC","created_at":"2025-10-21T12:30:10-05:00","amount":{"currency":"COP","total":59900,"taxes":[{"base":49916,"type":"VAT","value":9484}],"tip":500},"user_id":"usr_web_20251021","metadata":{"reference":"WEB-ORD-009876"},"bold_code":"B000","payer_email":"comprador.web@dominio.com","payment_method":"CARD_WEB","card":{"brand":"VISA","cardholder_name":"CARLOS ALDANA","masked_pan":"411111****5432","installments":1,"card_type":"CREDIT"},"approval_number":"123456","integration":"LINK"},"datacontenttype":"application/json"}';
const VECTOR_KEY = 'KVwpsp4WlWny3apOYoGWvg';
/**
 * Computed outside this code, as Bold's plugin does (`hash_hmac('sha256', base64_encode($body),
 * $key)`): Python's hmac.new(key, base64.b64encode(body), sha256).hexdigest(), and again with
 * `base64 -w0 body | openssl dgst -sha256 -hmac KVwpsp4WlWny3apOYoGWvg`.
 */
const DOCS_EXAMPLE_SIGNATURE = '61b812c849fa3b8c8a04f6ba0b51ac642a826c3dc315f2c7072a12b159c1ec1a';
/** When the docs' example was signed: its `time`, 1761063334000000000 ns. */
const DOCS_EXAMPLE_AT = new Date('2025-10-21T16:15:34Z');

/** What a sender that skipped the Base64 step would compute: an HMAC of the raw body. */
const hmacRaw = (body: Buffer) => hmac('sha256', KEY, [body], 'hex');

describe('bold: signature', () => {
  it("matches a vector computed outside this code for the docs' example", async () => {
    expect(boldSignature(DOCS_EXAMPLE, VECTOR_KEY)).toBe(DOCS_EXAMPLE_SIGNATURE);
    const request = {
      body: Buffer.from(DOCS_EXAMPLE),
      headers: { 'x-bold-signature': DOCS_EXAMPLE_SIGNATURE },
      query: {},
    };
    const result = await outcome(bold, request, context(DOCS_EXAMPLE_AT, { BOLD_SECRET_KEY: VECTOR_KEY }));
    expect(result).toMatchObject({
      action: 'accept',
      event: {
        eventId: 'a9c1d0f5-3b7e-4d2a-9f6c-8e4b5d2f0a1b',
        payment: {
          provider: 'bold',
          paymentId: 'CNPCGSPS2WBA8',
          // 59,900 pesos, tip and VAT included.
          amount: { minor: 5_990_000, currency: 'COP', exponent: 2 },
          paidAt: '2025-10-21T17:30:10.000Z',
        },
        // WEB-ORD-009876 names no wolkvox obligation: parked downstream.
        target: null,
        targetProblem: 'reference "WEB-ORD-009876" does not match BOLD_REFERENCE_PATTERN',
      },
    });
  });

  it('signs the Base64 of the UTF-8 bytes as received (a vector with accents, computed in Python)', () => {
    const body = '{"type":"SALE_APPROVED","data":{"card":{"cardholder_name":"MARÍA NUÑEZ"}}}';
    const utf8 = 'a4de38b57f47c45f2fd6f6eba1b5482a75487a0e6f89398390e4d706e7e7c301';
    expect(boldSignature(body, VECTOR_KEY)).toBe(utf8);
    expect(boldSignature(Buffer.from(body, 'utf8'), VECTOR_KEY)).toBe(utf8);
    // The same text sent as Latin-1 is other bytes, so another signature: bytes are never re-encoded.
    expect(boldSignature(Buffer.from(body, 'latin1'), VECTOR_KEY)).toBe(
      '1810fbf2ce765b152b3fa18ec3e81fd0b192f003b80112508f795811002006a2',
    );
  });

  it('accepts its signature in upper case, and under either key of a rotation', async () => {
    const request = notification();
    const upper = {
      ...request,
      headers: { 'x-bold-signature': request.headers['x-bold-signature']?.toUpperCase() ?? '' },
    };
    expect(await run(upper)).toMatchObject({ action: 'accept' });
    const rotated = await outcome(bold, request, context(NOW, { BOLD_SECRET_KEY: `old-key, ${KEY}` }));
    expect(rotated).toMatchObject({ action: 'accept' });
  });

  it.each([
    ['no x-bold-signature header', { ...notification(), headers: {} }],
    ['an empty header', notification({}, { signature: '' })],
    ['another key', notification({}, { key: 'someone-elses-key' })],
    // Bold's docs say test notifications are signed with an empty key: anyone can compute that.
    ['the empty key', notification({}, { key: '' })],
    [
      'an HMAC of the raw body instead of its Base64',
      (() => {
        const request = notification();
        return {
          ...request,
          headers: { 'x-bold-signature': hmacRaw(request.body) },
        };
      })(),
    ],
    [
      // Bold sends the bare hex; a prefixed value is not what it sends, even around the right digest.
      'the right signature with a sha256= prefix',
      (() => {
        const request = notification();
        return {
          ...request,
          headers: { 'x-bold-signature': `sha256=${request.headers['x-bold-signature']}` },
        };
      })(),
    ],
  ])('refuses %s (401)', async (_name, request) => {
    expect(await run(request)).toEqual({ rejected: 401 });
  });

  it('refuses everything when BOLD_SECRET_KEY is empty or blank, even an empty-key signature', async () => {
    for (const blank of ['', ' ', ' , ']) {
      const emptyKeySigned = notification({}, { key: '' });
      expect(await outcome(bold, emptyKeySigned, context(NOW, { BOLD_SECRET_KEY: blank }))).toEqual({
        rejected: 401,
      });
    }
  });

  it('refuses a body changed after signing, even by one space', async () => {
    const request = notification();
    const spaced = { ...request, body: Buffer.from(`${request.body.toString()} `) };
    expect(await run(spaced)).toEqual({ rejected: 401 });
    const moreMoney = {
      ...request,
      body: Buffer.from(request.body.toString().replace('"total":320000', '"total":3200000')),
    };
    expect(await run(moreMoney)).toEqual({ rejected: 401 });
  });
});

describe('bold: the replay window (the body’s signed time, in nanoseconds)', () => {
  const at = (offsetSeconds: number) => new Date(NOW.getTime() + offsetSeconds * 1000);

  it("accepts Bold's last retry (24 h) arriving 10 minutes late", async () => {
    const late = notification({}, { time: nanos(at(-(24 * 3600 + 600))) });
    expect(await run(late)).toMatchObject({ action: 'accept' });
  });

  it('refuses a time older than BOLD_MAX_AGE_SECONDS, or more than 5 minutes ahead', async () => {
    expect(await run(notification({}, { time: nanos(at(-172_801)) }))).toEqual({ rejected: 401 });
    expect(await run(notification({}, { time: nanos(at(301)) }))).toEqual({ rejected: 401 });
    expect(await run(notification({}, { time: nanos(at(299)) }))).toMatchObject({ action: 'accept' });
    const short = boldCode.create(settings({ maxAgeSeconds: 600 }));
    const hourOld = notification({}, { time: nanos(at(-3600)) });
    expect(await outcome(short, hourOld, context())).toEqual({ rejected: 401 });
  });

  it('reads nanoseconds beyond Number.MAX_SAFE_INTEGER from the digits as sent (not rounded away)', async () => {
    // 2026-11-23T11:59:59.999999999Z: not a double; parsed it rounds, harmlessly for a window.
    const odd = notification({}, { time: '1795435199999999999' });
    expect(Number('1795435199999999999')).toBeGreaterThan(Number.MAX_SAFE_INTEGER);
    expect(await run(odd)).toMatchObject({ action: 'accept' });
  });

  it('refuses a time that is missing, not a number, or in another unit (milliseconds, seconds)', async () => {
    const cases = [
      notification({}, { time: '"now"' }),
      notification({}, { time: `"${nanos(NOW)}"` }),
      notification({}, { time: String(NOW.getTime()) }),
      notification({}, { time: String(NOW.getTime() / 1000) }),
      notification({}, { time: 'null' }),
    ];
    for (const request of cases) expect(await run(request)).toEqual({ rejected: 401 });
    const body = JSON.stringify({ type: 'SALE_APPROVED', data: sale() });
    const untimed = {
      body: Buffer.from(body),
      headers: { 'x-bold-signature': boldSignature(body, KEY) },
      query: {},
    };
    expect(await run(untimed)).toEqual({ rejected: 401 });
  });
});

describe('bold: reading', () => {
  it('an approved sale → a ×100 COP payment of the signed payment_id, paid at created_at', async () => {
    expect(await run(notification())).toEqual({
      action: 'accept',
      event: {
        kind: 'payment',
        eventId: '0b6e2f4c-1d3a-4e5b-8c7d-9f0a1b2c3d4e',
        eventType: 'SALE_APPROVED',
        livemode: true,
        payment: {
          provider: 'bold',
          paymentId: 'LNK1TEST',
          amount: { minor: 32_000_000, currency: 'COP', exponent: 2 },
          paidAt: '2026-11-23T11:58:30.000Z',
        },
        target: { operation: 'demo', wolkvoxId: '65a1f0c2e4b0a1d2c3e4f502', obligation: 'LIB-99812' },
      },
    });
    expect(boldCode.onlyStatus).toBe(200);
  });

  it('gives a retried notification with another id the same identity (bold:<payment_id>)', async () => {
    const identities = [];
    for (const id of ['first-delivery', 'retry-with-a-new-id']) {
      const result = await run(notification({ id }));
      if (!('action' in result) || result.action !== 'accept') throw new Error('expected a payment');
      const translated = paymentCommand(result.event, RULES);
      if (!('command' in translated)) throw new Error('expected a command');
      identities.push(translated.command.identity);
    }
    expect(identities).toEqual(['bold:LNK1TEST', 'bold:LNK1TEST']);
  });

  it.each([
    [320000, 32_000_000],
    [150.5, 15_050],
    [150.26, 15_026],
    [0.29, 29],
    [0, 0],
  ])('reads amount.total %s (major units) as %s minor units', async (total, minor) => {
    const result = await run(notification({ data: sale({ amount: { currency: 'COP', total } }) }));
    expect(result).toMatchObject({ event: { payment: { amount: { minor, exponent: 2 } } } });
  });

  it.each([
    ['three decimals', 150.255],
    ['a negative', -5],
    ['text', '320000'],
  ])('refuses an amount.total that is %s (400 naming it)', async (_name, total) => {
    const result = notification({ data: sale({ amount: { currency: 'COP', total } }) });
    await expect(readRequest(bold, result, context())).rejects.toMatchObject({
      problems: [expect.stringContaining('data.amount.total')],
    });
  });

  it('takes COP when amount names no currency, and keeps another currency (parked downstream)', async () => {
    const noCurrency = await run(notification({ data: sale({ amount: { total: 1000 } }) }));
    expect(noCurrency).toMatchObject({ event: { payment: { amount: { minor: 100_000, currency: 'COP' } } } });
    const usd = await run(notification({ data: sale({ amount: { currency: 'usd', total: 35.5 } }) }));
    expect(usd).toMatchObject({ event: { payment: { amount: { minor: 3_550, currency: 'USD' } } } });
  });

  it('parks a sale whose reference is missing or names no obligation, and reads a configured pattern', async () => {
    expect(await run(notification({ data: sale({ metadata: null }) }))).toMatchObject({
      event: { target: null, targetProblem: expect.stringContaining('no data.metadata.reference') },
    });
    expect(await run(notification({ data: sale({ metadata: { reference: 'PEDIDO-1' } }) }))).toMatchObject({
      event: { target: null, targetProblem: expect.stringContaining('"PEDIDO-1"') },
    });
    expect(
      await run(notification({ data: sale({ metadata: { reference: 'r1:6669999 API:cuota-7' } }) })),
    ).toMatchObject({ event: { target: { wolkvoxId: 'r1', obligation: '6669999 API' } } });
    const piped = boldCode.create(
      settings({ referencePattern: /^(?<operation>\w+)\|(?<wolkvox_id>\w+)\|(?<obligation>.+)$/ }),
    );
    const other = notification({ data: sale({ metadata: { reference: 'other|r1|O 1' } }) });
    expect(await outcome(piped, other, context())).toMatchObject({
      event: { target: null, targetProblem: expect.stringContaining('"other"') },
    });
  });

  it('ignores rejected sales, voids (an operator reverses those) and other types', async () => {
    expect(await run(notification({ type: 'SALE_REJECTED' }))).toEqual({
      action: 'ignore',
      reason: 'sale rejected: nothing was paid',
    });
    expect(await run(notification({ type: 'VOID_APPROVED' }))).toEqual({
      action: 'ignore',
      reason:
        'a void (payment_id "LNK1TEST") reverses a sale and is not applied automatically: an operator reverses the payment in wolkvox',
    });
    expect(await run(notification({ type: 'VOID_REJECTED' }))).toMatchObject({
      action: 'ignore',
      reason: 'type "VOID_REJECTED" is not an approved sale',
    });
  });

  it('names the failing paths of a malformed sale (400)', async () => {
    const bad = notification({ data: sale({ payment_id: '', created_at: '21/11/2026' }) });
    await expect(readRequest(bold, bad, context())).rejects.toMatchObject({
      problems: [expect.stringContaining('data.payment_id'), expect.stringContaining('data.created_at')],
    });
  });
});

describe('bold: the signer', () => {
  it('rewrites only the digits of the top-level time, leaving every other byte as written', async () => {
    const file = await readFile('events/bold/SALE_APPROVED.json', 'utf8');
    const stamped = restampBold(file, NOW);
    expect(stamped).toBe(file.replace('"time": 1795876927318000000', `"time": ${nanos(NOW)}`));
    expect(stamped).toContain('"time": 1795435200000000000');
  });

  it('leaves a nested "time" alone, and refuses a body without a top-level time', () => {
    const body = '{"data":{"time":5},"time":1795272127318000000}';
    expect(restampBold(body, NOW)).toBe(`{"data":{"time":5},"time":${nanos(NOW)}}`);
    expect(() => restampBold('{"data":{"time":5}}', NOW)).toThrow(/top-level numeric "time"/);
    expect(() => restampBold(body, new Date(Number.NaN))).toThrow(/Invalid signing time/);
  });

  it('signs the stamped bytes it returns, and stamps nothing else', () => {
    const signed = signSample('bold', '{"type":"SALE_REJECTED","time":1,"data":{}}', LOCAL_SECRETS, NOW);
    expect(signed.body).toBe(`{"type":"SALE_REJECTED","time":${nanos(NOW)},"data":{}}`);
    expect(signed.headers).toEqual({
      'content-type': 'application/json',
      'x-bold-signature': boldSignature(signed.body, KEY),
    });
  });
});

describe('bold: the samples', () => {
  it('each reads as events/catalog.json says: target and amount of the applied ones', async () => {
    const entries = (await readCatalog()).filter((entry) => entry.provider === 'bold');
    expect(entries.map((e) => e.expect).sort()).toEqual([
      'applied',
      'applied',
      'ignored',
      'ignored',
      'parked',
      'skipped',
    ]);
    for (const entry of entries) {
      const signed = signSample('bold', await readFile(entry.file, 'utf8'), LOCAL_SECRETS, NOW);
      const request = { body: Buffer.from(signed.body), headers: signed.headers, query: {} };
      const result = await run(request);
      if (entry.expect === 'ignored') {
        expect(result, entry.file).toMatchObject({ action: 'ignore' });
        continue;
      }
      expect(result, entry.file).toMatchObject({ action: 'accept' });
      const event = (result as { event: PaymentReceived }).event;
      if (entry.expect === 'parked') {
        expect(event.target, entry.file).toBeNull();
        continue;
      }
      expect(event.target, entry.file).toEqual({ operation: LOCAL_OPERATION, ...entry.target });
      // A redelivery (skipped by the ledger) reads as the payment it repeats.
      if (entry.expect === 'skipped') continue;
      expect(formatMajor(event.payment.amount), entry.file).toBe(entry.amount);
      expect(event.payment.amount.currency, entry.file).toBe('COP');
    }
  });
});
