// POST /webhooks/payments/{provider}: verify, translate, enqueue (lib/http/ingress.ts).
import { loadConfig } from '#lib/config.ts';
import { createIngressRuntime } from '#lib/runtime/ingress.ts';
import { paymentReceivedHandler } from '#lib/runtime/payments.ts';

export const handler = paymentReceivedHandler(createIngressRuntime(loadConfig()));
