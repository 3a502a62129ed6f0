import * as z from 'zod/mini';
import '#lib/zod-mini.ts';
import type { AttachmentRef, TicketResolved } from '#lib/events.ts';
import { quoted } from '#lib/excerpt.ts';
import { firstSecret, parseJson, parseWith } from '../../common.ts';
import { standardTrust, standardWebhookHeaders, verifyWithSecret } from '../../schemes/standard-webhooks.ts';
import type { ProviderCode, ProviderContext, RawRequest, TicketProvider } from '../../types.ts';
import { caseTarget, filenameFromUrl, nonBlank } from '../common.ts';
import type { StandardTicketsSettings } from './settings.ts';

/**
 * The door for any other helpdesk or in-house tool: a Standard Webhooks signature (the same scheme
 * as the `standard` payments door, its own secret) over the exact bytes of
 *   { "type": "ticket.resolved", "timestamp": "…",
 *     "data": { "ticket_id", "resolved_at", "wolkvox_id", "operation"?, "solution", "responsible"?,
 *               "priority"?, "case_type"?, "form"?: { key: value }, "attachments"?: [{ file_name, url, content_type? }] } }
 * Every byte is signed: everything is believed as sent, and goes through the same maps as any
 * helpdesk's (responsible, priority, case type, form). Extra keys are ignored; other types are
 * answered 200 ignored. Attachments come only from STANDARD_TICKETS_ATTACHMENT_HOSTS.
 */

const text = (max: number) => z.string().check(z.maxLength(max));

const envelope = z.lazy(() => z.object({ type: z.string().check(z.minLength(1)), data: z.unknown() }));

const ticket = z.lazy(() =>
  z.object({
    ticket_id: z.string().check(z.minLength(1), z.maxLength(200)),
    resolved_at: z.iso.datetime({ offset: true }),
    wolkvox_id: z.optional(text(100)),
    operation: z.optional(text(100)),
    solution: z.optional(text(65_536)),
    responsible: z.optional(text(320)),
    priority: z.optional(text(100)),
    case_type: z.optional(text(200)),
    form: z.optional(z.record(text(200), text(4_000))),
    attachments: z.optional(
      z
        .array(
          z.object({
            file_name: z.optional(text(255)),
            url: z.url({ protocol: /^https$/ }),
            content_type: z.optional(text(200)),
            size: z.optional(z.number().check(z.int(), z.nonnegative())),
          }),
        )
        .check(z.maxLength(50)),
    ),
  }),
);

function create(settings: StandardTicketsSettings & { operation: string }): TicketProvider {
  return {
    family: 'tickets',
    slug: 'standard',
    trust: standardTrust('STANDARD_TICKETS_SECRET'),
    verify(request: RawRequest, context: ProviderContext) {
      const id = verifyWithSecret(request, 'STANDARD_TICKETS_SECRET', context);
      return { read: () => read(request, id) };
    },
  };

  function read(request: RawRequest, messageId: string) {
    const body = parseWith(envelope, parseJson(request.body));
    if (body.type !== 'ticket.resolved') {
      return { action: 'ignore' as const, reason: `type ${quoted(body.type, 40)} is not ticket.resolved` };
    }
    const data = parseWith(ticket, body.data, 'data');
    const attachments: AttachmentRef[] = (data.attachments ?? []).flatMap((file) => {
      const filename = nonBlank(file.file_name) ?? filenameFromUrl(file.url);
      if (!filename) return [];
      return [
        {
          filename,
          url: file.url,
          ...(file.content_type ? { contentType: file.content_type } : {}),
          ...(file.size === undefined ? {} : { size: file.size }),
        },
      ];
    });
    const resolved: TicketResolved = {
      kind: 'ticket',
      provider: 'standard',
      eventId: messageId,
      ticketId: data.ticket_id,
      resolvedAt: new Date(data.resolved_at).toISOString(),
      ...caseTarget(data.wolkvox_id, 'data.wolkvox_id', {
        named: data.operation,
        served: settings.operation,
      }),
      priority: nonBlank(data.priority) ?? null,
      caseType: nonBlank(data.case_type) ?? null,
      assignee: nonBlank(data.responsible) ? { email: data.responsible?.trim() } : null,
      // Plain text as sent: the sender writes the resolution the case shows.
      solution: { resolution: nonBlank(data.solution) },
      customFields: { ...data.form },
      attachments,
    };
    return { action: 'accept' as const, event: resolved };
  }
}

const standard: ProviderCode<TicketResolved, StandardTicketsSettings> = {
  create,
  /** The sample's bytes as they are, with a new message id and the signature of `now`. */
  sign(body, secrets, now) {
    return {
      body,
      headers: standardWebhookHeaders(body, firstSecret(secrets, 'STANDARD_TICKETS_SECRET'), now),
    };
  },
  userAgent: 'Svix-Webhooks/1.64.1 (sender-Ze2Rb; +https://www.svix.com/http-sender/)',
  attachments: {
    hosts: (settings) => [...settings.attachmentHosts],
    // Files are fetched as public https URLs (signed links); no helpdesk credentials to send.
    authorization: () => undefined,
  },
};

export default standard;
