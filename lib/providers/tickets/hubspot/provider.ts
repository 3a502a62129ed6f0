import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import '#lib/zod-mini.ts';
import type { AgentRef, AttachmentRef, TicketResolved } from '#lib/events.ts';
import { quoted } from '#lib/excerpt.ts';
import { SignatureError } from '#lib/http/errors.ts';
import { getJson, ProviderApiError } from '../../api.ts';
import { firstSecret, parseJson, parseWith, safeEqual, secretList } from '../../common.ts';
import { anySignatureMatches, checkSignedTime, hmac } from '../../schemes/hmac.ts';
import type {
  Decision,
  ProviderCode,
  ProviderContext,
  RawRequest,
  Reading,
  TicketProvider,
  Trust,
} from '../../types.ts';
import { caseTarget, filenameFromUrl, nonBlank, optional, parseInstant } from '../common.ts';
import { commentText } from '../text.ts';
import { type HubSpotSettings, LOCAL_WEBHOOK_URL } from './settings.ts';

/**
 * HubSpot Service Hub tickets (helpdesks.md §4, §12), both ways a portal sends:
 * - the Webhooks API: a JSON array of up to 100 thin events; `ticket.propertyChange` of
 *   `hs_pipeline_stage` into a closed stage closes the case, every other event is ignored, each on
 *   its own;
 * - a ticket workflow's *Send a webhook* action, with the body docs/providers/hubspot.md publishes
 *   (the ticket's id; nothing else in it is read).
 * Both are signed with the app's client secret: v3 (`X-HubSpot-Signature-v3`, base64 HMAC-SHA256
 * over method + URL + body + `X-HubSpot-Request-Timestamp`, 5 minutes); workflow deliveries may
 * carry only v2 (hex SHA-256 of secret + method + URL + body, no time), accepted for a workflow body
 * while HUBSPOT_ACCEPT_V2 is on. Everything about the ticket — its stage now, the case id, owner,
 * note — is read from HubSpot's API with HUBSPOT_ACCESS_TOKEN: the event only says which ticket.
 */

const V3_WINDOW_SECONDS = 300;

export const HUBSPOT_TRUST: Trust = {
  covers: 'bytes',
  scheme:
    'HMAC-SHA256 (base64) of method + URL + raw body + X-HubSpot-Request-Timestamp with HUBSPOT_CLIENT_SECRET (X-HubSpot-Signature-v3); workflow webhooks: v2 SHA-256 (HUBSPOT_ACCEPT_V2)',
  signed: ['header:x-hubspot-signature-v3', 'header:x-hubspot-request-timestamp'],
  // From HubSpot's API (the event names only the ticket): the stage is re-read before a case closes.
  // The last note's files: signed URLs the Files API answers, never URLs from the webhook.
  confirmed: [
    'ticket: stage, closed_date, case id, priority, category, owner',
    'owner e-mail',
    'last note, its files',
  ],
  unverified: [],
  replayWindowSeconds: V3_WINDOW_SECONDS,
  replayWindow:
    'X-HubSpot-Request-Timestamp ±5 min (v3); v2-only workflow deliveries sign no time: stage re-read from the API, ledger applies each close once',
};

const PROPERTIES = [
  'hs_pipeline_stage',
  'hs_pipeline',
  'closed_date',
  'hs_ticket_priority',
  'hs_ticket_category',
  'hubspot_owner_id',
  'hs_resolution',
  'subject',
  'content',
];

/** How many of a ticket's notes are read to find its last one (newest ids first). */
const NOTES_READ = 5;

/** At most this many files of the solution note are asked for (one API call each). */
const FILES_READ = 10;

/**
 * HubSpot's Files API names a file's `type` by category (IMG, DOCUMENT, …), not by media type: the
 * extension says what the case is given; anything else goes without one.
 */
