import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_OPERATION, LOCAL_SECRETS } from '#lib/local/defaults.ts';
import type { ProviderApis, WompiTransaction } from '#lib/local/provider-apis.ts';
import { signSample } from '#lib/local/sign.ts';
import { SignatureError } from '#lib/http/errors.ts';
import { wompiChecksum } from '#lib/providers/payments/wompi/provider.ts';
import wompiCode from '#lib/providers/payments/wompi/provider.ts';
import type { WompiSettings } from '#lib/providers/payments/wompi/settings.ts';
import { DEFAULT_REFERENCE_PATTERN } from '#lib/providers/payments/reference.ts';
import type { RawRequest } from '#lib/providers/types.ts';
import { startLocalProviderApis } from '../../support/harness.ts';
import { outcome, runProviderContract, settled, sourceContext } from '../../support/provider-contract.ts';
import { readRequest } from '../../support/provider-requests.ts';

const NOW = new Date('2026-11-23T12:00:00Z');
const nowSeconds = NOW.getTime() / 1000;
let apis: ProviderApis;
beforeAll(async () => {
  apis = await startLocalProviderApis();
});
afterAll(() => apis.close());

const settings = (overrides: Partial<WompiSettings> = {}): WompiSettings & { operation: string } => ({
  operation: LOCAL_OPERATION,
  referencePattern: new RegExp(DEFAULT_REFERENCE_PATTERN),
  confirm: true,
  apiUrl: apis.env.WOMPI_API_URL,
  maxAgeSeconds: 172_800,
  ...overrides,
});

const sign = (body: string, secrets: Readonly<Record<string, string>>, now: Date): RawRequest => {
  const signed = signSample('wompi', body, secrets, now);
  return { body: Buffer.from(signed.body), headers: signed.headers, query: {} };
};

runProviderContract('wompi', {
  source: () => wompiCode.create(settings()),
  now: NOW,
  waits: { read: "confirms the transaction with Wompi's API" },
});

describe('wompi with WOMPI_CONFIRM=false', () => {
  it('declares the reference, currency and time it believes unverified', () => {
    const { trust } = wompiCode.create(settings({ confirm: false }));
    expect(trust.confirmed).toEqual([]);
    expect(trust.unverified).toEqual([
      'data.transaction.reference',
      'data.transaction.currency',
      'data.transaction.finalized_at',
    ]);
  });

  it('then reads them from the event, and calls no API', async () => {
    const source = wompiCode.create(settings({ confirm: false }));
    const before = apis.wompi.requests.length;
    const result = await outcome(
      source,
      sign(JSON.stringify(event({ ...tx, reference: 'r9:O-9' })), LOCAL_SECRETS, NOW),
      context(),
    );
    expect(result).toMatchObject({
      action: 'accept',
      event: { target: { wolkvoxId: 'r9', obligation: 'O-9' } },
    });
    expect(apis.wompi.requests.length).toBe(before);
  });
});

const properties = ['transaction.id', 'transaction.status', 'transaction.amount_in_cents'];
const tx: WompiTransaction = {
  id: '1234-1763900000-49201',
  status: 'APPROVED',
  amount_in_cents: 8500000,
  currency: 'COP',
  reference: '65a1f0c2e4b0a1d2c3e4f503:MC-001245',
  finalized_at: '2026-11-23T03:10:00.000Z',
  created_at: '2026-11-23T03:09:30.000Z',
};

/** A Wompi event as it arrives, checksum computed over `props` at `timestamp` (or given as is). */
function event(
  transaction: Record<string, unknown>,
  options: { props?: string[]; timestamp?: number; checksum?: string; event?: string } = {},
) {
  const data = { transaction };
  const timestamp = options.timestamp ?? nowSeconds;
  const props = options.props ?? properties;
  return {
    event: options.event ?? 'transaction.updated',
    data,
    environment: 'test',
    signature: {
      properties: props,
      checksum:
        options.checksum ??
        wompiChecksum(data, props, timestamp, LOCAL_SECRETS.WOMPI_EVENTS_SECRET).toUpperCase(),
    },
    timestamp,
    sent_at: '2026-11-23T12:00:00.000Z',
  };
}
const raw = (body: unknown): RawRequest => ({
  body: Buffer.from(JSON.stringify(body)),
  headers: {},
  query: {},
});
const context = (now = NOW) => sourceContext(LOCAL_SECRETS, now);

