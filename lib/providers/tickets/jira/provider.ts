import { randomUUID } from 'node:crypto';
import * as z from 'zod/mini';
import '#lib/zod-mini.ts';
import { basicAuthorization } from '#lib/attachments/policy.ts';
import type { AttachmentRef, TicketResolved } from '#lib/events.ts';
import { quoted } from '#lib/excerpt.ts';
import { SignatureError } from '#lib/http/errors.ts';
import { firstSecret, parseJson, parseWith, secretList } from '../../common.ts';
import { anySignatureMatches, checkSignedTime, hmac } from '../../schemes/hmac.ts';
import type {
  Decision,
  ProviderCode,
  ProviderContext,
  RawRequest,
  TicketProvider,
  Trust,
} from '../../types.ts';
import { caseTarget, nonBlank, optional, parseInstant } from '../common.ts';
import { jiraText } from '../text.ts';
import type { JiraSettings } from './settings.ts';

/**
 * Jira Cloud / Jira Service Management admin webhooks (helpdesks.md §3), event "Issue updated".
 * A webhook registered with a secret carries `X-Hub-Signature: sha256=<hex HMAC-SHA256(secret,
 * raw body)>`, and no signed header time: the body's own `timestamp` is what bounds replays. The
 * payload is Jira's own (API v2 shapes: text as wiki markup), so the wolkvox case id lives in a
 * custom field named by JIRA_CASE_ID_FIELD.
 */

/** How far ahead of our clock a signed timestamp may be (clock skew). */
export const JIRA_FUTURE_SECONDS = 300;

export function jiraTrust(maxAgeSeconds: number): Trust {
  return {
    covers: 'bytes',
    scheme: 'HMAC-SHA256 (hex) of the raw body with JIRA_WEBHOOK_SECRET (X-Hub-Signature: sha256=…)',
    signed: ['header:x-hub-signature'],
    confirmed: [],
    unverified: [],
    replayWindowSeconds: maxAgeSeconds,
    replayWindow: `the body's signed timestamp at most JIRA_MAX_AGE_SECONDS (${maxAgeSeconds} s) old, ${JIRA_FUTURE_SECONDS} s ahead`,
  };
}

/** Jira's `timestamp` (epoch ms), the only time the signature covers. */
const stamped = z.lazy(() => z.object({ timestamp: z.number().check(z.int(), z.positive()) }));

const envelope = z.lazy(() =>
  z.object({
    webhookEvent: z.string().check(z.minLength(1)),
    // Items stay loose records: a schema key named `toString` would read Object.prototype's.
    changelog: z.nullish(z.object({ items: z.array(z.record(z.string(), z.unknown())) })),
    comment: z.optional(z.unknown()),
    issue: z.optional(z.unknown()),
  }),
);

const named = z.lazy(() => z.nullish(z.object({ name: z.string() })));

const commentSchema = z.lazy(() =>
  z.object({
    body: z.nullish(z.union([z.string(), z.record(z.string(), z.unknown())])),
    /** JSM: false for internal comments, which are not replies the customer saw. */
    jsdPublic: z.optional(z.boolean()),
  }),
);

const issueSchema = z.lazy(() =>
  z.object({
    key: z.string().check(z.minLength(1)),
    self: z.optional(z.string()),
    fields: z.looseObject({
      status: z.object({
        name: z.optional(z.string()),
        statusCategory: z.object({ key: z.string(), name: z.optional(z.string()) }),
      }),
      priority: named,
      issuetype: named,
      resolution: named,
      resolutiondate: z.nullish(z.string()),
      assignee: z.nullish(
        z.object({ accountId: z.string().check(z.minLength(1)), emailAddress: z.nullish(z.string()) }),
      ),
      attachment: z.nullish(
        z.array(
          z.object({
            filename: z.string().check(z.minLength(1)),
            content: z.url({ protocol: /^https?$/ }),
            mimeType: z.nullish(z.string()),
            size: z.nullish(z.number().check(z.int(), z.nonnegative())),
          }),
        ),
      ),
      comment: z.nullish(z.object({ comments: z.array(commentSchema) })),
    }),
  }),
);

