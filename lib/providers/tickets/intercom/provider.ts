import * as z from 'zod/mini';
import '#lib/zod-mini.ts';
import type { AgentRef, AttachmentRef, TicketResolved } from '#lib/events.ts';
import { quoted } from '#lib/excerpt.ts';
import { MalformedError, SignatureError } from '#lib/http/errors.ts';
import { firstSecret, parseJson, parseWith, secretList } from '../../common.ts';
import { anySignatureMatches, hmac } from '../../schemes/hmac.ts';
import type { Decision, ProviderCode, RawRequest, TicketProvider, Trust } from '../../types.ts';
import { caseTarget, filenameFromUrl, nonBlank, optional } from '../common.ts';
import { commentText } from '../text.ts';
import type { IntercomSettings } from './settings.ts';

/**
 * Intercom webhooks of a Developer Hub app (helpdesks.md §5): topics `conversation.admin.closed`
 * and `ticket.state.updated`. Every notification carries `X-Hub-Signature: sha1=<hex
 * HMAC-SHA1(client secret, raw body)>` and no signed time, so nothing bounds a replay but the
 * ledger: the case update's identity `intercom:<item id>:<resolved at>` comes from the signed body,
 * so a replayed delivery is the same update, applied once.
 */

export const INTERCOM_TRUST: Trust = {
  covers: 'bytes',
  scheme: 'HMAC-SHA1 (hex) of the raw body with INTERCOM_CLIENT_SECRET (X-Hub-Signature: sha1=…)',
  signed: ['header:x-hub-signature'],
  confirmed: [],
  unverified: [],
  replayWindowSeconds: null,
  replayWindow: 'none (Intercom signs no time): the ledger applies each signed item and resolved time once',
};

const CONVERSATION_CLOSED = 'conversation.admin.closed';
const TICKET_STATE_UPDATED = 'ticket.state.updated';

const epochSeconds = z.number().check(z.int(), z.positive());

const envelope = z.lazy(() =>
  z.object({
    type: z.optional(z.string()),
    id: z.optional(z.string()),
    topic: z.string().check(z.minLength(1)),
    created_at: z.optional(epochSeconds),
    data: z.optional(z.unknown()),
  }),
);

const author = z.lazy(() =>
  z.nullish(
    z.object({
      type: z.optional(z.string()),
      id: z.nullish(z.union([z.string(), z.number()])),
      email: z.nullish(z.string()),
    }),
  ),
);

/** A file of a part (Intercom's PartAttachment): a pre-signed link on Intercom's CDN. */
const partAttachment = z.lazy(() =>
  z.object({
    type: z.nullish(z.string()),
    name: z.nullish(z.string().check(z.maxLength(255))),
    url: z.url({ protocol: /^https$/ }),
    content_type: z.nullish(z.string().check(z.maxLength(200))),
    filesize: z.nullish(z.number().check(z.int(), z.nonnegative())),
  }),
);

const part = z.lazy(() =>
  z.object({
    part_type: z.optional(z.string()),
    body: z.nullish(z.string()),
    created_at: z.nullish(epochSeconds),
    author,
    attachments: z.nullish(z.array(partAttachment).check(z.maxLength(50))),
  }),
);

/** Intercom's ticket state: a string up to API 2.10, an object with a `category` from 2.11. */
const ticketState = z.lazy(() =>
  z.nullish(
    z.union([
      z.string(),
      z.object({ category: z.optional(z.string()), internal_label: z.nullish(z.string()) }),
    ]),
  ),
);

const item = z.lazy(() =>
  z.object({
    type: z.string(),
    id: z.union([z.string().check(z.minLength(1)), z.number()]),
    ticket_id: z.nullish(z.union([z.string(), z.number()])),
    state: z.nullish(z.string()),
    ticket_state: ticketState,
    updated_at: z.nullish(epochSeconds),
    priority: z.nullish(z.string()),
    admin_assignee_id: z.nullish(z.union([z.string(), z.number()])),
    ticket_type: z.nullish(z.object({ name: z.nullish(z.string()) })),
    custom_attributes: z.nullish(z.record(z.string(), z.unknown())),
    ticket_attributes: z.nullish(z.record(z.string(), z.unknown())),
    conversation_parts: z.nullish(z.object({ conversation_parts: z.array(part) })),
    ticket_parts: z.nullish(z.object({ ticket_parts: z.array(part) })),
  }),
);

// Wrapped, so a problem reads "data.item.…".
const itemInBody = z.lazy(() => z.object({ data: z.object({ item }) }));

type Part = z.infer<typeof part>;

/** A custom attribute's value as text: Intercom's string, number or list attributes. */
function attributeText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

const isAdmin = (p: Part) => p.author?.type === 'admin';
const textOf = (body: string | null | undefined) => (body ? nonBlank(commentText(body)) : undefined);
const instant = (seconds: number) => new Date(seconds * 1000).toISOString();
const idText = (id: string | number | null | undefined) =>
  id === null || id === undefined ? undefined : nonBlank(String(id));

/** The files of the reply used as the solution: what the customer was sent with it. */
function partFiles(p: Part | undefined): AttachmentRef[] {
  return (p?.attachments ?? []).flatMap((file) => {
    const filename = nonBlank(file.name ?? undefined) ?? filenameFromUrl(file.url);
    if (!filename) return [];
    const contentType = nonBlank(file.content_type ?? undefined);
    return [
      {
        filename,
        url: file.url,
        ...(contentType ? { contentType } : {}),
        ...(file.filesize === null || file.filesize === undefined ? {} : { size: file.filesize }),
      },
    ];
  });
}

