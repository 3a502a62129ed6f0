// POST /webhooks/tickets/{provider}: verify, translate, enqueue (lib/http/ingress.ts).
import { loadConfig } from '#lib/config.ts';
import { createRuntime, ticketResolvedHandler } from '#lib/wiring.ts';

export const handler = ticketResolvedHandler(createRuntime(loadConfig()));
