import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import '#lib/zod-mini.ts';
import type { TicketResolved } from '#lib/events.ts';
import { quoted } from '#lib/excerpt.ts';
import { MalformedError, SignatureError } from '#lib/http/errors.ts';
import { firstSecret, parseJson, parseWith, safeEqual, secretList } from '../../common.ts';
import { anySignatureMatches, hmac } from '../../schemes/hmac.ts';
import type {
  Decision,
  ProviderCode,
  ProviderContext,
  RawRequest,
  Reading,
  TicketProvider,
  Trust,
} from '../../types.ts';
import { caseTarget, nonBlank, optional, parseInstant, statusIn } from '../common.ts';
import { commentText } from '../text.ts';
import type { ZohoDeskAuth, ZohoDeskSettings } from './settings.ts';

/**
 * Zoho Desk (helpdesks.md §7). Zoho signs no webhook, so a request proves itself one of two ways,
 * chosen by ZOHODESK_AUTH (only that one is accepted, so the weaker cannot stand in for the other):
 *
 * - `hmac` (default): a workflow rule runs a Deluge custom function (docs/providers/zohodesk.md)
 *   that builds the body and sends `X-Wolkvox-Signature: base64(HMAC-SHA256(ZOHODESK_WEBHOOK_TOKEN,
 *   body))`, computed with `zoho.encryption.hmacsha256`, whose default output is base64. The
 *   signature binds every byte, and the secret never travels.
 * - `token`: Zoho's own webhook, whose URL carries ZOHODESK_WEBHOOK_TOKEN as `?token=`. It proves
 *   who sent the request, not what it says, and the URL (so the token) may be written down by
 *   proxies and logs on the way; it is never logged or echoed here.
 *
 * Both send Zoho's webhook shape: a JSON array of events `{eventType, orgId, eventTime, payload,
 * prevState}`. A `Ticket_Update` whose ticket status is a closed one (ZOHODESK_CLOSED_STATUSES)
 * closes the case — unless `prevState` shows the status did not change to it. Each event is decided
 * on its own.
 *
 * Answers: Zoho counts only 200 as delivered, and 410 Gone deletes the subscription, so every
 * success is 200 (`onlyStatus`) and nothing here answers 410.
 */

export const ZOHODESK_SIGNATURE_HEADER = 'x-wolkvox-signature';
/** The query parameter of the webhook URL that carries the token (ZOHODESK_AUTH=token). */
export const ZOHODESK_TOKEN_PARAMETER = 'token';
/** The one event type that may close a case. */
export const ZOHODESK_UPDATE_EVENT = 'Ticket_Update';

const NO_REPLAY_WINDOW =
  'none: nothing signed says when; a replay repeats the identity zohodesk:<ticket id>:<closedTime or modifiedTime>, which the ledger skips (LEDGER_RETENTION_DAYS)';

export const ZOHODESK_HMAC_TRUST: Trust = {
  covers: 'bytes',
  scheme:
    'HMAC-SHA256 (base64) of the raw body with ZOHODESK_WEBHOOK_TOKEN, computed by a Deluge custom function (X-Wolkvox-Signature); Zoho itself signs nothing',
  signed: [`header:${ZOHODESK_SIGNATURE_HEADER}`],
  confirmed: [],
  unverified: [],
  replayWindowSeconds: null,
  replayWindow: NO_REPLAY_WINDOW,
};

export const ZOHODESK_TOKEN_TRUST: Trust = {
  covers: 'sender',
  scheme:
    'ZOHODESK_AUTH=token: ZOHODESK_WEBHOOK_TOKEN in the webhook URL (?token=) proves the sender; it binds no byte of the body, and URLs are logged by proxies',
  signed: [],
  confirmed: [],
  unverified: [],
  replayWindowSeconds: null,
  replayWindow:
    'none: the token is the credential and binds no body; whoever holds it can send anything (rotate it if a URL leaks)',
};

export const zohoDeskTrust = (auth: ZohoDeskAuth): Trust =>
  auth === 'token' ? ZOHODESK_TOKEN_TRUST : ZOHODESK_HMAC_TRUST;

const id = z.union([z.string().check(z.minLength(1)), z.number().check(z.int(), z.nonnegative())]);
const scalar = z.nullish(z.union([z.string(), z.number(), z.boolean()]));