describe('wompi: checksum', () => {
  it("reproduces payment-gateways.md §10.3's corrected vector", () => {
    const data = {
      transaction: { id: '1234-1610641025-49201', status: 'APPROVED', amount_in_cents: 4490000 },
    };
    expect(wompiChecksum(data, properties, 1530291411, 'prod_events_OcHnIzeBl5socpwByQ4hA52Em3USQ93Z')).toBe(
      '5a18ec5e8fdb7df463e9f94774cba8f583ba21bd04a09ceff2ea68a4bc0aefbe',
    );
  });

  it('hashes a null property as an empty string', () => {
    const data = { transaction: { id: 'a', status: null, amount_in_cents: 1 } };
    expect(wompiChecksum(data, properties, 1, 's')).toBe(
      wompiChecksum({ transaction: { id: 'a', amount_in_cents: 1 } }, properties, 1, 's'),
    );
  });

  it('accepts its checksum in any case and refuses a wrong secret', async () => {
    apis.wompi.put(tx);
    const source = wompiCode.create(settings());
    await expect(settled(() => source.verify(raw(event(tx)), context()))).resolves.toBeDefined();
    const lower = event(tx);
    lower.signature.checksum = lower.signature.checksum.toLowerCase();
    await expect(settled(() => source.verify(raw(lower), context()))).resolves.toBeDefined();
    const other = event(tx, {
      checksum: wompiChecksum({ transaction: tx }, properties, nowSeconds, 'test_events_other'),
    });
    await expect(settled(() => source.verify(raw(other), context()))).rejects.toThrow(SignatureError);
  });
});

describe('wompi: forgeries (issue: a signed DECLINED event replayed as a payment)', () => {
  const declined = { ...tx, id: '9999-1763900000-11111', status: 'DECLINED' };
  // What an attacker holds: a genuinely signed DECLINED event, its checksum and timestamp.
  const captured = event(declined);

  it('refuses a checksum over an unused field holding the captured values (APPROVED, any amount, any reference)', async () => {
    const forged = {
      ...captured,
      data: {
        transaction: {
          ...declined,
          status: 'APPROVED',
          amount_in_cents: 1_500_000_000,
          reference: 'victim:OBL-1',
        },
        // The captured values, where the listed "properties" point: the checksum still matches.
        decoy: { id: declined.id, status: declined.status, amount_in_cents: declined.amount_in_cents },
      },
      signature: {
        properties: ['decoy.id', 'decoy.status', 'decoy.amount_in_cents'],
        checksum: captured.signature.checksum,
      },
    };
    expect(await outcome(wompiCode.create(settings()), raw(forged), context())).toEqual({ rejected: 401 });
  });

  it('refuses a correct checksum over id and status only (the amount unsigned)', async () => {
    apis.wompi.put({ ...tx, id: 'only-two' });
    const forged = event(
      { ...tx, id: 'only-two', amount_in_cents: 1_500_000_000 },
      { props: ['transaction.id', 'transaction.status'] },
    );
    expect(await outcome(wompiCode.create(settings()), raw(forged), context())).toEqual({ rejected: 401 });
  });

  it('refuses an event signed 400 days ago, and one from more than 5 minutes ahead', async () => {
    apis.wompi.put(tx);
    const source = wompiCode.create(settings());
    const old = event(tx, { timestamp: nowSeconds - 400 * 86_400 });
    expect(await outcome(source, raw(old), context())).toEqual({ rejected: 401 });
    const ahead = event(tx, { timestamp: nowSeconds + 301 });
    expect(await outcome(source, raw(ahead), context())).toEqual({ rejected: 401 });
    const retried = event(tx, { timestamp: nowSeconds - 28 * 3_600 }); // Wompi's last retry, ~27.5 h on
    expect(await outcome(source, raw(retried), context())).toMatchObject({ action: 'accept' });
  });

  it('takes the reference, currency and time from the API, whatever the event says', async () => {
    apis.wompi.put(tx);
    const lying = event({
      ...tx,
      reference: 'attacker:OBL-X',
      currency: 'USD',
      finalized_at: '2020-01-01T00:00:00.000Z',
    });
    const result = await outcome(wompiCode.create(settings()), raw(lying), context());
    expect(result).toMatchObject({
      action: 'accept',
      event: {
        payment: { amount: { minor: 8500000, currency: 'COP' }, paidAt: '2026-11-23T03:10:00.000Z' },
        target: { wolkvoxId: '65a1f0c2e4b0a1d2c3e4f503', obligation: 'MC-001245' },
      },
    });
  });
});