function agent(p: Part | undefined, assigneeId: string | undefined): AgentRef | null {
  const id = idText(p?.author?.id) ?? assigneeId;
  const email = nonBlank(p?.author?.email ?? undefined);
  if (!id && !email) return null;
  return { id: id ?? email ?? '', ...optional('email', email) };
}

const sign = (secret: string, body: string | Buffer) => hmac('sha1', secret, [body], 'hex');

function create(settings: IntercomSettings & { operation: string }): TicketProvider {
  const attribute = settings.caseIdAttribute.trim();

  return {
    family: 'tickets',
    slug: 'intercom',
    trust: INTERCOM_TRUST,

    verify(request: RawRequest, { secrets }) {
      const header = request.headers['x-hub-signature']?.trim();
      if (!header) throw new SignatureError('no X-Hub-Signature header');
      const [algorithm, given = ''] = header.split('=', 2);
      if (algorithm?.toLowerCase() !== 'sha1') throw new SignatureError('X-Hub-Signature is not sha1');
      const keys = secretList(secrets.INTERCOM_CLIENT_SECRET, 'INTERCOM_CLIENT_SECRET');
      if (!anySignatureMatches([given], keys, (secret) => sign(secret, request.body), 'hex')) {
        throw new SignatureError('signature does not match');
      }
      return { read: () => read(parseJson(request.body)) };
    },
  };

  function read(parsed: unknown): Decision<TicketResolved> {
    const body = parseWith(envelope, parsed);
    if (body.topic !== CONVERSATION_CLOSED && body.topic !== TICKET_STATE_UPDATED) {
      return {
        action: 'ignore',
        reason: `topic ${quoted(body.topic, 60)} is not ${CONVERSATION_CLOSED} or ${TICKET_STATE_UPDATED}`,
      };
    }
    const { data } = parseWith(itemInBody, { data: body.data });
    const it = data.item;
    const ticket = body.topic === TICKET_STATE_UPDATED;
    const state = typeof it.ticket_state === 'string' ? it.ticket_state : it.ticket_state?.category;
    if (ticket && state?.trim().toLowerCase() !== 'resolved') {
      return {
        action: 'ignore',
        reason: `ticket state ${quoted(state ?? '(none)', 40)} is not resolved`,
      };
    }
    if (!ticket && it.state !== 'closed') {
      return {
        action: 'ignore',
        reason: `conversation state ${quoted(it.state ?? '(none)', 20)} is not closed`,
      };
    }

    const parts = (ticket ? it.ticket_parts?.ticket_parts : it.conversation_parts?.conversation_parts) ?? [];
    // The part that resolved it: the admin's close, or the admin's change of the ticket's state.
    const resolving = parts.findLast((p) =>
      ticket ? p.part_type === 'ticket_state_updated_by_admin' : p.part_type === 'close',
    );
    // Replies the customer saw; notes are internal.
    const lastReply = parts.findLast(
      (p) => isAdmin(p) && (p.part_type === 'comment' || p.part_type === 'close') && textOf(p.body),
    );
    const seconds = resolving?.created_at ?? it.updated_at ?? body.created_at;
    if (seconds === undefined || seconds === null) {
      throw new MalformedError(['created_at: no time in the body says when it was resolved']);
    }
    const resolvedAt = instant(seconds);
    const itemId = String(it.id);
    const attributes = ticket
      ? { ...it.custom_attributes, ...it.ticket_attributes }
      : (it.custom_attributes ?? {});
    const where = `data.item.${ticket ? 'ticket_attributes' : 'custom_attributes'}.${attribute}`;

    const event: TicketResolved = {
      kind: 'ticket',
      provider: 'intercom',
      // The notification id is in the signed body; the item and time are the fallback.
      eventId: nonBlank(body.id) ?? `${itemId}:${resolvedAt}`,
      ticketId: itemId,
      resolvedAt,
      ...caseTarget(
        Object.hasOwn(attributes, attribute) ? attributeText(attributes[attribute]) : undefined,
        where,
      ),
      priority: nonBlank(it.priority ?? undefined) ?? null,
      caseType: nonBlank(it.ticket_type?.name ?? undefined) ?? null,
      assignee: agent(resolving && isAdmin(resolving) ? resolving : undefined, idText(it.admin_assignee_id)),
      solution: {
        ...optional('lastPublicReply', lastReply ? textOf(lastReply.body) : undefined),
      },
      customFields: {
        ticket_id: idText(it.ticket_id) ?? itemId,
        ...(ticket ? {} : { conversation_id: itemId }),
      },
      // Only the files of the reply that is the solution (signed body); other parts' files were
      // not part of the answer, and notes are internal.
      attachments: lastReply ? partFiles(lastReply) : [],
    };
    return { action: 'accept', event };
  }
}

const intercom: ProviderCode<TicketResolved, IntercomSettings> = {
  create,
  /** `X-Hub-Signature: sha1=<hex HMAC-SHA1 of the raw body>`: Intercom signs no time. */
  sign(body, secrets) {
    const secret = firstSecret(secrets, 'INTERCOM_CLIENT_SECRET');
    return {
      body,
      headers: {
        'content-type': 'application/json',
        'x-hub-signature': `sha1=${sign(secret, body)}`,
      },
    };
  },
  userAgent: 'intercom-parrot-service-client/1.0',
  attachments: {
    /**
     * Intercom's file hosts: downloads.intercomcdn.com and the per-workspace
     * `<workspace>.intercom-attachments-<n>.com` hosts its pre-signed links use
     * (docs/providers/intercom.md, Attachments).
     */
    hosts: () => [
      'downloads.intercomcdn.com',
      ...Array.from({ length: 9 }, (_, i) => `*.intercom-attachments-${i + 1}.com`),
    ],
    // The links carry their own expiring signature (`expires`, `signature`): no credential is sent.
    authorization: () => undefined,
  },
};

export default intercom;
