// POST /webhooks/tickets/{provider}: verify, translate, enqueue (lib/http/ingress.ts).
import { mapStackTraces } from '#lib/stack-traces.ts';
import { loadConfig } from '#lib/config.ts';
import { createIngressRuntime } from '#lib/runtime/ingress.ts';
import { ticketResolvedHandler } from '#lib/runtime/tickets.ts';
import { startTracing } from '#lib/tracing.ts';

mapStackTraces();
const tracing = startTracing();
const served = ticketResolvedHandler(createIngressRuntime(loadConfig()));
export const handler = tracing ? tracing(served) : served;
