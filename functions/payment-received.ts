// POST /webhooks/payments/{provider}: verify, translate, enqueue (lib/http/ingress.ts).
import { loadConfig } from '#lib/config.ts';
import { createRuntime, paymentReceivedHandler } from '#lib/wiring.ts';

export const handler = paymentReceivedHandler(createRuntime(loadConfig()));
