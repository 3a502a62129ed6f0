import type { TicketSource } from '../types.ts';
import { freshdeskSource } from './freshdesk.ts';
import { jiraSource } from './jira.ts';
import { zendeskSource } from './zendesk.ts';

/** What the helpdesk sources need from the configuration. */
export interface TicketSourcesSettings {
  operation: string;
  zendesk: { toleranceSeconds: number };
  jira: { caseIdField?: string | undefined; solutionField?: string | undefined; maxAgeSeconds: number };
}

/** The helpdesks served at POST /webhooks/tickets/{slug}. */
export function ticketSources(settings: TicketSourcesSettings): Record<string, TicketSource> {
  const { operation } = settings;
  return {
    zendesk: zendeskSource({ operation, toleranceSeconds: settings.zendesk.toleranceSeconds }),
    freshdesk: freshdeskSource({ operation }),
    jira: jiraSource({
      operation,
      caseIdField: settings.jira.caseIdField,
      solutionField: settings.jira.solutionField,
      maxAgeSeconds: settings.jira.maxAgeSeconds,
    }),
  };
}