describe('wompi: confirmation with the API', () => {
  it('an APPROVED transaction → a ×100 payment targeting the confirmed reference; livemode from the secret', async () => {
    apis.wompi.put(tx);
    const source = wompiCode.create(settings());
    expect(await outcome(source, raw(event(tx)), context())).toEqual({
      action: 'accept',
      event: {
        kind: 'payment',
        eventId: `1234-1763900000-49201:APPROVED:${nowSeconds}`,
        eventType: 'transaction.updated',
        livemode: false,
        payment: {
          provider: 'wompi',
          paymentId: tx.id,
          amount: { minor: 8500000, currency: 'COP', exponent: 2 },
          paidAt: '2026-11-23T03:10:00.000Z',
        },
        target: { operation: 'demo', wolkvoxId: '65a1f0c2e4b0a1d2c3e4f503', obligation: 'MC-001245' },
      },
    });
    expect(wompiCode.onlyStatus).toBe(200);
    expect(apis.wompi.requests.at(-1)).toBe(`/v1/transactions/${tx.id}`);
  });

  it('parks an event the API does not know, or whose money or status the API contradicts', async () => {
    const source = wompiCode.create(settings());
    const unknown = { ...tx, id: 'never-seen-1' };
    expect(await outcome(source, raw(event(unknown)), context())).toMatchObject({
      action: 'park',
      reason: expect.stringContaining('does not know transaction "never-seen-1"'),
    });
    apis.wompi.put({ ...tx, id: 'voided-later', status: 'VOIDED' });
    expect(await outcome(source, raw(event({ ...tx, id: 'voided-later' })), context())).toMatchObject({
      action: 'park',
      reason: expect.stringContaining('disagrees with the signed event on status'),
    });
    apis.wompi.put({ ...tx, id: 'other-amount', amount_in_cents: 1 });
    expect(await outcome(source, raw(event({ ...tx, id: 'other-amount' })), context())).toMatchObject({
      action: 'park',
      reason: expect.stringContaining('amount_in_cents'),
    });
  });

  it('answers 503 (ProviderApiError) when the API fails, refuses the key, or does not answer in time', async () => {
    apis.wompi.put(tx);
    const source = wompiCode.create(settings());
    apis.wompi.fail(500);
    await expect(outcome(source, raw(event(tx)), context())).rejects.toMatchObject({
      name: 'ProviderApiError',
      component: 'provider_api',
      kind: 'transient',
    });
    apis.wompi.fail(401);
    await expect(outcome(source, raw(event(tx)), context())).rejects.toMatchObject({
      name: 'ProviderApiError',
      kind: 'auth',
    });
    apis.wompi.fail('hang');
    const short = { ...context(), signal: AbortSignal.timeout(200) };
    const verified = await source.verify(raw(event(tx)), short);
    await expect(settled(() => verified.read(short))).rejects.toMatchObject({
      name: 'ProviderApiError',
      kind: 'transient',
    });
    const noKey = sourceContext({ ...LOCAL_SECRETS, WOMPI_PRIVATE_KEY: '' }, NOW);
    await expect(outcome(source, raw(event(tx)), noKey)).rejects.toMatchObject({
      name: 'ProviderApiError',
      kind: 'auth',
    });
  });
});

describe('wompi: reading', () => {
  it('reads references with a suffix, and parks unknown ones', async () => {
    const source = wompiCode.create(settings());
    apis.wompi.put({ ...tx, id: 'suffixed', reference: 'rec1:6669999 API:2' });
    expect(await outcome(source, raw(event({ ...tx, id: 'suffixed' })), context())).toMatchObject({
      event: { target: { wolkvoxId: 'rec1', obligation: '6669999 API' } },
    });
    apis.wompi.put({ ...tx, id: 'factura', reference: 'FACTURA-8841' });
    expect(await outcome(source, raw(event({ ...tx, id: 'factura' })), context())).toMatchObject({
      event: { target: null, targetProblem: expect.stringContaining('FACTURA-8841') },
    });
  });

  it('takes a configured pattern, operation group included', async () => {
    const custom = wompiCode.create(
      settings({ referencePattern: /^(?<operation>\w+)\|(?<wolkvox_id>\w+)\|(?<obligation>.+)$/ }),
    );
    apis.wompi.put({ ...tx, id: 'piped', reference: 'demo|r1|O 1' });
    expect(await outcome(custom, raw(event({ ...tx, id: 'piped' })), context())).toMatchObject({
      event: { target: { operation: 'demo', wolkvoxId: 'r1', obligation: 'O 1' } },
    });
    apis.wompi.put({ ...tx, id: 'other-op', reference: 'other|r1|O 1' });
    expect(await outcome(custom, raw(event({ ...tx, id: 'other-op' })), context())).toMatchObject({
      event: { target: null },
    });
  });

  it('ignores non-approved transactions and other events, without calling the API', async () => {
    const source = wompiCode.create(settings());
    const before = apis.wompi.requests.length;
    expect(await outcome(source, raw(event({ ...tx, status: 'DECLINED' })), context())).toEqual({
      action: 'ignore',
      reason: 'transaction status is "DECLINED"',
    });
    expect(
      await outcome(
        source,
        raw(
          event(
            { id: 'nt-1', status: 'ACTIVE' },
            { event: 'nequi_token.updated', props: ['transaction.id'] },
          ),
        ),
        context(),
      ),
    ).toMatchObject({ action: 'ignore' });
    expect(apis.wompi.requests.length).toBe(before);
  });

  it('names the failing paths of a malformed transaction', async () => {
    const source = wompiCode.create(settings());
    const bad = event({ ...tx, amount_in_cents: '85000.00' });
    await expect(readRequest(source, raw(bad), context())).rejects.toMatchObject({
      problems: [expect.stringContaining('amount_in_cents')],
    });
  });
});
