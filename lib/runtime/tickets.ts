import type { TicketResolved } from '#lib/events.ts';
import { ingressHandler } from '#lib/http/ingress.ts';
import { ticketSources } from '#lib/sources/tickets/index.ts';
import { caseCommand } from '#lib/translate/case.ts';
import type { IngressRuntime } from './types.ts';

/** POST /webhooks/tickets/{provider}: Zendesk, Freshdesk, Jira. */
export function ticketResolvedHandler(runtime: IngressRuntime) {
  const { config } = runtime;
  const operation = config.wolkvox.operation;
  return ingressHandler<TicketResolved>({
    ...runtime,
    sources: ticketSources({ operation, zendesk: config.zendesk, jira: config.jira }),
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
