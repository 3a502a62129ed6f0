/**
 * The request bodies we publish for the templated helpdesks (README: "Helpdesk setup"). They live in
 * code so the tests render exactly what admins paste, and the sources decode exactly what these
 * produce. Change a template only together with its schema_version and its source.
 *
 * Free text goes through TEXT_FILTERS, Liquid filters that exist in every Liquid version (Freshdesk
 * runs 2.4.1) and leave nothing JSON must escape:
 *   escape             " & < > ' → &quot; &amp; &lt; &gt; &#39;
 *   replace: '\', …    a backslash → &#92;. An entity, not `\\`: Liquid string literals have no
 *                      escapes ('\' is one backslash), and Ruby's gsub reads backslashes in a
 *                      replacement string specially in Liquid 2–4 but not in 5, so a `\\`
 *                      replacement means different things on different Zendesk/Freshdesk versions.
 *   newline_to_br      newline → "<br />\n"
 *   strip_newlines     drops the "\n" (and, in Liquid 5, the "\r" of CRLF)
 * The value then holds no quote, backslash or line feed, so it is valid inside "…" whether or not
 * the helpdesk JSON-escapes placeholder output itself (undocumented for both). Tabs and lone CRs
 * survive; parseTemplateJson escapes those. decodeTemplateText reverses the chain.
 */
export const TEXT_FILTERS = String.raw`escape | replace: '\', '&#92;' | newline_to_br | strip_newlines`;

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
