import * as z from 'zod/mini';
import '#lib/zod-mini.ts';
import type { TicketResolved } from '#lib/events.ts';
import { SignatureError } from '#lib/http/errors.ts';
import { quoted } from '#lib/excerpt.ts';
import type { Decision, RawRequest, SourceContext, TicketSource, Trust } from '../types.ts';
import { parseWith, safeEqual, secretList } from '../common.ts';
import {
  caseTarget,
  customFieldsValue,
  idValue,
  label,
  nonBlank,
  optional,
  parseInstant,
  parseTemplateJson,
  statusIn,
  templateCustomFields,
  templateText,
  type TicketSettingsBase,
} from './shared.ts';
import { commentText, decodeTemplateText } from './text.ts';

/**
 * Freshdesk automation-rule webhooks (helpdesks.md §2). Freshdesk signs nothing, so the rule sends
 * a shared token (FRESHDESK_WEBHOOK_TOKEN) as the custom header `X-Wolkvox-Webhook-Token`, or as
 * HTTP Basic credentials ("Requires authentication": the token as password, or as the API-key
 * username). The body is FRESHDESK_TEMPLATE (templates.ts). Freshdesk has no placeholder for
 * attachments, so none arrive from here.
 */
export type FreshdeskSettings = TicketSettingsBase;

/**
 * No replay window: nothing is signed, so there is no signature to capture and replay — a request
 * is as good as the token it carries, and whoever could replay one holds the token and can send
 * anything. (Its identity, ticket + status + resolution time, still makes a retry a duplicate.)
 */
export const FRESHDESK_TRUST: Trust = {
  covers: 'sender',
  scheme:
    'a shared token (FRESHDESK_WEBHOOK_TOKEN) in X-Wolkvox-Webhook-Token or Basic credentials; Freshdesk signs nothing',
  signed: [],
  confirmed: [],
  unverified: [],
  replayWindowSeconds: null,
  replayWindow: 'none: the token is the credential (keep it secret, rotate it if exposed)',
};

const RESOLVED = ['resolved', 'closed'];

const envelope = z.lazy(() =>
  z.object({
    schema_version: z.union([z.literal('1'), z.literal(1)], { error: 'expected "1" (the README template)' }),
    ticket_id: idValue,
    status: z.string(),
  }),
);

const body = z.lazy(() =>
  z.object({
    /** When the status last changed (the rule fires on that change): `{{ticket.status_changed_on}}`. */
    resolved_at: z.optional(z.string()),
    updated_at: z.optional(z.string()),
    ticket_url: z.optional(z.string()),
    priority: z.optional(z.string()),
    ticket_type: z.optional(z.string()),
    agent_email: z.optional(z.string()),
    wolkvox_id: z.optional(z.string()),
    wolkvox_operation: z.optional(z.string()),
    resolution: z.optional(z.string()),
    solution: z.optional(z.string()),
    custom_fields: customFieldsValue,
  }),
);

/** What the request presents as the token: the custom header, and both halves of Basic credentials. */
function presentedTokens(headers: RawRequest['headers']): string[] {
  const presented: string[] = [];
  const header = headers['x-wolkvox-webhook-token']?.trim();
  if (header) presented.push(header);
  const basic = /^Basic\s+([\w+/=-]+)\s*$/i.exec(headers.authorization ?? '');
  if (basic?.[1]) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const [user, password] = colon < 0 ? [decoded, ''] : [decoded.slice(0, colon), decoded.slice(colon + 1)];
    for (const part of [password, user]) if (part) presented.push(part);
  }
  return presented;
}

/** A comment rendered through the template: decode our encoding, then the comment's own HTML. */
function comment(value: string | undefined): string | undefined {
  return value === undefined ? undefined : nonBlank(commentText(decodeTemplateText(value)));
}

export function freshdeskSource(settings: FreshdeskSettings): TicketSource {
  return {
    slug: 'freshdesk',
    trust: FRESHDESK_TRUST,

    async verify(request: RawRequest, { secrets }: SourceContext) {
      const presented = presentedTokens(request.headers);
      if (presented.length === 0) throw new SignatureError('no token header or Basic credentials');
      const tokens = secretList(secrets.FRESHDESK_WEBHOOK_TOKEN, 'FRESHDESK_WEBHOOK_TOKEN');
      // Every pair is compared, so the time taken does not say which candidate came close.
      let ok = false;
      for (const candidate of presented) for (const token of tokens) ok = safeEqual(candidate, token) || ok;
      if (!ok) throw new SignatureError('token does not match');
      return { read: async (context: SourceContext) => read(request, context) };
    },
  };

  function read(request: RawRequest, { now }: SourceContext): Decision<TicketResolved> {
    const raw = parseTemplateJson(request.body);
    const head = parseWith(envelope, raw);
    const status = decodeTemplateText(head.status).trim();
    if (!statusIn(status, RESOLVED)) {
      return {
        action: 'ignore',
        reason: `ticket status is ${quoted(status, 40)}, not resolved or closed`,
      };
    }
    const ticket = parseWith(body, raw);

    // Freshdesk sends no delivery time or id. The status-change time makes a retry of the same
    // delivery (5, 30, 60 min later) the same event; without it, the receipt time is all there is,
    // and each retry then counts as its own resolution (see the README).
    const stamped = parseInstant(ticket.resolved_at) ?? parseInstant(ticket.updated_at);
    const resolvedAt = stamped ?? now().toISOString();
    const email = templateText(ticket.agent_email);
    const ticketUrl = templateText(ticket.ticket_url);
    const event: TicketResolved = {
      kind: 'ticket',
      provider: 'freshdesk',
      eventId: `${head.ticket_id}:${status.toLowerCase()}:${resolvedAt}`,
      ticketId: head.ticket_id,
      resolvedAt,
      ...caseTarget(
        ticket.wolkvox_id === undefined ? undefined : decodeTemplateText(ticket.wolkvox_id),
        'wolkvox_id ({{ticket.cf_wolkvox_id}})',
        { named: ticket.wolkvox_operation, served: settings.operation },
      ),
      priority: label(ticket.priority),
      caseType: label(ticket.ticket_type),
      assignee: email ? { email } : null,
      solution: {
        ...optional('resolution', comment(ticket.resolution)),
        ...optional('lastPublicReply', comment(ticket.solution)),
      },
      customFields: {
        ...templateCustomFields(ticket.custom_fields),
        ticket_id: head.ticket_id,
        ...optional('ticket_url', ticketUrl),
      },
      attachments: [],
    };
    return { action: 'accept', event };
  }
}
