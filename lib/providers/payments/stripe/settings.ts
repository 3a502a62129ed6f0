import { integer } from '#lib/settings.ts';
import { defineProvider } from '../../define.ts';

export interface StripeSettings {
  /** STRIPE_TOLERANCE_SECONDS: how far the signed timestamp may be from now, either way. */
  toleranceSeconds: number;
}

/** Stripe (docs/providers/stripe.md). */
export default defineProvider({
  family: 'payments',
  slug: 'stripe',
  name: 'Stripe',
  secrets: { required: ['STRIPE_WEBHOOK_SECRET'] },
  env: {
    /** How far a Stripe-Signature timestamp may be from now, either way. */
    STRIPE_TOLERANCE_SECONDS: integer(300, 1, 3_600),
  },
  read: (env): StripeSettings => ({ toleranceSeconds: env.STRIPE_TOLERANCE_SECONDS }),
  replayWindow: (s) => ({ setting: 'STRIPE_TOLERANCE_SECONDS', seconds: s.toleranceSeconds }),
  local: { secrets: { STRIPE_WEBHOOK_SECRET: 'whsec_local_demo_4f6b9c2d8e1a7350b2c4d6e8f0a1b3c5' } },
  load: async () => (await import('./provider.ts')).default,
});
