import { DAY_SECONDS, integer } from '#lib/settings.ts';
import { defineProvider } from '../../define.ts';
import { apiUrl, referencePattern } from '../reference.ts';

export interface MercadoPagoSettings {
  /** MERCADOPAGO_REFERENCE_PATTERN: reads the obligation from the payment's `external_reference`. */
  referencePattern: RegExp;
  /** MERCADOPAGO_API_URL: where payments are read (https://api.mercadopago.com). */
  apiUrl: string;
  /** MERCADOPAGO_MAX_AGE_SECONDS: how old a notification's signed `ts` may be. */
  maxAgeSeconds: number;
}

/** Mercado Pago (docs/providers/mercadopago.md). */
export default defineProvider({
  family: 'payments',
  slug: 'mercadopago',
  name: 'Mercado Pago',
  // The notification signs only the payment's id: every payment is read from the API, so both.
  secrets: { required: ['MERCADOPAGO_WEBHOOK_SECRET', 'MERCADOPAGO_ACCESS_TOKEN'], optional: [] },
  env: {
    /** Reads the target from the payment's `external_reference`: named groups wolkvox_id, obligation, optional operation. */
    MERCADOPAGO_REFERENCE_PATTERN: referencePattern(),
    /** Mercado Pago's API; never taken from a notification. */
    MERCADOPAGO_API_URL: apiUrl('https://api.mercadopago.com'),
    /** Whether retries are signed anew is undocumented: three days covers a weekend of them. */
    MERCADOPAGO_MAX_AGE_SECONDS: integer(3 * DAY_SECONDS, 60, 30 * DAY_SECONDS),
  },
  read: (env): MercadoPagoSettings => ({
    referencePattern: env.MERCADOPAGO_REFERENCE_PATTERN,
    apiUrl: env.MERCADOPAGO_API_URL,
    maxAgeSeconds: env.MERCADOPAGO_MAX_AGE_SECONDS,
  }),
  replayWindow: (s) => ({ setting: 'MERCADOPAGO_MAX_AGE_SECONDS', seconds: s.maxAgeSeconds }),
  local: {
    secrets: {
      MERCADOPAGO_WEBHOOK_SECRET: 'mp_local_demo_secret_9f2c7a41d8e34b6a',
      /** The local fake of Mercado Pago's API (lib/local/provider-apis.ts) requires it, as Mercado Pago does. */
      MERCADOPAGO_ACCESS_TOKEN: 'TEST-4829100231736624-112309-local-demo-token',
    },
  },
  load: async () => (await import('./provider.ts')).default,
});
