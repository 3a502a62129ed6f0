import { hmacValidator } from '@adyen/api-library';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '#lib/config.ts';
import { LOCAL_OPERATION, LOCAL_SECRETS } from '#lib/local/defaults.ts';
import { signSample } from '#lib/local/sign.ts';
import adyenCode, {
  adyenExponent,
  adyenHmac,
  adyenSigningString,
} from '#lib/providers/payments/adyen/provider.ts';
import type { AdyenSettings } from '#lib/providers/payments/adyen/settings.ts';
import { DEFAULT_REFERENCE_PATTERN } from '#lib/providers/payments/reference.ts';
import type { RawRequest } from '#lib/providers/types.ts';
import { outcome, runProviderContract, sourceContext } from '../../support/provider-contract.ts';

const NOW = new Date('2026-11-23T12:00:00Z');
const KEY = LOCAL_SECRETS.ADYEN_HMAC_KEY;
const settings = (overrides: Partial<AdyenSettings> = {}): AdyenSettings & { operation: string } => ({
  operation: LOCAL_OPERATION,
  referencePattern: new RegExp(DEFAULT_REFERENCE_PATTERN),
  paidEvent: 'AUTHORISATION',
  ...overrides,
});
const source = (overrides: Partial<AdyenSettings> = {}) => adyenCode.create(settings(overrides));
const context = (secrets: Readonly<Record<string, string>> = LOCAL_SECRETS) => sourceContext(secrets, NOW);

runProviderContract('adyen', {
  source: () => source(),
  now: NOW,
  signatureFields: ['notificationItems.*.NotificationRequestItem.additionalData.hmacSignature'],
});

const baseItem = {
  additionalData: { hmacSignature: '' },
  amount: { currency: 'COP', value: 15_000_050 },
  eventCode: 'AUTHORISATION',
  eventDate: '2026-11-23T09:12:44+01:00',
  merchantAccountCode: 'AcmeCobranzasCOP',
  merchantReference: '65a1f0c2e4b0a1d2c3e4f501:6669999 API',
  pspReference: 'PSP0001',
  success: 'true',
};
type Item = typeof baseItem & { originalReference?: string };
const body = (...items: Partial<Item>[]) =>
  JSON.stringify({
    live: 'false',
    notificationItems: items.map((i) => ({ NotificationRequestItem: { ...baseItem, ...i } })),
  });
function signed(text: string): RawRequest {
  const request = signSample('adyen', text, LOCAL_SECRETS, NOW);
  return { body: Buffer.from(request.body), headers: request.headers, query: {} };
}

describe('adyen: the HMAC, against @adyen/api-library', () => {
  it("reproduces payment-gateways.md §10.5's vector (the library's own test)", () => {
    expect(
      adyenHmac(
        'pspReference:originalReference:merchantAccount:reference:1000:EUR:CAPTURE:true',
        'DFB1EB5485895CFA84146406857104ABB4CBCABDC8AAF103A624C8F6A3EAAB00',
      ),
    ).toBe('xhpHvYq2u2Np0rstbZ6QjLGu7JWhvf7Iwaa6EviJSX0=');
  });

  it('the library validates what our signer produces, and we accept what the library signs', async () => {
    const validator = new hmacValidator();
    const ours = JSON.parse(
      signed(body({}, { pspReference: 'PSP0002', originalReference: 'PSP0001' })).body.toString(),
    ) as {
      notificationItems: { NotificationRequestItem: Record<string, unknown> }[];
    };
    for (const { NotificationRequestItem } of ours.notificationItems) {
      expect(validator.validateHMAC(NotificationRequestItem as never, KEY)).toBe(true);
    }
    const theirs = { ...baseItem, pspReference: 'PSP0003', additionalData: { hmacSignature: '' } };
    theirs.additionalData.hmacSignature = validator.calculateHmac(theirs as never, KEY);
    expect(adyenSigningString({ ...theirs })).toBe(validator.getDataToSign(theirs as never));
    const request = {
      body: Buffer.from(
        JSON.stringify({ live: 'false', notificationItems: [{ NotificationRequestItem: theirs }] }),
      ),
      headers: {},
      query: {},
    };
    expect(await outcome(source(), request, context())).toMatchObject({ action: 'accept' });
  });

  it('keys with the hex-decoded key: a key used as text never verifies', async () => {
    const { createHmac } = await import('node:crypto');
    const item = { ...baseItem };
    item.additionalData = {
      hmacSignature: createHmac('sha256', KEY).update(adyenSigningString(item)).digest('base64'),
    };
    const request = { body: Buffer.from(body(item)), headers: {}, query: {} };
    expect(await outcome(source(), request, context())).toEqual({ rejected: 401 });
  });
});

