import { defineProvider } from '../../define.ts';
import { apiUrl, referencePattern } from '../reference.ts';

export interface EpaycoSettings {
  /** EPAYCO_REFERENCE_PATTERN: reads the obligation from the invoice (`x_id_invoice`) ePayco's API confirms. */
  referencePattern: RegExp;
  /** EPAYCO_API_URL: where ePayco's validation endpoint is (https://secure.epayco.co). */
  apiUrl: string;
}

/** ePayco (Davivienda, Colombia) (docs/providers/epayco.md). */
export default defineProvider({
  family: 'payments',
  slug: 'epayco',
  name: 'ePayco',
  // P_CUST_ID_CLIENTE and P_KEY of the dashboard's secret keys (not the public/private API keys):
  // both enter the signature, so both are required.
  secrets: { required: ['EPAYCO_CUSTOMER_ID', 'EPAYCO_P_KEY'] },
  env: {
    /** Reads the target from the invoice (`x_id_invoice`): named groups wolkvox_id, obligation, optional operation. */
    EPAYCO_REFERENCE_PATTERN: referencePattern(),
    /** ePayco's validation API, which confirms the state, invoice and date ePayco does not sign; never taken from a request. */
    EPAYCO_API_URL: apiUrl('https://secure.epayco.co'),
  },
  read: (env): EpaycoSettings => ({
    referencePattern: env.EPAYCO_REFERENCE_PATTERN,
    apiUrl: env.EPAYCO_API_URL,
  }),
  // No replayWindow: ePayco signs no time (provider.ts, trust.replayWindow says why a replay is harmless).
  local: {
    secrets: {
      /** A customer id is a number in ePayco's API: the local fake (lib/local/provider-apis.ts) keeps it one. */
      EPAYCO_CUSTOMER_ID: '904271',
      EPAYCO_P_KEY: 'p_key_local_demo_Rt6Wm2Kx9Qb4Nz7Lc3Vh8Jd5',
    },
  },
  load: async () => (await import('./provider.ts')).default,
});