// Wrapped rather than prefixed, so a missing issue reads "issue: …" and not "issue.(body): …".
const issueInBody = z.lazy(() => z.object({ issue: issueSchema }));

/** The case id in a text field (a string) or a select list (`{ value }`). */
function fieldText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (value && typeof value === 'object' && 'value' in value && typeof value.value === 'string') {
    return value.value;
  }
  return undefined;
}

function textOf(value: unknown): string | undefined {
  return value === null || value === undefined ? undefined : nonBlank(jiraText(value));
}

/** `https://acme.atlassian.net/rest/api/2/issue/10042` + `SD-7` → `https://acme.atlassian.net/browse/SD-7`. */
function browseUrl(self: string | undefined, key: string): string | undefined {
  if (!self) return undefined;
  try {
    return new URL(`/browse/${encodeURIComponent(key)}`, self).toString();
  } catch {
    return undefined;
  }
}

const sign = (secret: string, body: string | Buffer) => hmac('sha256', secret, [body], 'hex');

function create(settings: JiraSettings & { operation: string }): TicketProvider {
  const caseIdField = settings.caseIdField?.trim() || undefined;
  const solutionField = settings.solutionField?.trim() || undefined;

  return {
    family: 'tickets',
    slug: 'jira',
    trust: jiraTrust(settings.maxAgeSeconds),

    verify(request: RawRequest, { secrets, now }: ProviderContext) {
      const header = (request.headers['x-hub-signature'] ?? request.headers['x-hub-signature-256'])?.trim();
      if (!header) throw new SignatureError('no X-Hub-Signature header');
      const [algorithm, given = ''] = header.split('=', 2);
      if (algorithm?.toLowerCase() !== 'sha256') throw new SignatureError('X-Hub-Signature is not sha256');
      const keys = secretList(secrets.JIRA_WEBHOOK_SECRET, 'JIRA_WEBHOOK_SECRET');
      if (!anySignatureMatches([given], keys, (secret) => sign(secret, request.body), 'hex')) {
        throw new SignatureError('signature does not match');
      }
      // Jira sends no signed header time; the body's timestamp is covered by the HMAC and bounds
      // how long a captured delivery can be replayed.
      const parsed = parseJson(request.body);
      const time = stamped.safeParse(parsed);
      if (!time.success) throw new SignatureError('no timestamp in the body to bound replays');
      checkSignedTime(time.data.timestamp, now().getTime(), {
        maxAgeSeconds: settings.maxAgeSeconds,
        futureSeconds: JIRA_FUTURE_SECONDS,
        setting: 'JIRA_MAX_AGE_SECONDS',
      });
      return { read: () => read(parsed, time.data.timestamp) };
    },
  };

  function read(parsed: unknown, timestamp: number): Decision<TicketResolved> {
    const body = parseWith(envelope, parsed);
    if (body.webhookEvent !== 'jira:issue_updated') {
      return {
        action: 'ignore',
        reason: `webhookEvent ${quoted(body.webhookEvent, 60)} is not an issue update`,
      };
    }
    const statusChange = body.changelog?.items.find(
      (item) => item.field === 'status' || item.fieldId === 'status',
    );
    if (!statusChange) return { action: 'ignore', reason: 'the update changed no status' };
    const { issue } = parseWith(issueInBody, { issue: body.issue });
    const { fields } = issue;
    const category = fields.status.statusCategory.key;
    if (category !== 'done') {
      const to = Object.hasOwn(statusChange, 'toString') ? statusChange['toString'] : fields.status.name;
      const name = typeof to === 'string' ? to : (fields.status.name ?? '?');
      return {
        action: 'ignore',
        reason: `status changed to ${quoted(name, 40)} (category ${quoted(category, 20)}), not a done status`,
      };
    }

    const resolvedAt = parseInstant(fields.resolutiondate) ?? new Date(timestamp).toISOString();

    const comments = fields.comment?.comments ?? [];
    const lastPublic = comments.findLast((c) => c.jsdPublic !== false && textOf(c.body) !== undefined);
    const transitionComment =
      body.comment && typeof body.comment === 'object' && 'body' in body.comment
        ? textOf(body.comment.body)
        : undefined;
    const attachments: AttachmentRef[] = (fields.attachment ?? []).map((file) => ({
      filename: file.filename,
      url: file.content,
      ...(file.mimeType ? { contentType: file.mimeType } : {}),
      ...(typeof file.size === 'number' ? { size: file.size } : {}),
    }));

    const event: TicketResolved = {
      kind: 'ticket',
      provider: 'jira',
      // From signed values only (the X-Atlassian-Webhook-Identifier header is not signed).
      eventId: `${issue.key}:${timestamp}`,
      ticketId: issue.key,
      resolvedAt,
      ...(caseIdField
        ? caseTarget(fieldText(fields[caseIdField]), `issue.fields.${caseIdField}`)
        : {
            caseId: null,
            targetProblem:
              'JIRA_CASE_ID_FIELD is not set: no issue field is known to hold the wolkvox case id',
          }),
      priority: nonBlank(fields.priority?.name) ?? null,
      caseType: nonBlank(fields.issuetype?.name) ?? null,
      assignee: fields.assignee
        ? {
            id: fields.assignee.accountId,
            ...optional('email', nonBlank(fields.assignee.emailAddress ?? undefined)),
          }
        : null,
      // Every candidate is kept; the translation takes the first in DESIGN.md's order.
      solution: {
        ...optional('resolution', solutionField ? textOf(fields[solutionField]) : undefined),
        // A comment sent with this update is the one written on the transition screen.
        ...optional('closingNote', transitionComment),
        ...optional('lastPublicReply', lastPublic ? textOf(lastPublic.body) : undefined),
      },
      customFields: {
        ticket_id: issue.key,
        ...optional('ticket_url', browseUrl(issue.self, issue.key)),
        ...optional('resolution', nonBlank(fields.resolution?.name)),
      },
      attachments,
    };
    return { action: 'accept', event };
  }
}