/** Zoho's ticket as its webhooks and API render it: only what this adapter reads. */
const ticketSchema = z.lazy(() =>
  z.object({
    id,
    ticketNumber: z.nullish(id),
    status: z.string(),
    modifiedTime: z.nullish(z.string()),
    closedTime: z.nullish(z.string()),
    priority: z.nullish(z.string()),
    classification: z.nullish(z.string()),
    assigneeId: z.nullish(id),
    assignee: z.nullish(z.object({ id: z.nullish(id), email: z.nullish(z.string()) })),
    /** Custom fields by API name (`cf_wolkvox_id`). */
    cf: z.nullish(z.record(z.string(), scalar)),
    /** The ticket's Resolution (text, or `{content}` as the resolution API gives it). */
    resolution: z.nullish(z.union([z.string(), z.object({ content: z.nullish(z.string()) })])),
    /** The latest thread, when the sender includes it: only a public one reached the customer. */
    lastThread: z.nullish(
      z.object({
        visibility: z.nullish(z.string()),
        content: z.nullish(z.string()),
        summary: z.nullish(z.string()),
      }),
    ),
    webUrl: z.nullish(z.string()),
  }),
);

const eventSchema = z.lazy(() =>
  z.object({
    eventType: z.string(),
    payload: z.unknown(),
    /** The fields the update changed, as they were (present when the webhook asks for it). */
    prevState: z.nullish(z.record(z.string(), z.unknown())),
  }),
);

const bodySchema = z.array(eventSchema).check(z.minLength(1));

type Ticket = z.infer<typeof ticketSchema>;

const sign = (secret: string, body: string | Buffer) => hmac('sha256', secret, [body], 'base64');

/** SHA-256 of a token: equal lengths, so the comparison takes the same time whatever was sent. */
const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');

/** Whether `presented` is one of the configured tokens; every one is compared, in constant time. */
export function zohoDeskTokenMatches(presented: string, tokens: readonly string[]): boolean {
  const given = digest(presented);
  let ok = false;
  for (const token of tokens) ok = safeEqual(given, digest(token)) || ok;
  return ok;
}

function authenticate(auth: ZohoDeskAuth, request: RawRequest, secrets: ProviderContext['secrets']): void {
  if (auth === 'token') {
    // Messages name the parameter, never its value.
    const presented = request.query[ZOHODESK_TOKEN_PARAMETER]?.trim();
    if (!presented) throw new SignatureError('no token query parameter');
    const tokens = secretList(secrets.ZOHODESK_WEBHOOK_TOKEN, 'ZOHODESK_WEBHOOK_TOKEN');
    if (!zohoDeskTokenMatches(presented, tokens)) throw new SignatureError('token does not match');
    return;
  }
  const given = request.headers[ZOHODESK_SIGNATURE_HEADER]?.trim();
  if (!given) throw new SignatureError('no X-Wolkvox-Signature header');
  const keys = secretList(secrets.ZOHODESK_WEBHOOK_TOKEN, 'ZOHODESK_WEBHOOK_TOKEN');
  if (!anySignatureMatches([given], keys, (key) => sign(key, request.body), 'base64')) {
    throw new SignatureError('signature does not match');
  }
}

/** A resolution's text: a string or `{content}`, HTML to text. */
function resolutionText(resolution: Ticket['resolution']): string | undefined {
  const value = typeof resolution === 'string' ? resolution : resolution?.content;
  return value ? nonBlank(commentText(value)) : undefined;
}

function lastPublicThread(thread: Ticket['lastThread']): string | undefined {
  if (!thread || thread.visibility?.trim().toLowerCase() !== 'public') return undefined;
  const value = nonBlank(thread.content ?? undefined) ?? nonBlank(thread.summary ?? undefined);
  return value ? nonBlank(commentText(value)) : undefined;
}

