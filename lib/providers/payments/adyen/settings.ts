import * as z from 'zod/mini';
import '#lib/zod-mini.ts';
import { blankIsUnset, preprocess } from '#lib/settings.ts';
import { defineProvider } from '../../define.ts';
import { referencePattern } from '../reference.ts';

export interface AdyenSettings {
  /** ADYEN_REFERENCE_PATTERN: reads the obligation from `merchantReference`. */
  referencePattern: RegExp;
  /** ADYEN_PAID_EVENT: AUTHORISATION (automatic capture) or CAPTURE (the merchant captures separately). */
  paidEvent: 'AUTHORISATION' | 'CAPTURE';
}

/** Adyen (docs/providers/adyen.md). */
export default defineProvider({
  family: 'payments',
  slug: 'adyen',
  name: 'Adyen',
  secrets: { required: ['ADYEN_HMAC_KEY'], optional: [] },
  env: {
    /** Reads the target from `merchantReference`: named groups wolkvox_id, obligation, optional operation. */
    ADYEN_REFERENCE_PATTERN: referencePattern(),
    /** Which successful event is the money: AUTHORISATION with automatic capture, CAPTURE otherwise. */
    ADYEN_PAID_EVENT: preprocess(
      blankIsUnset,
      z._default(z.enum(['AUTHORISATION', 'CAPTURE']), 'AUTHORISATION'),
    ),
  },
  read: (env): AdyenSettings => ({
    referencePattern: env.ADYEN_REFERENCE_PATTERN,
    paidEvent: env.ADYEN_PAID_EVENT,
  }),
  local: {
    secrets: {
      // 32 random bytes as hex, as the Customer Area shows an HMAC key.
      ADYEN_HMAC_KEY: '6C0CA0F6D5A93E4F2B1D8C7E9A0B3F5E4D2C1B0A9F8E7D6C5B4A39281706F5E4',
    },
  },
  load: async () => (await import('./provider.ts')).default,
});
