import type { TicketResolved } from '#lib/events.ts';
import { ingressHandler } from '#lib/http/ingress.ts';
import { providerLoader } from '#lib/providers/loader.ts';
import { caseCommand } from '#lib/translate/case.ts';
import type { IngressRuntime } from './types.ts';

/** POST /webhooks/tickets/{provider}: the helpdesks of lib/providers/registry.ts. */
export function ticketResolvedHandler(runtime: IngressRuntime) {
  const { config } = runtime;
  const operation = config.wolkvox.operation;
  return ingressHandler<TicketResolved>({
    ...runtime,
    local: !config.inLambda,
    providers: providerLoader('tickets', config, runtime.logger),
    translate: (event) => caseCommand(event, config.cases, operation),
    describe: (event) => ({
      eventId: event.eventId,
      summary: {
        ticketId: event.ticketId,
        caseId: event.caseId,
        resolvedAt: event.resolvedAt,
        attachments: event.attachments.length,
      },
    }),
  });
}
