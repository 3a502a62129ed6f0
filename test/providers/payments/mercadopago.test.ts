import { InvalidWebhookSignatureError, WebhookSignatureValidator } from 'mercadopago';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '#lib/config.ts';
import { LOCAL_OPERATION, LOCAL_SECRETS } from '#lib/local/defaults.ts';
import type { MercadoPagoPayment, ProviderApis } from '#lib/local/provider-apis.ts';
import { signSample } from '#lib/local/sign.ts';
import mercadopagoCode, { mercadoPagoManifest } from '#lib/providers/payments/mercadopago/provider.ts';
import type { MercadoPagoSettings } from '#lib/providers/payments/mercadopago/settings.ts';
import { DEFAULT_REFERENCE_PATTERN } from '#lib/providers/payments/reference.ts';
import { hmac } from '#lib/providers/schemes/hmac.ts';
import type { RawRequest } from '#lib/providers/types.ts';
import { startLocalProviderApis } from '../../support/harness.ts';
import { outcome, runProviderContract, settled, sourceContext } from '../../support/provider-contract.ts';

const NOW = new Date('2026-11-23T12:00:00Z');
const SECRET = LOCAL_SECRETS.MERCADOPAGO_WEBHOOK_SECRET;
let apis: ProviderApis;
beforeAll(async () => {
  apis = await startLocalProviderApis();
});
afterAll(() => apis.close());

const settings = (
  overrides: Partial<MercadoPagoSettings> = {},
): MercadoPagoSettings & { operation: string } => ({
  operation: LOCAL_OPERATION,
  referencePattern: new RegExp(DEFAULT_REFERENCE_PATTERN),
  apiUrl: apis.env.MERCADOPAGO_API_URL,
  maxAgeSeconds: 3 * 86_400,
  ...overrides,
});
const source = () => mercadopagoCode.create(settings());
const context = (secrets: Readonly<Record<string, string>> = LOCAL_SECRETS) => sourceContext(secrets, NOW);

runProviderContract('mercadopago', {
  source,
  now: NOW,
  signingSecrets: ['MERCADOPAGO_WEBHOOK_SECRET'],
  waits: { read: 'looks the payment up in the Mercado Pago API' },
});

const notification = (id: string, type = 'payment', action = 'payment.updated') =>
  JSON.stringify({ action, api_version: 'v1', data: { id }, id: 1, live_mode: false, type, user_id: '1' });

/** A notification for payment `id`, signed as Mercado Pago does (our signer). */
function signed(id: string, now = NOW, type = 'payment'): RawRequest {
  const request = signSample('mercadopago', notification(id, type), LOCAL_SECRETS, now);
  return { body: Buffer.from(request.body), headers: request.headers, query: request.query ?? {} };
}

const payment = (overrides: Partial<MercadoPagoPayment> = {}): MercadoPagoPayment => ({
  id: 5550001,
  status: 'approved',
  transaction_amount: 59_900.5,
  currency_id: 'COP',
  date_approved: '2026-11-23T05:41:03.000-05:00',
  date_created: '2026-11-23T05:40:58.000-05:00',
  external_reference: '65a1f0c2e4b0a1d2c3e4f501:PAG-2024-00123:intento-2',
  live_mode: true,
  ...overrides,
});

describe('mercadopago: settings', () => {
  it('defaults to the production API, the shared reference naming and a three-day window', () => {
    const config = loadConfig({ WOLKVOX_SERVER: 'crm0001.wolkvox.com', WOLKVOX_OPERATION: 'demo' });
    expect(config.providers.payments.mercadopago).toEqual({
      referencePattern: new RegExp(DEFAULT_REFERENCE_PATTERN),
      apiUrl: 'https://api.mercadopago.com',
      maxAgeSeconds: 259_200,
    });
    expect(() =>
      loadConfig({
        WOLKVOX_SERVER: 'crm0001.wolkvox.com',
        WOLKVOX_OPERATION: 'demo',
        MERCADOPAGO_API_URL: 'http://evil.example',
      }),
    ).toThrow(/MERCADOPAGO_API_URL/);
  });
});

