import type { Config } from '#lib/config.ts';
import type { PaymentSource } from '../types.ts';
import { stripeSource } from './stripe.ts';
import { wompiSource } from './wompi.ts';

/** The payment providers served at POST /webhooks/payments/{slug}. */
export function paymentSources(config: Config): Record<string, PaymentSource> {
  const operation = config.wolkvox.operation;
  return {
    stripe: stripeSource({ operation, toleranceSeconds: config.stripe.toleranceSeconds }),
    wompi: wompiSource({ operation, ...config.wompi }),
  };
}
