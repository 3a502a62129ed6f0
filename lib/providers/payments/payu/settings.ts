import * as z from 'zod/mini';
import '#lib/zod-mini.ts';
import { blankIsUnset, matching, preprocess } from '#lib/settings.ts';
import { defineProvider } from '../../define.ts';
import { referencePattern } from '../reference.ts';

/** How a PayU account computes `sign` (PayU's panel sets one per account; MD5 unless changed). */
export const PAYU_ALGORITHMS = ['md5', 'sha1', 'sha256', 'hmac-sha256'] as const;
export type PayuAlgorithm = (typeof PAYU_ALGORITHMS)[number];

export interface PayuSettings {
  /**
   * PAYU_MERCHANT_ID: the merchant whose confirmations this deployment applies. Unset, nothing can
   * be checked and every confirmation fails as a configuration problem (503), never as a payment.
   */
  merchantId: string | undefined;
  /** PAYU_REFERENCE_PATTERN: reads the obligation from `reference_sale`. */
  referencePattern: RegExp;
  /** PAYU_SIGNATURE_ALGORITHM: md5 (default), sha1, sha256, or hmac-sha256 keyed with PAYU_SIGNATURE_KEY. */
  algorithm: PayuAlgorithm;
}

/** PayU Latam (docs/providers/payu.md). */
export default defineProvider({
  family: 'payments',
  slug: 'payu',
  name: 'PayU Latam',
  secrets: { required: ['PAYU_API_KEY'], optional: ['PAYU_SIGNATURE_KEY'] },
  env: {
    /** PayU's numeric merchant id ("Numeric 12" in PayU's variable table): the one `merchant_id` accepted. */
    PAYU_MERCHANT_ID: matching(/^\d{1,12}$/, 'must be the numeric merchant id PayU gave you (e.g. 508029)'),
    /** Reads the target from `reference_sale`: named groups wolkvox_id, obligation, optional operation. */
    PAYU_REFERENCE_PATTERN: referencePattern(),
    /** The algorithm the account signs with: a setting, never guessed from the request. */
    PAYU_SIGNATURE_ALGORITHM: preprocess(
      (value) => (typeof value === 'string' ? blankIsUnset(value.trim().toLowerCase()) : value),
      z._default(z.enum(PAYU_ALGORITHMS), 'md5'),
    ),
  },
  read: (env): PayuSettings => ({
    merchantId: env.PAYU_MERCHANT_ID,
    referencePattern: env.PAYU_REFERENCE_PATTERN,
    algorithm: env.PAYU_SIGNATURE_ALGORITHM,
  }),
  local: {
    secrets: { PAYU_API_KEY: 'LocalDemoPayUApiKey7Qm2Zx9K' },
    // PayU's public sandbox merchant (developers.payulatam.com, "Test your solution"): the samples
    // name it in `merchant_id`, and the signer signs what the sample names.
    settings: { PAYU_MERCHANT_ID: '508029' },
  },
  load: async () => (await import('./provider.ts')).default,
});
