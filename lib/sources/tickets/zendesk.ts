import { createHmac } from 'node:crypto';
import * as z from 'zod/mini';
import '#lib/zod-mini.ts';
import type { TicketResolved } from '#lib/events.ts';
import { MalformedError, SignatureError } from '#lib/http/errors.ts';
import { quoted } from '#lib/excerpt.ts';
import type { Decision, RawRequest, SourceContext, TicketSource, Trust } from '../types.ts';
import { parseWith, safeEqual, secretList } from '../common.ts';
import {
  attachmentRefs,
  caseTarget,
  customFieldsValue,
  idValue,
  label,
  nonBlank,
  optional,
  parseInstant,
  parseTemplateJson,
  statusIn,
  templateAttachments,
  templateCustomFields,
  templateText,
  type TicketSettingsBase,
} from './shared.ts';
import { decodeTemplateText } from './text.ts';

/**
 * Zendesk trigger webhooks (helpdesks.md §1). The body is ZENDESK_TEMPLATE (templates.ts) as the
 * admin pasted it into the trigger's "Notify webhook" action. Signature:
 * `X-Zendesk-Webhook-Signature` = base64 HMAC-SHA256 keyed by the signing secret as-is (it looks
 * base64 but is not decoded) over the `X-Zendesk-Webhook-Signature-Timestamp` value immediately
 * followed by the raw body. Zendesk documents no replay window; we allow ± toleranceSeconds.
 */
export interface ZendeskSettings extends TicketSettingsBase {
  /** Default 300. */
  toleranceSeconds?: number;
}

export const DEFAULT_ZENDESK_TOLERANCE_SECONDS = 300;

/** The statuses that mean resolved: the trigger fires on Solved; Closed follows later by automation. */
const RESOLVED = ['solved', 'closed'];

const envelope = z.lazy(() =>
  z.object({
    schema_version: z.union([z.literal('1'), z.literal(1)], { error: 'expected "1" (the README template)' }),
    ticket_id: idValue,
    status: z.string(),
  }),
);

const body = z.lazy(() =>
  z.object({
    updated_at: z.optional(z.string()),
    priority: z.optional(z.string()),
    ticket_type: z.optional(z.string()),
    ticket_url: z.optional(z.string()),
    assignee_email: z.optional(z.string()),
    wolkvox_id: z.optional(z.string()),
    /** Optional: one helpdesk feeding several wolkvox operations names its own. */
    wolkvox_operation: z.optional(z.string()),
    /** Optional: a dedicated "resolution" ticket field, preferred over the public reply. */
    resolution: z.optional(z.string()),
    solution: z.optional(z.string()),
    custom_fields: customFieldsValue,
    attachments: templateAttachments,
  }),
);

export function zendeskTrust(toleranceSeconds: number): Trust {
  return {
    covers: 'bytes',
    scheme:
      'HMAC-SHA256 (base64) of the timestamp header and the raw body with ZENDESK_WEBHOOK_SECRET (any of several)',
    signed: ['header:x-zendesk-webhook-signature', 'header:x-zendesk-webhook-signature-timestamp'],
    confirmed: [],
    unverified: [],
    replayWindowSeconds: toleranceSeconds,
    replayWindow: `signed timestamp within ZENDESK_TOLERANCE_SECONDS (${toleranceSeconds} s), both ways`,
  };
}

export function zendeskSource(settings: ZendeskSettings): TicketSource {
  const tolerance = settings.toleranceSeconds ?? DEFAULT_ZENDESK_TOLERANCE_SECONDS;
  return {
    slug: 'zendesk',
    trust: zendeskTrust(tolerance),

    async verify(request: RawRequest, { secrets, now }: SourceContext) {
      const signature = request.headers['x-zendesk-webhook-signature']?.trim();
      const timestamp = request.headers['x-zendesk-webhook-signature-timestamp']?.trim();
      if (!signature || !timestamp) throw new SignatureError('no Zendesk signature or timestamp header');
      const signed = Buffer.concat([Buffer.from(timestamp, 'utf8'), request.body]);
      const ok = secretList(secrets.ZENDESK_WEBHOOK_SECRET, 'ZENDESK_WEBHOOK_SECRET').some((secret) =>
        safeEqual(signature, createHmac('sha256', secret).update(signed).digest('base64')),
      );
      if (!ok) throw new SignatureError('signature does not match');
      const at = parseInstant(timestamp);
      if (at === undefined) throw new SignatureError('timestamp is not ISO 8601');
      if (Math.abs(now().getTime() - Date.parse(at)) > tolerance * 1000) {
        throw new SignatureError('timestamp outside the tolerance');
      }
      return { read: async () => read(request, at) };
    },
  };

  /** `signedAt`: the timestamp header's instant, which the signature covers. */
  function read(request: RawRequest, signedAt: string): Decision<TicketResolved> {
    const raw = parseTemplateJson(request.body);
    const head = parseWith(envelope, raw);
    const status = decodeTemplateText(head.status).trim();
    if (!statusIn(status, RESOLVED)) {
      return {
        action: 'ignore',
        reason: `ticket status is ${quoted(status, 40)}, not solved or closed`,
      };
    }
    const ticket = parseWith(body, raw);

    const updatedAt = nonBlank(ticket.updated_at);
    const resolvedAt = updatedAt === undefined ? undefined : parseInstant(updatedAt);
    if (updatedAt !== undefined && resolvedAt === undefined) {
      throw new MalformedError([
        'updated_at: not an ISO 8601 time (use {{ticket.updated_at_with_timestamp}})',
      ]);
    }
    // Without updated_at (an older template), when Zendesk signed the request is the next best time.
    const when = resolvedAt ?? signedAt;

    const ticketUrl = templateText(ticket.ticket_url);
    const email = templateText(ticket.assignee_email);
    const event: TicketResolved = {
      kind: 'ticket',
      provider: 'zendesk',
      // From signed values only (the invocation-id header is not signed).
      eventId: `${head.ticket_id}:${when}`,
      ticketId: head.ticket_id,
      resolvedAt: when,
      ...caseTarget(
        ticket.wolkvox_id === undefined ? undefined : decodeTemplateText(ticket.wolkvox_id),
        'wolkvox_id (the ticket field named in the trigger body)',
        { named: ticket.wolkvox_operation, served: settings.operation },
      ),
      priority: label(ticket.priority),
      caseType: label(ticket.ticket_type),
      assignee: email ? { email } : null,
      solution: {
        ...optional('resolution', templateText(ticket.resolution)),
        ...optional('lastPublicReply', templateText(ticket.solution)),
      },
      customFields: {
        ...templateCustomFields(ticket.custom_fields),
        ticket_id: head.ticket_id,
        ...optional('ticket_url', ticketUrl),
      },
      attachments: attachmentRefs(ticket.attachments),
    };
    return { action: 'accept', event };
  }
}
