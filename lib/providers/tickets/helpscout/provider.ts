import * as z from 'zod/mini';
import '#lib/zod-mini.ts';
import type { TicketResolved } from '#lib/events.ts';
import { quoted } from '#lib/excerpt.ts';
import { MalformedError, SignatureError } from '#lib/http/errors.ts';
import { firstSecret, isObject, parseJson, parseWith, secretList } from '../../common.ts';
import { anySignatureMatches, hmac } from '../../schemes/hmac.ts';
import type {
  Decision,
  ProviderCode,
  ProviderContext,
  RawRequest,
  TicketProvider,
  Trust,
} from '../../types.ts';
import { caseTarget, nonBlank, optional, parseInstant } from '../common.ts';
import { commentText } from '../text.ts';
import type { HelpScoutSettings } from './settings.ts';

/**
 * Help Scout Mailbox webhooks (helpdesks.md §6 and §12), event `convo.status` ("Conversation
 * status updated"). Each delivery carries `X-HelpScout-Signature: base64(HMAC-SHA1(secret key,
 * raw body))` and the event name in `X-HelpScout-Event`, which the signature does not cover. The
 * body is the conversation itself, so everything read from it is signed; the wolkvox case id lives
 * in the conversation custom field HELPSCOUT_CASE_ID_FIELD names.
 *
 * The unsigned event header only chooses whether to look further: a resolution also needs the
 * signed body's `status` to be `closed`. Relabelling another signed delivery of a closed
 * conversation as `convo.status` therefore yields the same closed conversation, at the same signed
 * time, which the ledger already knows (or which is a true resolution anyway).
 */

/** The event this adapter acts on, and the one Help Scout sends when "Send test" is pressed. */
export const HELPSCOUT_STATUS_EVENT = 'convo.status';
export const HELPSCOUT_TEST_EVENT = 'helpscout.test';

export const HELPSCOUT_TRUST: Trust = {
  covers: 'bytes',
  scheme:
    'HMAC-SHA1 (base64) of the raw body with HELPSCOUT_WEBHOOK_SECRET (X-HelpScout-Signature); the event name header is not signed',
  signed: ['header:x-helpscout-signature'],
  confirmed: [],
  unverified: [],
  replayWindowSeconds: null,
  replayWindow:
    'none: Help Scout signs no time; a replay repeats the identity helpscout:<conversation id>:<closedAt> from signed values, which the ledger skips (LEDGER_RETENTION_DAYS)',
};

const id = z.union([z.number().check(z.int(), z.nonnegative()), z.string().check(z.minLength(1))]);

/** A user: `assignee` (payload V2: first/last) or `owner` (V1: firstName/lastName). */
const person = z.lazy(() => z.nullish(z.object({ id: z.optional(id), email: z.nullish(z.string()) })));

const threadSchema = z.lazy(() =>
  z.object({
    /** V2: `reply` (an agent's reply), `customer`, `note`, …; V1 calls an agent's reply `message`. */
    type: z.optional(z.string()),
    /** `published`, `draft`, `underReview`, `hidden`: only a published reply reached the customer. */
    state: z.nullish(z.string()),
    body: z.nullish(z.string()),
    createdAt: z.nullish(z.string()),
    createdBy: z.nullish(z.object({ type: z.optional(z.string()) })),
  }),
);

const fieldSchema = z.lazy(() =>
  z.object({
    /** V2 `id`, V1 `fieldId`. */
    id: z.optional(id),
    fieldId: z.optional(id),
    name: z.nullish(z.string()),
    value: z.nullish(z.union([z.string(), z.number()])),
    /** The shown text (a drop-down's label; the value itself for text fields). */
    text: z.nullish(z.string()),
  }),
);

const conversationSchema = z.lazy(() =>
  z.object({
    id,
    number: z.optional(id),
    status: z.string(),
    closedAt: z.nullish(z.string()),
    userUpdatedAt: z.nullish(z.string()),
    userModifiedAt: z.nullish(z.string()),
    modifiedAt: z.nullish(z.string()),
    assignee: person,
    owner: person,
    customFields: z.nullish(z.array(fieldSchema)),
    /** V1: the threads themselves; V2: their count (the threads are in `_embedded`). */
    threads: z.nullish(z.union([z.number(), z.array(threadSchema)])),
    _embedded: z.nullish(z.object({ threads: z.nullish(z.array(threadSchema)) })),
  }),
);

type Thread = z.infer<typeof threadSchema>;
type Field = z.infer<typeof fieldSchema>;

const sign = (secret: string, body: string | Buffer) => hmac('sha1', secret, [body], 'base64');

/** The field HELPSCOUT_CASE_ID_FIELD names: by name ignoring case, or by id. */
function caseIdFieldValue(fields: readonly Field[], wanted: string): string | undefined {
  const name = wanted.toLowerCase();
  const field = fields.find(
    (f) =>
      f.name?.trim().toLowerCase() === name ||
      (f.id !== undefined && String(f.id) === wanted) ||
      (f.fieldId !== undefined && String(f.fieldId) === wanted),
  );
  if (!field) return undefined;
  const value = nonBlank(field.text ?? undefined) ?? field.value;
  return value === null || value === undefined ? undefined : String(value);
}

/**
 * The text of the latest published reply an agent wrote. Help Scout lists threads newest first;
 * the thread times decide when present, so a payload in the other order reads the same.
 */
