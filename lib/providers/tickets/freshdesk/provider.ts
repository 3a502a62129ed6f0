import * as z from 'zod/mini';
import '#lib/zod-mini.ts';
import { basicAuthorization } from '#lib/attachments/policy.ts';
import type { TicketResolved } from '#lib/events.ts';
import { SignatureError } from '#lib/http/errors.ts';
import { firstSecret, secretList } from '../../common.ts';
import { anyTokenMatches, presentedTokens } from '../../schemes/token.ts';
import type { ProviderCode, ProviderContext, RawRequest, TicketProvider, Trust } from '../../types.ts';
import { nonBlank, parseInstant } from '../common.ts';
import { readTemplateTicket } from '../template.ts';
import { commentText, decodeTemplateText } from '../text.ts';
import type { FreshdeskSettings } from './settings.ts';

/**
 * Freshdesk automation-rule webhooks (helpdesks.md §2). Freshdesk signs nothing, so the rule sends
 * a shared token (FRESHDESK_WEBHOOK_TOKEN) as the custom header `X-Wolkvox-Webhook-Token`, or as
 * HTTP Basic credentials ("Requires authentication": the token as password, or as the API-key
 * username). The body is FRESHDESK_TEMPLATE (template.ts). Freshdesk has no placeholder for
 * attachments, so none arrive from here.
 *
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

const TOKEN_HEADER = 'x-wolkvox-webhook-token';

/** The fields Freshdesk's template adds to the shared ones. */
const fields = {
  /** When the status last changed (the rule fires on that change): `{{ticket.status_changed_on}}`. */
  resolved_at: z.optional(z.string()),
  updated_at: z.optional(z.string()),
  agent_email: z.optional(z.string()),
};

/** A comment rendered through the template: decode our encoding, then the comment's own HTML. */
function comment(value: string | undefined): string | undefined {
  return value === undefined ? undefined : nonBlank(commentText(decodeTemplateText(value)));
}

function create(settings: FreshdeskSettings & { operation: string }): TicketProvider {
  return {
    family: 'tickets',
    slug: 'freshdesk',
    trust: FRESHDESK_TRUST,

    verify(request: RawRequest, { secrets }: ProviderContext) {
      const presented = presentedTokens(request.headers, TOKEN_HEADER);
      if (presented.length === 0) throw new SignatureError('no token header or Basic credentials');
      const tokens = secretList(secrets.FRESHDESK_WEBHOOK_TOKEN, 'FRESHDESK_WEBHOOK_TOKEN');
      if (!anyTokenMatches(presented, tokens)) throw new SignatureError('token does not match');
      return { read: ({ now }: ProviderContext) => read(request, settings.operation, now) };
    },
  };
}

function read(request: RawRequest, operation: string, now: () => Date) {
  return readTemplateTicket(request.body, operation, {
    provider: 'freshdesk',
    resolved: ['resolved', 'closed'],
    fields,
    caseIdWhere: 'wolkvox_id ({{ticket.cf_wolkvox_id}})',
    comment,
    time(ticket, head) {
      // Freshdesk sends no delivery time or id. The status-change time makes a retry of the same
      // delivery (5, 30, 60 min later) the same event; without it, the receipt time is all there
      // is, and each retry then counts as its own resolution (see the guide).
      const resolvedAt =
        parseInstant(ticket.resolved_at) ?? parseInstant(ticket.updated_at) ?? now().toISOString();
      return { resolvedAt, eventId: `${head.ticketId}:${head.status.toLowerCase()}:${resolvedAt}` };
    },
    assigneeEmail: (ticket) => ticket.agent_email,
    attachments: () => [],
  });
}

const freshdesk: ProviderCode<TicketResolved, FreshdeskSettings> = {
  create,
  /** Freshdesk signs nothing: the automation rule sends our shared token as a custom header. */
  sign: (body, secrets) => ({
    body,
    headers: {
      'content-type': 'application/json',
      [TOKEN_HEADER]: firstSecret(secrets, 'FRESHDESK_WEBHOOK_TOKEN'),
    },
  }),
  userAgent: 'Freshdesk',
  attachments: {
    // helpdesks.md §2.2 says API attachment URLs are pre-signed S3 links but names no bucket host;
    // the shared s3.amazonaws.com would admit any bucket, so it is not allowed by default.
    hosts: () => ['*.freshdesk.com', '*.freshworks.com'],
    authorization(secrets) {
      // Freshdesk's API key is the user name; the password is ignored, conventionally "X".
      const key = secrets.FRESHDESK_API_KEY?.trim();
      return key ? basicAuthorization(key, 'X') : undefined;
    },
  },
};

export default freshdesk;
