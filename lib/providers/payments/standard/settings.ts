import { defineProvider } from '../../define.ts';

/** No settings: the body names the obligation outright, and the scheme fixes its tolerance. */
export type StandardSettings = Record<never, never>;

/** Any Standard Webhooks sender (docs/providers/standard.md). */
export default defineProvider({
  family: 'payments',
  slug: 'standard',
  name: 'Standard Webhooks',
  secrets: { required: ['STANDARD_PAYMENTS_SECRET'], optional: [] },
  env: {},
  read: (): StandardSettings => ({}),
  local: {
    secrets: {
      // whsec_ + base64 of 32 random bytes, as Standard Webhooks secrets are made.
      STANDARD_PAYMENTS_SECRET: 'whsec_bG9jYWwtZGVtby1zdGFuZGFyZC13ZWJob29rcy0zMmI=',
    },
  },
  load: async () => (await import('./provider.ts')).default,
});
