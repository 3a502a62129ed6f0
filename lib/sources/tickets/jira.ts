import { createHmac } from 'node:crypto';
import * as z from 'zod/mini';
import '#lib/zod-mini.ts';
import type { AttachmentRef, TicketResolved } from '#lib/events.ts';
import { SignatureError } from '#lib/http/errors.ts';
import { quoted } from '#lib/excerpt.ts';
import type { Decision, RawRequest, SourceContext, TicketSource, Trust } from '../types.ts';
import { parseJson, parseWith, safeEqual, secretList } from '../common.ts';
import { caseTarget, nonBlank, optional, parseInstant, type TicketSettingsBase } from './shared.ts';
import { jiraText } from './text.ts';

/**
 * Jira Cloud / Jira Service Management admin webhooks (helpdesks.md §3), event "Issue updated".
 * A webhook registered with a secret carries `X-Hub-Signature: sha256=<hex HMAC-SHA256(secret,
 * raw body)>`; there is no timestamp to check. The payload is Jira's own (API v2 shapes: text as
 * wiki markup), so the wolkvox case id lives in a custom field named by the caseIdField setting.
 */
export interface JiraSettings extends TicketSettingsBase {
  /**
   * The issue field holding the wolkvox case id, e.g. `customfield_10050` (JIRA_CASE_ID_FIELD).
   * Unset, Jira deliveries are still verified and read, and parked with that reason.
   */
  caseIdField?: string | undefined;
  /** An issue field with the resolution text, e.g. `customfield_10060`; else comments are used. */
  solutionField?: string | undefined;
  /** JIRA_MAX_AGE_SECONDS: how old the body's signed `timestamp` may be. */
  maxAgeSeconds: number;
}

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

export function jiraSource(settings: JiraSettings): TicketSource {
  const caseIdField = settings.caseIdField?.trim() || undefined;
  const solutionField = settings.solutionField?.trim() || undefined;

  return {
    slug: 'jira',
    trust: jiraTrust(settings.maxAgeSeconds),

    async verify(request: RawRequest, { secrets, now }: SourceContext) {
      const header = (request.headers['x-hub-signature'] ?? request.headers['x-hub-signature-256'])?.trim();
      if (!header) throw new SignatureError('no X-Hub-Signature header');
      const [algorithm, given = ''] = header.split('=', 2);
      if (algorithm?.toLowerCase() !== 'sha256') throw new SignatureError('X-Hub-Signature is not sha256');
      const signature = given.toLowerCase();
      const ok = secretList(secrets.JIRA_WEBHOOK_SECRET, 'JIRA_WEBHOOK_SECRET').some((secret) =>
        safeEqual(signature, createHmac('sha256', secret).update(request.body).digest('hex')),
      );
      if (!ok) throw new SignatureError('signature does not match');
      // Jira sends no signed header time; the body's timestamp is covered by the HMAC and bounds
      // how long a captured delivery can be replayed.
      const parsed = parseJson(request.body);
      const time = stamped.safeParse(parsed);
      if (!time.success) throw new SignatureError('no timestamp in the body to bound replays');
      const age = now().getTime() - time.data.timestamp;
      if (age > settings.maxAgeSeconds * 1000)
        throw new SignatureError('timestamp older than JIRA_MAX_AGE_SECONDS');
      if (age < -JIRA_FUTURE_SECONDS * 1000) throw new SignatureError('timestamp in the future');
      return { read: async () => read(parsed, time.data.timestamp) };
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
