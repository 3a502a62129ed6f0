import { TEXT_FILTERS } from '../template.ts';

/**
 * The body admins paste into Zendesk's trigger action (docs/providers/zendesk.md): in code, so the
 * tests render exactly what admins paste and the provider decodes exactly what it produces. Change
 * it only together with its schema_version and provider.ts.
 */

/** Zendesk: the ticket field holding the wolkvox case id; admins put their own field's id here. */
export const ZENDESK_EXAMPLE_FIELD_ID = '360011223344';

/** Body of the Zendesk trigger action "Notify webhook" (trigger: Ticket > Status > Changed to > Solved). */
export const ZENDESK_TEMPLATE = `{
  "schema_version": "1",
  "ticket_id": "{{ticket.id}}",
  "ticket_url": "{{ticket.link}}",
  "status": "{{ticket.status}}",
  "updated_at": "{{ticket.updated_at_with_timestamp}}",
  "priority": "{{ticket.priority}}",
  "ticket_type": "{{ticket.ticket_type}}",
  "assignee_email": "{{ticket.assignee.email}}",
  "wolkvox_id": "{{ticket.ticket_field_${ZENDESK_EXAMPLE_FIELD_ID} | ${TEXT_FILTERS}}}",
  "solution": "{{ticket.latest_public_comment | ${TEXT_FILTERS}}}",
  "custom_fields": {
    "group": "{{ticket.group.name | ${TEXT_FILTERS}}}"
  },
  "attachments": [{% for attachment in ticket.latest_public_comment.attachments %}
    {
      "file_name": "{{attachment.filename | ${TEXT_FILTERS}}}",
      "content_url": "{{attachment.url | escape}}",
      "content_type": "{{attachment.content_type | escape}}",
      "size": "{{attachment.size}}"
    }{% if forloop.last == false %},{% endif %}{% endfor %}
  ]
}
`;
