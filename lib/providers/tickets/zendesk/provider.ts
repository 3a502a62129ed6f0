import * as z from 'zod/mini';
import '#lib/zod-mini.ts';
import { basicAuthorization } from '#lib/attachments/policy.ts';
import type { TicketResolved } from '#lib/events.ts';
import { MalformedError, SignatureError } from '#lib/http/errors.ts';
import { firstSecret, secretList } from '../../common.ts';
import { anySignatureMatches, checkSignedTime, hmac } from '../../schemes/hmac.ts';
import type { ProviderCode, ProviderContext, RawRequest, TicketProvider, Trust } from '../../types.ts';
import { nonBlank, parseInstant } from '../common.ts';
import { attachmentRefs, readTemplateTicket, templateAttachments, templateText } from '../template.ts';
import type { ZendeskSettings } from './settings.ts';

/**
 * Zendesk trigger webhooks (helpdesks.md §1). The body is ZENDESK_TEMPLATE (template.ts) as the
 * admin pasted it into the trigger's "Notify webhook" action. Signature:
 * `X-Zendesk-Webhook-Signature` = base64 HMAC-SHA256 keyed by the signing secret as-is (it looks
 * base64 but is not decoded) over the `X-Zendesk-Webhook-Signature-Timestamp` value immediately
 * followed by the raw body. Zendesk documents no replay window; we allow ± ZENDESK_TOLERANCE_SECONDS.
 */

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

/** The fields Zendesk's template adds to the shared ones. */
const fields = {
  updated_at: z.optional(z.string()),
  assignee_email: z.optional(z.string()),
  attachments: templateAttachments,
};

const sign = (secret: string, timestamp: string, body: string | Buffer) =>
  hmac('sha256', secret, [timestamp, body], 'base64');

function create(settings: ZendeskSettings & { operation: string }): TicketProvider {
  const tolerance = settings.toleranceSeconds;
  return {
    family: 'tickets',
    slug: 'zendesk',
    trust: zendeskTrust(tolerance),

    verify(request: RawRequest, { secrets, now }: ProviderContext) {
      const signature = request.headers['x-zendesk-webhook-signature']?.trim();
      const timestamp = request.headers['x-zendesk-webhook-signature-timestamp']?.trim();
      if (!signature || !timestamp) throw new SignatureError('no Zendesk signature or timestamp header');
      const keys = secretList(secrets.ZENDESK_WEBHOOK_SECRET, 'ZENDESK_WEBHOOK_SECRET');
      if (
        !anySignatureMatches([signature], keys, (secret) => sign(secret, timestamp, request.body), 'base64')
      ) {
        throw new SignatureError('signature does not match');
      }
      const at = parseInstant(timestamp);
      if (at === undefined) throw new SignatureError('timestamp is not ISO 8601');
      const window = {
        maxAgeSeconds: tolerance,
        futureSeconds: tolerance,
        setting: 'ZENDESK_TOLERANCE_SECONDS',
      };
      checkSignedTime(Date.parse(at), now().getTime(), window);
      return { read: () => read(request, at, settings.operation) };
    },
  };
}

/** `signedAt`: the timestamp header's instant, which the signature covers. */
function read(request: RawRequest, signedAt: string, operation: string) {
  return readTemplateTicket(request.body, operation, {
    provider: 'zendesk',
    resolved: ['solved', 'closed'], // the trigger fires on Solved; Closed follows later by automation
    fields,
    caseIdWhere: 'wolkvox_id (the ticket field named in the trigger body)',
    comment: templateText,
    time(ticket, head) {
      const updatedAt = nonBlank(ticket.updated_at);
      const resolvedAt = updatedAt === undefined ? undefined : parseInstant(updatedAt);
      if (updatedAt !== undefined && resolvedAt === undefined) {
        throw new MalformedError([
          'updated_at: not an ISO 8601 time (use {{ticket.updated_at_with_timestamp}})',
        ]);
      }
      // Without updated_at (an older template), when Zendesk signed the request is the next best
      // time. From signed values only: the invocation-id header is not signed.
      const when = resolvedAt ?? signedAt;
      return { resolvedAt: when, eventId: `${head.ticketId}:${when}` };
    },
    assigneeEmail: (ticket) => ticket.assignee_email,
    attachments: (ticket) => attachmentRefs(ticket.attachments),
  });
}

const HOST_LABEL = /^[a-z0-9-]+$/;

const zendesk: ProviderCode<TicketResolved, ZendeskSettings> = {
  create,
  sign(body, secrets, now) {
    const secret = firstSecret(secrets, 'ZENDESK_WEBHOOK_SECRET');
    if (!Number.isFinite(now.getTime())) throw new Error('Invalid signing time');
    // Zendesk's format: ISO 8601 UTC to the second, e.g. 2021-03-25T05:09:27Z.
    const timestamp = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
    return {
      body,
      headers: {
        'content-type': 'application/json',
        'x-zendesk-webhook-signature': sign(secret, timestamp, body),
        'x-zendesk-webhook-signature-timestamp': timestamp,
      },
    };
  },
  // As commonly seen, not documented.
  userAgent: 'Zendesk Webhook',
  attachments: {
    /** The account's host (any *.zendesk.com without ZENDESK_SUBDOMAIN), and where it redirects files. */
    hosts(settings) {
      const subdomain = settings.subdomain;
      if (subdomain && !HOST_LABEL.test(subdomain))
        throw new TypeError('zendeskSubdomain must be like "acme"');
      return [subdomain ? `${subdomain}.zendesk.com` : '*.zendesk.com', '*.zdusercontent.com'];
    },
    authorization(secrets) {
      const email = secrets.ZENDESK_API_EMAIL?.trim();
      const token = secrets.ZENDESK_API_TOKEN?.trim();
      return email && token ? basicAuthorization(`${email}/token`, token) : undefined;
    },
  },
};

export default zendesk;