function lastAgentReply(threads: readonly Thread[]): string | undefined {
  const replies = threads
    .map((thread, index) => ({ thread, index, at: Date.parse(parseInstant(thread.createdAt) ?? '') }))
    .filter(
      ({ thread }) =>
        (thread.type === 'reply' || thread.type === 'message') &&
        thread.createdBy?.type === 'user' &&
        (thread.state ?? 'published') === 'published',
    )
    .map((reply) => ({ ...reply, text: nonBlank(commentText(reply.thread.body ?? '')) }))
    .filter((reply) => reply.text !== undefined);
  const timed = (at: number) => (Number.isFinite(at) ? at : -Infinity);
  replies.sort((a, b) => timed(b.at) - timed(a.at) || a.index - b.index);
  return replies[0]?.text;
}

function create(settings: HelpScoutSettings & { operation: string }): TicketProvider {
  const caseIdField = settings.caseIdField.trim();

  return {
    family: 'tickets',
    slug: 'helpscout',
    trust: HELPSCOUT_TRUST,

    verify(request: RawRequest, { secrets }: ProviderContext) {
      const given = request.headers['x-helpscout-signature']?.trim();
      if (!given) throw new SignatureError('no X-HelpScout-Signature header');
      const keys = secretList(secrets.HELPSCOUT_WEBHOOK_SECRET, 'HELPSCOUT_WEBHOOK_SECRET');
      if (!anySignatureMatches([given], keys, (secret) => sign(secret, request.body), 'base64')) {
        throw new SignatureError('signature does not match');
      }
      const event = request.headers['x-helpscout-event']?.trim();
      return { read: () => read(event, request.body) };
    },
  };

  function read(event: string | undefined, body: Buffer): Decision<TicketResolved> {
    if (!event) return { action: 'ignore', reason: 'no X-HelpScout-Event header: not a status change' };
    if (event === HELPSCOUT_TEST_EVENT) {
      return { action: 'ignore', reason: 'a Help Scout test delivery (helpscout.test): nothing changes' };
    }
    if (event !== HELPSCOUT_STATUS_EVENT) {
      return {
        action: 'ignore',
        reason: `X-HelpScout-Event ${quoted(event, 60)} is not ${HELPSCOUT_STATUS_EVENT} (conversation status updated)`,
      };
    }
    const conversation = parseWith(conversationSchema, parseJson(body));
    if (conversation.status !== 'closed') {
      return {
        action: 'ignore',
        reason: `conversation status ${quoted(conversation.status, 40)} is not closed`,
      };
    }
    // The resolution's time from the signed body: it makes the identity, so a retry or a replay is
    // the same event. V2 payloads carry closedAt; the others are fallbacks for older shapes.
    const resolvedAt = [
      conversation.closedAt,
      conversation.userUpdatedAt,
      conversation.userModifiedAt,
      conversation.modifiedAt,
    ].reduce<string | undefined>((found, value) => found ?? parseInstant(value), undefined);
    if (!resolvedAt) {
      throw new MalformedError([
        'closedAt: no time the conversation was closed (nor userUpdatedAt, modifiedAt)',
      ]);
    }

    const ticketId = String(conversation.id);
    const number = conversation.number === undefined ? undefined : String(conversation.number);
    const assignee = conversation.assignee ?? conversation.owner;
    const assigneeId = assignee?.id === undefined ? undefined : String(assignee.id);
    const assigneeEmail = nonBlank(assignee?.email ?? undefined);
    const threads =
      conversation._embedded?.threads ?? (Array.isArray(conversation.threads) ? conversation.threads : []);

    const resolved: TicketResolved = {
      kind: 'ticket',
      provider: 'helpscout',
      eventId: `${ticketId}:${resolvedAt}`,
      ticketId,
      resolvedAt,
      ...caseTarget(
        caseIdFieldValue(conversation.customFields ?? [], caseIdField),
        `custom field ${quoted(caseIdField, 60)}`,
      ),
      // Help Scout conversations have no priority, and no type wolkvox's case types map from.
      priority: null,
      caseType: null,
      assignee:
        assigneeId || assigneeEmail
          ? { ...optional('id', assigneeId), ...optional('email', assigneeEmail) }
          : null,
      solution: { ...optional('lastPublicReply', lastAgentReply(threads)) },
      customFields: {
        ticket_id: ticketId,
        ...optional('ticket_number', number),
        ...optional(
          'ticket_url',
          number ? `https://secure.helpscout.net/conversation/${ticketId}/${number}/` : undefined,
        ),
      },
      // Attachment URLs need the Mailbox API's OAuth token, which this adapter does not hold.
      attachments: [],
    };
    return { action: 'accept', event: resolved };
  }
}

/**
 * Which event a sample body stands for, as Help Scout names it in X-HelpScout-Event: a conversation
 * (an object with a string `status`) is a status change; anything else is the "Send test" delivery.
 */
export function helpScoutEventOf(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    return isObject(parsed) && typeof parsed.status === 'string'
      ? HELPSCOUT_STATUS_EVENT
      : HELPSCOUT_TEST_EVENT;
  } catch {
    return HELPSCOUT_TEST_EVENT;
  }
}

const helpscout: ProviderCode<TicketResolved, HelpScoutSettings> = {
  create,
  /** `X-HelpScout-Signature: base64(HMAC-SHA1(secret, body))` and the event the body stands for. */
  sign(body, secrets) {
    const secret = firstSecret(secrets, 'HELPSCOUT_WEBHOOK_SECRET');
    return {
      body,
      headers: {
        'content-type': 'application/json',
        'x-helpscout-event': helpScoutEventOf(body),
        'x-helpscout-signature': sign(secret, body),
      },
    };
  },
  userAgent: 'Help Scout Webhooks',
};

export default helpscout;
