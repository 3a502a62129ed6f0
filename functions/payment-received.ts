// POST /webhooks/payments/{provider}: verify, translate, enqueue (lib/http/ingress.ts).
import { mapStackTraces } from '#lib/stack-traces.ts';
import { loadConfig } from '#lib/config.ts';
import { createIngressRuntime } from '#lib/runtime/ingress.ts';
import { paymentReceivedHandler } from '#lib/runtime/payments.ts';

mapStackTraces();
export const handler = paymentReceivedHandler(createIngressRuntime(loadConfig()));
