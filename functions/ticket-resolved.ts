// POST /webhooks/tickets/{provider}: verify, translate, enqueue (lib/http/ingress.ts).
import { mapStackTraces } from '#lib/stack-traces.ts';
import { loadConfig } from '#lib/config.ts';
import { createIngressRuntime } from '#lib/runtime/ingress.ts';
import { ticketResolvedHandler } from '#lib/runtime/tickets.ts';

mapStackTraces();
export const handler = ticketResolvedHandler(createIngressRuntime(loadConfig()));