describe('adyen: items', () => {
  it('reads an AUTHORISATION: the signed amount in Adyen’s exponent, the signed reference, verified now', async () => {
    expect(await outcome(source(), signed(body({})), context())).toEqual({
      action: 'accept',
      event: {
        kind: 'payment',
        eventId: 'PSP0001:AUTHORISATION:true',
        eventType: 'AUTHORISATION',
        livemode: true,
        payment: {
          provider: 'adyen',
          paymentId: 'PSP0001',
          amount: { minor: 15_000_050, currency: 'COP', exponent: 2 },
          paidAt: NOW.toISOString(),
        },
        target: {
          operation: LOCAL_OPERATION,
          wolkvoxId: '65a1f0c2e4b0a1d2c3e4f501',
          obligation: '6669999 API',
        },
      },
    });
  });

  it('uses Adyen’s exponents, not ISO’s (CLP 2, CVE 0, JPY 0, KWD 3)', () => {
    expect([
      adyenExponent('COP'),
      adyenExponent('CLP'),
      adyenExponent('CVE'),
      adyenExponent('JPY'),
      adyenExponent('KWD'),
    ]).toEqual([2, 2, 0, 0, 3]);
  });

  it('with ADYEN_PAID_EVENT=CAPTURE, counts the capture, as the payment it captures', async () => {
    const capture = body({ eventCode: 'CAPTURE', pspReference: 'CAP0001', originalReference: 'PSP0001' });
    expect(await outcome(source({ paidEvent: 'CAPTURE' }), signed(capture), context())).toMatchObject({
      action: 'accept',
      event: { eventId: 'CAP0001:CAPTURE:true', payment: { paymentId: 'PSP0001' } },
    });
    expect(await outcome(source(), signed(capture), context())).toMatchObject({ action: 'ignore' });
    expect(await outcome(source({ paidEvent: 'CAPTURE' }), signed(body({})), context())).toMatchObject({
      action: 'ignore',
    });
  });

  it.each(['false', 'FALSE', ''])('an AUTHORISATION with success %j is no money', async (success) => {
    expect(await outcome(source(), signed(body({ success })), context())).toMatchObject({ action: 'ignore' });
  });

  it('a batch: every item verified first, then each decided on its own', async () => {
    const batch = signed(
      body(
        {},
        { pspReference: 'PSP0002', eventCode: 'REFUND', originalReference: 'PSP0001' },
        { pspReference: 'PSP0004', merchantReference: 'nothing' },
      ),
    );
    expect(await outcome(source(), batch, context())).toMatchObject({
      action: 'each',
      items: [
        { action: 'accept', event: { payment: { paymentId: 'PSP0001' } } },
        { action: 'ignore', reason: expect.stringContaining('"REFUND"') },
        { action: 'accept', event: { target: null } },
      ],
    });
    // One tampered item and nothing of the request is taken in.
    const parsed = JSON.parse(batch.body.toString()) as {
      notificationItems: { NotificationRequestItem: Item }[];
    };
    const third = parsed.notificationItems[2];
    if (third) third.NotificationRequestItem.amount.value += 1;
    expect(
      await outcome(source(), { ...batch, body: Buffer.from(JSON.stringify(parsed)) }, context()),
    ).toEqual({ rejected: 401 });
  });

  it('accepts the old or the new key during a rotation, and ignores a key that is not hex', async () => {
    const rotated = { ...LOCAL_SECRETS, ADYEN_HMAC_KEY: `not-hex,AABB,${KEY}` };
    expect(await outcome(source(), signed(body({})), context(rotated))).toMatchObject({ action: 'accept' });
  });

  it('answers [accepted], with our JSON in a header', () => {
    expect(adyenCode.acceptedBody).toBe('[accepted]');
  });

  it('defaults ADYEN_PAID_EVENT to AUTHORISATION and refuses anything else', () => {
    const base = { WOLKVOX_SERVER: 'crm0001.wolkvox.com', WOLKVOX_OPERATION: 'demo' };
    expect(loadConfig(base).providers.payments.adyen.paidEvent).toBe('AUTHORISATION');
    expect(() => loadConfig({ ...base, ADYEN_PAID_EVENT: 'SETTLED' })).toThrow(/ADYEN_PAID_EVENT/);
  });
});
