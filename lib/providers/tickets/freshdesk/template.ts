import { TEXT_FILTERS } from '../template.ts';

/**
 * The body admins paste into Freshdesk's automation rule (docs/providers/freshdesk.md): in code, so
 * the tests render exactly what admins paste and the provider decodes exactly what it produces.
 * Change it only together with its schema_version and provider.ts.
 */

/** Body of the Freshdesk automation action "Trigger webhook" (Advanced content, JSON encoding). */
export const FRESHDESK_TEMPLATE = `{
  "schema_version": "1",
  "ticket_id": "{{ticket.id}}",
  "ticket_url": "{{ticket.url}}",
  "status": "{{ticket.status}}",
  "resolved_at": "{{ticket.status_changed_on | date: '%Y-%m-%dT%H:%M:%S%z'}}",
  "updated_at": "{{ticket.modified_on | date: '%Y-%m-%dT%H:%M:%S%z'}}",
  "priority": "{{ticket.priority}}",
  "ticket_type": "{{ticket.ticket_type | ${TEXT_FILTERS}}}",
  "agent_email": "{{ticket.agent.email}}",
  "wolkvox_id": "{{ticket.cf_wolkvox_id | ${TEXT_FILTERS}}}",
  "solution": "{{ticket.latest_public_comment | ${TEXT_FILTERS}}}",
  "custom_fields": {
    "group": "{{ticket.group.name | ${TEXT_FILTERS}}}"
  }
}
`;