describe('mercadopago: the signature, against the official SDK', () => {
  it("reproduces payment-gateways.md §10.2's vector", () => {
    const manifest = mercadoPagoManifest({
      dataId: '123456',
      requestId: 'bb56a2f1-6aae-46ac-982e-9dcd3581d08e',
      ts: '1704908010',
    });
    expect(manifest).toBe('id:123456;request-id:bb56a2f1-6aae-46ac-982e-9dcd3581d08e;ts:1704908010;');
    expect(hmac('sha256', 'your_secret_key_here', [manifest], 'hex')).toBe(
      '637a6ba61396d5572b508ee7a1b81458dea7c6f275af3273b6d76e15e17b7918',
    );
  });

  it("mercadopago@3.6.1's WebhookSignatureValidator accepts what our signer produces", () => {
    const request = signed('1320456789');
    expect(() =>
      WebhookSignatureValidator.validate({
        xSignature: request.headers['x-signature'],
        xRequestId: request.headers['x-request-id'],
        dataId: request.query['data.id'],
        secret: SECRET,
        toleranceSeconds: 300,
        now: () => NOW.getTime(),
      }),
    ).not.toThrow();
    expect(() =>
      WebhookSignatureValidator.validate({
        xSignature: request.headers['x-signature'],
        xRequestId: request.headers['x-request-id'],
        dataId: 'another',
        secret: SECRET,
      }),
    ).toThrow(InvalidWebhookSignatureError);
  });

  it('our verifier accepts what the SDK accepts (an x-signature made by hand, ids of any case)', async () => {
    for (const dataId of ['1320456789', 'ORD01JQ4S4KY8HWQ6NA5PXB65B3D3']) {
      const requestId = 'c4d1e3f2-1111-4a2b-9c3d-000000000001';
      const ts = String(NOW.getTime() / 1000);
      const v1 = hmac('sha256', SECRET, [`id:${dataId};request-id:${requestId};ts:${ts};`], 'hex');
      const headers = { 'x-signature': `ts=${ts}, v1=${v1}`, 'x-request-id': requestId };
      expect(() =>
        WebhookSignatureValidator.validate({
          xSignature: headers['x-signature'],
          xRequestId: requestId,
          dataId,
          secret: SECRET,
        }),
      ).not.toThrow();
      const request = {
        body: Buffer.from(notification(dataId)),
        headers,
        query: { 'data.id': dataId, type: 'payment' },
      };
      await expect(settled(() => source().verify(request, context()))).resolves.toBeDefined();
    }
  });

  it('accepts a ts in milliseconds (as the docs call it), refuses one too old or too far ahead', async () => {
    const make = (ts: string) => {
      const v1 = hmac('sha256', SECRET, [mercadoPagoManifest({ dataId: '1', requestId: 'r', ts })], 'hex');
      return {
        body: Buffer.from(notification('1')),
        headers: { 'x-signature': `ts=${ts},v1=${v1}`, 'x-request-id': 'r' },
        query: { 'data.id': '1' },
      };
    };
    await expect(
      settled(() => source().verify(make(String(NOW.getTime())), context())),
    ).resolves.toBeDefined();
    const old = String(NOW.getTime() / 1000 - 4 * 86_400);
    await expect(outcome(source(), make(old), context())).resolves.toEqual({ rejected: 401 });
    const ahead = String(NOW.getTime() / 1000 + 301);
    await expect(outcome(source(), make(ahead), context())).resolves.toEqual({ rejected: 401 });
  });

  it('signs the URL’s data.id, not the body’s: a body naming another payment changes nothing', async () => {
    apis.mercadopago.put(payment());
    const request = signed('5550001');
    const swapped = { ...request, body: Buffer.from(notification('1320456789')) };
    expect(await outcome(source(), swapped, context())).toEqual(await outcome(source(), request, context()));
    const otherUrl = { ...request, query: { ...request.query, 'data.id': '1320456789' } };
    expect(await outcome(source(), otherUrl, context())).toEqual({ rejected: 401 });
  });
});

describe('mercadopago: every payment is read from the API', () => {
  it('credits the API’s amount (no float ×100), currency, approval time and external_reference', async () => {
    apis.mercadopago.put(payment());
    expect(await outcome(source(), signed('5550001'), context())).toEqual({
      action: 'accept',
      event: {
        kind: 'payment',
        eventId: expect.stringMatching(/^5550001:/),
        eventType: 'payment',
        livemode: true,
        payment: {
          provider: 'mercadopago',
          paymentId: '5550001',
          amount: { minor: 5_990_050, currency: 'COP', exponent: 2 },
          paidAt: '2026-11-23T10:41:03.000Z',
        },
        target: {
          operation: LOCAL_OPERATION,
          wolkvoxId: '65a1f0c2e4b0a1d2c3e4f501',
          obligation: 'PAG-2024-00123',
        },
      },
    });
  });

  it.each([
    ['pending', 'ignore'],
    ['in_process', 'ignore'],
    ['rejected', 'ignore'],
    ['authorized', 'ignore'],
    ['refunded', 'ignore'],
    ['charged_back', 'ignore'],
  ] as const)('a payment %s in the API is %sd', async (status, action) => {
    apis.mercadopago.put(payment({ id: 5550002, status }));
    expect(await outcome(source(), signed('5550002'), context())).toMatchObject({
      action,
      reason: `payment status is "${status}"`,
    });
  });

  it('parks a payment the API does not know, and one with no obligation named', async () => {
    expect(await outcome(source(), signed('777000777'), context())).toMatchObject({
      action: 'park',
      reason: expect.stringContaining('does not know payment "777000777"'),
    });
    apis.mercadopago.put(payment({ id: 5550003, external_reference: 'no-colon' }));
    expect(await outcome(source(), signed('5550003'), context())).toMatchObject({
      action: 'accept',
      event: { target: null, targetProblem: expect.stringContaining('"no-colon" does not match') },
    });
  });

  it('ignores other topics without asking the API', async () => {
    const before = apis.mercadopago.requests.length;
    for (const type of ['merchant_order', 'subscription_preapproval', 'topic_chargebacks_wh']) {
      expect(await outcome(source(), signed('42', NOW, type), context())).toMatchObject({ action: 'ignore' });
    }
    expect(apis.mercadopago.requests.length).toBe(before);
  });

  it('an API that refuses the token or does not answer is retried later (503), never guessed at', async () => {
    apis.mercadopago.put(payment({ id: 5550004 }));
    apis.mercadopago.fail(500);
    await expect(outcome(source(), signed('5550004'), context())).rejects.toMatchObject({
      kind: 'transient',
    });
    const wrongToken = { ...LOCAL_SECRETS, MERCADOPAGO_ACCESS_TOKEN: 'TEST-wrong' };
    await expect(outcome(source(), signed('5550004'), context(wrongToken))).rejects.toMatchObject({
      kind: 'auth',
    });
  });
});