/**
 * Jira's body carries its own `timestamp` (epoch ms), which the HMAC covers and the replay window
 * reads: a fresh delivery is stamped now. Only that number changes, in place, so the rest of the
 * sample's bytes are sent as they are.
 */
export function restampJira(body: string, now: Date): string {
  const parsed = JSON.parse(body) as { timestamp?: unknown };
  if (typeof parsed.timestamp !== 'number') return body;
  const stamp = new RegExp(`"timestamp"(\\s*):(\\s*)${parsed.timestamp}(?!\\d)`);
  return body.replace(
    stamp,
    (_match, before: string, after: string) => `"timestamp"${before}:${after}${now.getTime()}`,
  );
}

const HOST = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/;

const jira: ProviderCode<TicketResolved, JiraSettings> = {
  create,
  /** `X-Hub-Signature: sha256=<hex HMAC of the raw body>` over a body stamped now, and a delivery id. */
  sign(body, secrets, now) {
    const secret = firstSecret(secrets, 'JIRA_WEBHOOK_SECRET');
    if (!Number.isFinite(now.getTime())) throw new Error('Invalid signing time');
    const stamped = restampJira(body, now);
    return {
      body: stamped,
      headers: {
        'content-type': 'application/json; charset=UTF-8',
        'x-hub-signature': `sha256=${sign(secret, stamped)}`,
        // Unique per delivery (and reused by Jira's retries): a fresh signing is a fresh delivery.
        'x-atlassian-webhook-identifier': randomUUID(),
      },
    };
  },
  userAgent: 'Atlassian Webhook HTTP Client',
  attachments: {
    /** The site (any *.atlassian.net without JIRA_SITE): its attachment URLs redirect to the media API. */
    hosts(settings) {
      const site = settings.site;
      if (site && !HOST.test(site)) throw new TypeError('jiraSite must be a host like "acme.atlassian.net"');
      return [site || '*.atlassian.net', 'api.media.atlassian.com'];
    },
    authorization(secrets) {
      const email = secrets.JIRA_API_EMAIL?.trim();
      const token = secrets.JIRA_API_TOKEN?.trim();
      return email && token ? basicAuthorization(email, token) : undefined;
    },
  },
};

export default jira;