function create(settings: ZohoDeskSettings & { operation: string }): TicketProvider {
  const caseIdField = settings.caseIdField.trim();
  const closed = settings.closedStatuses;

  return {
    family: 'tickets',
    slug: 'zohodesk',
    onlyStatus: 200,
    trust: zohoDeskTrust(settings.auth),

    verify(request: RawRequest, { secrets }: ProviderContext) {
      authenticate(settings.auth, request, secrets);
      return { read: () => read(request.body) };
    },
  };

  function read(body: Buffer): Reading<TicketResolved> {
    const events = parseWith(bodySchema, parseJson(body));
    const decisions = events.map((event, index) => decide(event, index));
    if (decisions.length === 1 && decisions[0]) return decisions[0];
    const relevant = decisions.filter((decision) => decision.action !== 'ignore');
    // Events nothing is done for need no answer of their own; one relevant event among them is
    // answered as itself, several each on their own.
    if (relevant.length === 1 && relevant[0]) return relevant[0];
    if (relevant.length === 0) {
      return {
        action: 'ignore',
        reason: `none of the ${decisions.length} events closes a ticket (first: ${decisions[0]?.action === 'ignore' ? decisions[0].reason : ''})`,
      };
    }
    return { action: 'each', items: decisions };
  }

  function decide(event: z.infer<typeof eventSchema>, index: number): Decision<TicketResolved> {
    if (event.eventType !== ZOHODESK_UPDATE_EVENT) {
      return {
        action: 'ignore',
        reason: `eventType ${quoted(event.eventType, 40)} is not ${ZOHODESK_UPDATE_EVENT}`,
      };
    }
    const ticket = parseWith(ticketSchema, event.payload, `[${index}].payload`);
    if (!statusIn(ticket.status, closed)) {
      return {
        action: 'ignore',
        reason: `ticket status ${quoted(ticket.status, 40)} is not a closed one (ZOHODESK_CLOSED_STATUSES)`,
      };
    }
    // prevState holds what the update changed: without `status` in it the status did not change
    // (another edit of a closed ticket); a closed previous status is no transition either. Without
    // prevState (a webhook that does not ask for it, or the Deluge function, which runs on the
    // change itself), the identity below — closedTime first — makes later edits duplicates.
    if (event.prevState) {
      if (!Object.hasOwn(event.prevState, 'status')) {
        return { action: 'ignore', reason: 'the update did not change the status (prevState has no status)' };
      }
      const before = event.prevState.status;
      if (typeof before === 'string' && statusIn(before, closed)) {
        return { action: 'ignore', reason: `the ticket was already ${quoted(before, 40)}` };
      }
    }
    const resolvedAt = parseInstant(ticket.closedTime) ?? parseInstant(ticket.modifiedTime);
    if (!resolvedAt) {
      throw new MalformedError([
        `[${index}].payload.closedTime: no time the ticket was closed (nor modifiedTime)`,
      ]);
    }

    const ticketId = String(ticket.id);
    const number =
      ticket.ticketNumber === null || ticket.ticketNumber === undefined
        ? undefined
        : String(ticket.ticketNumber);
    const cf = ticket.cf ?? {};
    const caseValue = Object.hasOwn(cf, caseIdField) ? cf[caseIdField] : undefined;
    const assigneeRef = ticket.assignee?.id ?? ticket.assigneeId;
    const assigneeId = assigneeRef === null || assigneeRef === undefined ? undefined : String(assigneeRef);
    const assigneeEmail = nonBlank(ticket.assignee?.email ?? undefined);

    const resolved: TicketResolved = {
      kind: 'ticket',
      provider: 'zohodesk',
      eventId: `${ticketId}:${resolvedAt}`,
      ticketId,
      resolvedAt,
      ...caseTarget(
        caseValue === null || caseValue === undefined ? undefined : String(caseValue),
        `custom field ${quoted(caseIdField, 60)}`,
      ),
      priority: nonBlank(ticket.priority ?? undefined) ?? null,
      caseType: nonBlank(ticket.classification ?? undefined) ?? null,
      assignee:
        assigneeId || assigneeEmail
          ? {
              ...optional('id', assigneeId),
              ...optional('email', assigneeEmail),
            }
          : null,
      solution: {
        ...optional('resolution', resolutionText(ticket.resolution)),
        ...optional('lastPublicReply', lastPublicThread(ticket.lastThread)),
      },
      customFields: {
        ticket_id: ticketId,
        ...optional('ticket_number', number),
        ...optional('ticket_url', nonBlank(ticket.webUrl ?? undefined)),
      },
      // Zoho sends attachment metadata only through its OAuth API, which this adapter does not call.
      attachments: [],
    };
    return { action: 'accept', event: resolved };
  }
}

const zohodesk: ProviderCode<TicketResolved, ZohoDeskSettings> = {
  create,
  // Zoho counts only 200 as delivered; 410 would delete the subscription.
  onlyStatus: 200,
  /** The Deluge function's request (ZOHODESK_AUTH=hmac): the body and its base64 HMAC-SHA256. */
  sign(body, secrets) {
    const key = firstSecret(secrets, 'ZOHODESK_WEBHOOK_TOKEN');
    return {
      body,
      headers: { 'content-type': 'application/json', [ZOHODESK_SIGNATURE_HEADER]: sign(key, body) },
    };
  },
  userAgent: 'Zoho Desk',
};

export default zohodesk;