const MEDIA_TYPES: Record<string, string> = {
  pdf: 'application/pdf',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  txt: 'text/plain',
  csv: 'text/csv',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

const id = z.union([z.string().check(z.regex(/^\d{1,20}$/)), z.number().check(z.int(), z.nonnegative())]);

/** One Webhooks API event (helpdesks.md §4.1): only what decides is required. */
const webhookEvent = z.lazy(() =>
  z.object({
    eventId: z.optional(id),
    subscriptionType: z.string(),
    objectTypeId: z.optional(z.string()),
    objectId: id,
    occurredAt: z.number().check(z.int(), z.positive()),
    propertyName: z.optional(z.string()),
    propertyValue: z.optional(z.nullable(z.string())),
  }),
);
const webhookBatch = z.lazy(() => z.array(webhookEvent).check(z.minLength(1), z.maxLength(100)));

/** The workflow body docs/providers/hubspot.md publishes: the ticket's id (hs_object_id). */
const workflowBody = z.lazy(() => z.object({ hs_object_id: id }));

const ticketAnswer = z.lazy(() =>
  z.object({
    id: id,
    properties: z.record(z.string(), z.nullish(z.string())),
    associations: z.optional(
      z.object({ notes: z.optional(z.object({ results: z.array(z.object({ id: id })) })) }),
    ),
  }),
);
const noteAnswer = z.lazy(() =>
  z.object({ id: id, properties: z.record(z.string(), z.nullish(z.string())) }),
);
/** GET /files/v3/files/{fileId}/signed-url: a temporary public link to a private file. */
const signedUrlAnswer = z.lazy(() =>
  z.object({
    url: z.url({ protocol: /^https$/ }),
    name: z.nullish(z.string().check(z.maxLength(255))),
    extension: z.nullish(z.string().check(z.maxLength(20))),
    size: z.nullish(z.number().check(z.int(), z.nonnegative())),
  }),
);
const ownerAnswer = z.lazy(() => z.object({ id: z.optional(id), email: z.nullish(z.string()) }));

/** HubSpot's rule (v3): these escapes are decoded before hashing, every other one is kept. */
const DECODED = /%(?:3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi;
export const decodeSignedUri = (uri: string): string =>
  uri.replace(DECODED, (escape) => String.fromCharCode(Number.parseInt(escape.slice(1), 16)));

/** The URL HubSpot called: pinned by HUBSPOT_WEBHOOK_URL, else as API Gateway received it. */
export function calledUrl(request: RawRequest, pinned: string | undefined): string {
  if (pinned) return pinned;
  const host = request.headers.host?.trim();
  if (!host) throw new SignatureError('no Host header: the signed URL is unknown (set HUBSPOT_WEBHOOK_URL)');
  const path = request.line?.path ?? '/webhooks/tickets/hubspot';
  const query = request.line?.rawQuery ?? new URLSearchParams(request.query).toString();
  return `https://${host}${path}${query ? `?${query}` : ''}`;
}

export const signV3 = (
  secret: string,
  method: string,
  uri: string,
  body: string | Buffer,
  timestamp: string,
) => hmac('sha256', secret, [`${method}${decodeSignedUri(uri)}`, body, timestamp], 'base64');

export const signV2 = (secret: string, method: string, uri: string, body: string | Buffer) =>
  createHash('sha256').update(`${secret}${method}${uri}`).update(body).digest('hex');

const instant = (ms: number) => new Date(ms).toISOString();
const idText = (value: string | number) => String(value);

interface Ticket {
  id: string;
  properties: Record<string, string | null | undefined>;
  noteIds: string[];
}

function create(settings: HubSpotSettings & { operation: string }): TicketProvider {
  const property = settings.caseIdProperty.trim();
  const closed = new Set(settings.closedStages.map((s) => s.trim()));
  const base = settings.apiUrl;

  return {
    family: 'tickets',
    slug: 'hubspot',
    trust: HUBSPOT_TRUST,

    verify(request: RawRequest, { secrets, now }) {
      const keys = secretList(secrets.HUBSPOT_CLIENT_SECRET, 'HUBSPOT_CLIENT_SECRET');
      const method = (request.line?.method ?? 'POST').toUpperCase();
      const url = calledUrl(request, settings.webhookUrl);
      const v3 = request.headers['x-hubspot-signature-v3']?.trim();
      if (v3) {
        const timestamp = request.headers['x-hubspot-request-timestamp']?.trim() ?? '';
        if (!/^\d{1,15}$/.test(timestamp)) throw new SignatureError('no X-HubSpot-Request-Timestamp');
        checkSignedTime(Number(timestamp), now().getTime(), {
          maxAgeSeconds: V3_WINDOW_SECONDS,
          futureSeconds: V3_WINDOW_SECONDS,
          setting: '5 minutes',
        });
        const ok = anySignatureMatches(
          [v3],
          keys,
          (secret) => signV3(secret, method, url, request.body, timestamp),
          'base64',
        );
        if (!ok) throw new SignatureError('signature does not match');
        return { read: (context) => read(parseJson(request.body), context) };
      }
      const version = request.headers['x-hubspot-signature-version']?.trim().toLowerCase();
      const v2 = request.headers['x-hubspot-signature']?.trim();
      if (!v2 || version !== 'v2') throw new SignatureError('no X-HubSpot-Signature-v3 header');
      if (!settings.acceptV2) throw new SignatureError('v2 signatures are not accepted (HUBSPOT_ACCEPT_V2)');
      // v2 is for workflow deliveries (an object); the Webhooks API's batches carry v3.
      if (request.body.toString('utf8').trimStart().startsWith('[')) {
        throw new SignatureError('a Webhooks API batch must carry the v3 signature');
      }
      let ok = false;
      for (const secret of keys)
        ok = safeEqual(v2.toLowerCase(), signV2(secret, method, url, request.body)) || ok;
      if (!ok) throw new SignatureError('signature does not match');
      return { read: (context) => read(parseJson(request.body), context) };
    },
  };

  async function read(parsed: unknown, context: ProviderContext): Promise<Reading<TicketResolved>> {
    if (Array.isArray(parsed)) {
      const events = parseWith(webhookBatch, parsed);
      const items: Decision<TicketResolved>[] = [];
      for (const event of events) items.push(await fromWebhookEvent(event, context));
      // One event, one decision (as Adyen's single item): ingress answers it as any other.
      return items.length === 1 && items[0] ? items[0] : { action: 'each', items };
    }
    const body = parseWith(workflowBody, parsed);
    const ticketId = idText(body.hs_object_id);
    const ticket = await fetchTicket(ticketId, context);
    if (!ticket) return notFound(ticketId, `workflow:${ticketId}`);
    const stage = ticket.properties.hs_pipeline_stage ?? '';
    if (!closed.has(stage)) {
      return {
        action: 'ignore',
        reason: `ticket stage ${quoted(stage || '(none)', 30)} is not a closed stage`,
      };
    }
    const closedAt = parseInstant(ticket.properties.closed_date ?? undefined);
    if (!closedAt) {
      return notFound(ticketId, `workflow:${ticketId}`, 'the ticket has no closed_date in HubSpot');
    }
    return resolved(ticket, closedAt, `${ticketId}:${closedAt}`, context);
  }

  async function fromWebhookEvent(
    event: z.infer<typeof webhookEvent>,
    context: ProviderContext,
  ): Promise<Decision<TicketResolved>> {
    const isTicket =
      event.subscriptionType === 'ticket.propertyChange' ||
      (event.subscriptionType === 'object.propertyChange' && event.objectTypeId === '0-5');
    if (!isTicket) {
      return {
        action: 'ignore',
        reason: `event ${quoted(event.subscriptionType, 60)} is not a ticket's change`,
      };
    }
    if (event.propertyName !== 'hs_pipeline_stage') {
      return {
        action: 'ignore',
        reason: `property ${quoted(event.propertyName ?? '(none)', 60)} is not hs_pipeline_stage`,
      };
    }
    const stage = event.propertyValue ?? '';
    if (!closed.has(stage)) {
      return { action: 'ignore', reason: `stage ${quoted(stage || '(none)', 30)} is not a closed stage` };
    }
    const ticketId = idText(event.objectId);
    const occurredAt = instant(event.occurredAt);
    const eventId = `${ticketId}:${occurredAt}`;
    const ticket = await fetchTicket(ticketId, context);
    if (!ticket) return notFound(ticketId, eventId);
    // Re-checked: a ticket reopened since the event must not close the case.
    const now = ticket.properties.hs_pipeline_stage ?? '';
    if (!closed.has(now)) {
      return {
        action: 'ignore',
        reason: `the ticket's stage is now ${quoted(now || '(none)', 30)}, not closed`,
      };
    }
    return resolved(
      ticket,
      parseInstant(ticket.properties.closed_date ?? undefined) ?? occurredAt,
      eventId,
      context,
    );
  }

  function notFound(
    ticketId: string,
    eventId: string,
    reason = 'HubSpot does not know the ticket (404): deleted, or another portal',
  ): Decision<TicketResolved> {
    return { action: 'park', reason, eventId, summary: { ticketId } };
  }

  async function resolved(
    ticket: Ticket,
    resolvedAt: string,
    eventId: string,
    context: ProviderContext,
  ): Promise<Decision<TicketResolved>> {
    const p = ticket.properties;
    const ownerId = nonBlank(p.hubspot_owner_id ?? undefined);
    const assignee: AgentRef | null = ownerId
      ? { id: ownerId, ...optional('email', await ownerEmail(ownerId, context)) }
      : null;
    const note = await lastNote(ticket.noteIds, context);
    const attachments = await noteFiles(note?.fileIds ?? [], context);
    const event: TicketResolved = {
      kind: 'ticket',
      provider: 'hubspot',
      eventId,
      ticketId: ticket.id,
      resolvedAt,
      ...caseTarget(p[property] ?? undefined, `properties.${property}`),
      priority: nonBlank(p.hs_ticket_priority ?? undefined) ?? null,
      caseType: nonBlank(p.hs_ticket_category ?? undefined) ?? null,
      assignee,
      solution: { ...optional('closingNote', note?.text) },
      customFields: {
        ticket_id: ticket.id,
        ...optional('hs_resolution', nonBlank(p.hs_resolution ?? undefined)),
        ...optional('hs_pipeline', nonBlank(p.hs_pipeline ?? undefined)),
      },
      attachments,
    };
    return { action: 'accept', event };
  }

  /** The API's credential: missing is an operator's fix (503, HubSpot retries), not a bad request. */
  function auth(context: ProviderContext): Record<string, string> {
    const [token = ''] = (context.secrets.HUBSPOT_ACCESS_TOKEN ?? '').split(',').map((t) => t.trim());
    if (!token) throw new ProviderApiError('auth', 'hubspot API: HUBSPOT_ACCESS_TOKEN is not set');
    return { authorization: `Bearer ${token}` };
  }

  async function fetchTicket(ticketId: string, context: ProviderContext): Promise<Ticket | undefined> {
    const query = new URLSearchParams({
      properties: [...PROPERTIES, property].join(','),
      associations: 'notes',
    });
    const answer = await getJson(`${base}/crm/v3/objects/tickets/${ticketId}?${query}`, {
      provider: 'hubspot',
      headers: auth(context),
      signal: context.signal,
    });
    if (answer.status === 404) return undefined;
    const ticket = parseWith(ticketAnswer, answer.body, 'HubSpot ticket');
    return {
      id: idText(ticket.id),
      properties: ticket.properties,
      noteIds: (ticket.associations?.notes?.results ?? []).map((r) => idText(r.id)),
    };
  }

  async function ownerEmail(ownerId: string, context: ProviderContext): Promise<string | undefined> {
    if (!/^\d{1,20}$/.test(ownerId)) return undefined;
    const answer = await getJson(`${base}/crm/v3/owners/${ownerId}`, {
      provider: 'hubspot',
      headers: auth(context),
      signal: context.signal,
    });
    if (answer.status === 404) return undefined;
    return nonBlank(parseWith(ownerAnswer, answer.body, 'HubSpot owner').email ?? undefined);
  }

  /**
   * The ticket's newest note (hs_timestamp) with text: its HTML made text, and the File Manager ids
   * of its attachments (`hs_attachment_ids`, semicolon-separated).
   */
  async function lastNote(
    noteIds: readonly string[],
    context: ProviderContext,
  ): Promise<{ text: string; fileIds: string[] } | undefined> {
    // HubSpot's ids grow with time: the highest few are the candidates for the newest.
    const candidates = [...new Set(noteIds)]
      .sort((a, b) => (BigInt(b) > BigInt(a) ? 1 : BigInt(b) < BigInt(a) ? -1 : 0))
      .slice(0, NOTES_READ);
    let best: { at: number; text: string; fileIds: string[] } | undefined;
    for (const noteId of candidates) {
      const answer = await getJson(
        `${base}/crm/v3/objects/notes/${noteId}?properties=hs_note_body,hs_timestamp,hs_attachment_ids`,
        { provider: 'hubspot', headers: auth(context), signal: context.signal },
      );
      if (answer.status === 404) continue;
      const note = parseWith(noteAnswer, answer.body, 'HubSpot note');
      const text = nonBlank(commentText(note.properties.hs_note_body ?? ''));
      const at = Date.parse(note.properties.hs_timestamp ?? '') || 0;
      const fileIds = (note.properties.hs_attachment_ids ?? '')
        .split(';')
        .map((fileId) => fileId.trim())
        .filter((fileId) => /^\d{1,20}$/.test(fileId));
      if (text && (!best || at > best.at)) best = { at, text, fileIds };
    }
    return best && { text: best.text, fileIds: best.fileIds };
  }

  /**
   * The solution note's files as temporary public links from HubSpot's Files API (GET
   * /files/v3/files/{fileId}/signed-url with HUBSPOT_ACCESS_TOKEN): the URL is HubSpot's answer to
   * our authenticated call, never a value from the webhook. A file HubSpot no longer has (404) is
   * skipped; the case is still closed.
   */
  async function noteFiles(fileIds: readonly string[], context: ProviderContext): Promise<AttachmentRef[]> {
    const files: AttachmentRef[] = [];
    for (const fileId of [...new Set(fileIds)].slice(0, FILES_READ)) {
      let answer;
      try {
        answer = await getJson(`${base}/files/v3/files/${fileId}/signed-url`, {
          provider: 'hubspot',
          headers: auth(context),
          signal: context.signal,
        });
      } catch (error) {
        // A token without the `files` scope (401/403): the case closes without its files rather
        // than never. A transient failure still answers 503, and HubSpot delivers again.
        if (error instanceof ProviderApiError && error.kind === 'auth') break;
        throw error;
      }
      if (answer.status === 404) continue;
      const file = parseWith(signedUrlAnswer, answer.body, 'HubSpot signed URL');
      const extension = nonBlank(file.extension ?? undefined)?.toLowerCase();
      const name = nonBlank(file.name ?? undefined);
      const filename =
        name && extension && !name.toLowerCase().endsWith(`.${extension}`)
          ? `${name}.${extension}`
          : (name ?? filenameFromUrl(file.url));
      if (!filename) continue;
      const contentType = extension ? MEDIA_TYPES[extension] : undefined;
      files.push({
        filename,
        url: file.url,
        ...(contentType ? { contentType } : {}),
        ...(file.size === null || file.size === undefined ? {} : { size: file.size }),
      });
    }
    return files;
  }
}

/** The v3 headers HubSpot sends, for `body` at `now` to `url` (local tools and tests). */
export function signedHeaders(
  body: string,
  secret: string,
  now: Date,
  url = LOCAL_WEBHOOK_URL,
  method = 'POST',
): Record<string, string> {
  const timestamp = String(now.getTime());
  return {
    'content-type': 'application/json',
    'x-hubspot-request-timestamp': timestamp,
    'x-hubspot-signature-v3': signV3(secret, method, url, body, timestamp),
  };
}

const hubspot: ProviderCode<TicketResolved, HubSpotSettings> = {
  create,
  /** v3 for LOCAL_WEBHOOK_URL, the URL local runs pin (HUBSPOT_WEBHOOK_URL). */
  sign(body, secrets, now) {
    return { body, headers: signedHeaders(body, firstSecret(secrets, 'HUBSPOT_CLIENT_SECRET'), now) };
  },
  userAgent: 'HubSpot Connect 2.0 (http://dev.hubspot.com/)',
  attachments: {
    /**
     * Where HubSpot's File Manager serves files (`<hub id>.fs1.hubspotusercontent-<region>.net`),
     * by data-centre region; the signed links come from these (docs/providers/hubspot.md).
     */
    hosts: () => [
      '*.hubspotusercontent-na1.net',
      '*.hubspotusercontent-na2.net',
      '*.hubspotusercontent-eu1.net',
      '*.hubspotusercontent-ap1.net',
    ],
    // A signed link is public until it expires: the access token is never sent with a download.
    authorization: () => undefined,
  },
};

export default hubspot;
