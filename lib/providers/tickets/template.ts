import * as z from 'zod/mini';
import { compiledObject } from '#lib/zod-mini.ts';
import type { AttachmentRef, TicketResolved } from '#lib/events.ts';
import { quoted } from '#lib/excerpt.ts';
import { MalformedError } from '#lib/http/errors.ts';
import { parseWith } from '../common.ts';
import { caseTarget, filenameFromUrl, nonBlank, optional, statusIn } from './common.ts';
import { decodeTemplateText } from './text.ts';

const httpUrl = z.url({ protocol: /^https?$/ });

/**
 * The templated helpdesks (Zendesk, Freshdesk): they send a body the admin pastes from our guide,
 * rendered with Liquid. This is what their bodies share: the text encoding, the envelope, how a
 * ticket is read from it. Each provider adds its own fields and time.
 *
 * Free text goes through TEXT_FILTERS, Liquid filters that exist in every Liquid version (Freshdesk
 * runs 2.4.1) and leave nothing JSON must escape:
 *   escape             " & < > ' → &quot; &amp; &lt; &gt; &#39;
 *   replace: '\', …    a backslash → &#92;. An entity, not `\\`: Liquid string literals have no
 *                      escapes ('\' is one backslash), and Ruby's gsub reads backslashes in a
 *                      replacement string specially in Liquid 2–4 but not in 5, so a `\\`
 *                      replacement means different things on different Zendesk/Freshdesk versions.
 *   newline_to_br      newline → "<br />\n"
 *   strip_newlines     drops the "\n" (and, in Liquid 5, the "\r" of CRLF)
 * The value then holds no quote, backslash or line feed, so it is valid inside "…" whether or not
 * the helpdesk JSON-escapes placeholder output itself (undocumented for both). Tabs and lone CRs
 * survive; parseTemplateJson escapes those. decodeTemplateText reverses the chain.
 */
export const TEXT_FILTERS = String.raw`escape | replace: '\', '&#92;' | newline_to_br | strip_newlines`;

/** A string the template encoded, decoded; blank is missing. */
export function templateText(value: string | undefined): string | undefined {
  return value === undefined ? undefined : nonBlank(decodeTemplateText(value));
}

/** A template value that is a string or a number (`"{{ticket.id}}"` quoted or not). */
export const idValue = z.lazy(() =>
  z.pipe(
    z.pipe(
      z.union([z.string(), z.number()]),
      z.transform((v) => String(v).trim()),
    ),
    z.string().check(z.minLength(1)),
  ),
);

/** Templates render a missing placeholder as "" and a dropdown's empty option as "-". */
export function label(value: string | undefined): string | null {
  const text = value === undefined ? '' : decodeTemplateText(value).trim();
  return text && text !== '-' ? text : null;
}

/** Custom field values from a template object: strings decoded, numbers and booleans as text, blanks dropped. */
export const customFieldsValue = z.lazy(() =>
  z.optional(z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))),
);

export function templateCustomFields(fields: z.infer<typeof customFieldsValue>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(fields ?? {})) {
    const text =
      typeof value === 'string' ? decodeTemplateText(value).trim() : value === null ? '' : String(value);
    if (text) out[key] = text;
  }
  return out;
}

/** The attachments array our templates render (one object per file of the latest public comment). */
export const templateAttachments = z.lazy(() =>
  z.optional(
    z.array(
      compiledObject({
        file_name: z.optional(z.string()),
        content_url: z.string(),
        content_type: z.optional(z.string()),
        size: z.optional(
          z.union([
            z.number().check(z.int(), z.nonnegative()),
            z.string().check(z.regex(/^\s*(?:\d+\s*)?$/, 'expected digits')),
          ]),
        ),
      }),
    ),
  ),
);

/** Validated attachment references; a bad URL is a 400 naming the item, as any schema mismatch. */
export function attachmentRefs(
  items: z.infer<typeof templateAttachments>,
  path = 'attachments',
): AttachmentRef[] {
  const problems: string[] = [];
  const refs: AttachmentRef[] = [];
  (items ?? []).forEach((item, index) => {
    const url = decodeTemplateText(item.content_url).trim();
    if (!httpUrl.safeParse(url).success) {
      problems.push(`${path}.${index}.content_url: not an http(s) URL`);
      return;
    }
    const filename = nonBlank(item.file_name && decodeTemplateText(item.file_name)) ?? filenameFromUrl(url);
    if (!filename) {
      problems.push(`${path}.${index}.file_name: empty, and the URL names no file`);
      return;
    }
    const contentType = nonBlank(item.content_type && decodeTemplateText(item.content_type));
    const size = typeof item.size === 'string' ? nonBlank(item.size) : item.size;
    refs.push({
      filename,
      url,
      ...(contentType ? { contentType } : {}),
      ...(size === undefined ? {} : { size: Number(size) }),
    });
  });
  if (problems.length > 0) throw new MalformedError(problems);
  return refs;
}

const TEMPLATE_HINT =
  'a placeholder value may contain an unescaped quote or newline; use the template in the guide (docs/providers/)';

/**
 * JSON.parse for bodies rendered from a helpdesk template. Raw control characters inside a string
 * (a tab pasted from a spreadsheet, a lone CR) are invalid JSON, yet no Liquid filter can name them
 * without the admin typing the raw character into the template, and escaping them is unambiguous:
 * so they are escaped here. Anything else (an unescaped quote) is a 400 that says where it broke.
 */
export function parseTemplateJson(body: Buffer): unknown {
  const text = body.toString('utf8');
  let first: Error;
  try {
    return JSON.parse(text);
  } catch (error) {
    first = error as Error;
  }
  const repaired = escapeControlCharacters(text);
  if (repaired.shifts.length > 0) {
    try {
      return JSON.parse(repaired.text);
    } catch (error) {
      throw brokenJson(text, repaired.original(positionOf(error as Error, repaired.text.length)));
    }
  }
  throw brokenJson(text, positionOf(first, text.length));
}

function positionOf(error: Error, length: number): number {
  const match = /position (\d+)/.exec(error.message);
  return match ? Number(match[1]) : length;
}

function brokenJson(text: string, position: number): MalformedError {
  // The last key before the break names the placeholder to look at; keys are ours, not ticket data.
  const keys = [...text.slice(0, position).matchAll(/"(\w{1,40})"\s*:/g)];
  const key = keys.at(-1)?.[1];
  const near = key ? ` (in or after "${key}")` : '';
  return new MalformedError([`(body): not valid JSON at position ${position}${near} — ${TEMPLATE_HINT}`]);
}

/** Escapes U+0000–U+001F found inside JSON strings; `original` maps a position back to `text`'s. */
function escapeControlCharacters(text: string): {
  text: string;
  shifts: number[];
  original: (position: number) => number;
} {
  let out = '';
  let inString = false;
  const shifts: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const char = text[i] ?? '';
    const code = char.charCodeAt(0);
    if (inString && char === '\\') {
      out += char + (text[i + 1] ?? '');
      i++;
      continue;
    }
    if (char === '"') inString = !inString;
    if (inString && code < 0x20) {
      shifts.push(out.length);
      out += `\\u${code.toString(16).padStart(4, '0')}`;
      continue;
    }
    out += char;
  }
  return {
    text: out,
    shifts,
    // Each escape is 6 characters standing for 1.
    original: (position) => position - 5 * shifts.filter((at) => at < position).length,
  };
}

/** The envelope every template body starts with: what decides whether the rest matters. */
const envelopeFields = () => ({
  schema_version: z.union([z.literal('1'), z.literal(1)], {
    error: 'expected "1" (the guide\'s template)',
  }),
  ticket_id: idValue,
  status: z.string(),
});
const envelope = z.lazy(() => compiledObject(envelopeFields()));

/** The fields every template carries (each helpdesk adds its own times, assignee and attachments). */
const templateFields = {
  ticket_url: z.optional(z.string()),
  priority: z.optional(z.string()),
  ticket_type: z.optional(z.string()),
  wolkvox_id: z.optional(z.string()),
  /** Optional: one helpdesk feeding several wolkvox operations names its own. */
  wolkvox_operation: z.optional(z.string()),
  /** Optional: a dedicated "resolution" ticket field, preferred over the public reply. */
  resolution: z.optional(z.string()),
  solution: z.optional(z.string()),
  custom_fields: customFieldsValue,
};

/** A helpdesk's own fields, as parsed. */
type Own<Extra extends z.core.$ZodShape> = z.infer<z.ZodMiniObject<Extra>>;

/** What one templated helpdesk adds to the shared reading. */
export interface TemplateHelpdesk<Extra extends z.core.$ZodShape> {
  provider: string;
  /** Status labels that mean resolved, lower-case, in the order the ignore reason names them. */
  resolved: readonly string[];
  /** Its own fields beside the shared ones. */
  fields: Extra;
  /** Where its template puts the case id, for the parked reason. */
  caseIdWhere: string;
  /** A free-text comment as it arrives → plain text (blank is missing). */
  comment(value: string | undefined): string | undefined;
  /** When the ticket was resolved, and the event's id: from values the authentication covers. */
  time(own: Own<Extra>, head: { ticketId: string; status: string }): { resolvedAt: string; eventId: string };
  assigneeEmail(own: Own<Extra>): string | undefined;
  attachments(own: Own<Extra>): AttachmentRef[];
}

/** A whole template body as parsed: the envelope, the shared fields and the helpdesk's own. */
type Whole<Extra extends z.core.$ZodShape> = z.infer<typeof envelope> &
  z.infer<z.ZodMiniObject<typeof templateFields>> &
  Own<Extra>;

/**
 * Each helpdesk's whole-body schema (envelope, shared and own fields in one object, so an accepted
 * body is parsed in one pass), built on its first parse and kept: building a zod object costs
 * several times what parsing a ticket with it does, so it must not happen once per request. Keyed
 * by the helpdesk's `fields` (a module constant of its provider.ts).
 */
const wholeSchemas = new WeakMap<z.core.$ZodShape, z.core.$ZodType>();

function wholeSchema(fields: z.core.$ZodShape): z.core.$ZodType {
  let schema = wholeSchemas.get(fields);
  if (!schema) {
    schema = compiledObject({ ...envelopeFields(), ...templateFields, ...fields });
    wholeSchemas.set(fields, schema);
  }
  return schema;
}

/** A template body → ignore (not a resolution) or the resolved ticket; a body off the template is a 400. */
export function readTemplateTicket<Extra extends z.core.$ZodShape>(
  body: Buffer,
  operation: string,
  helpdesk: TemplateHelpdesk<Extra>,
): { action: 'ignore'; reason: string } | { action: 'accept'; event: TicketResolved } {
  const raw = parseTemplateJson(body);
  const whole = z.safeParse(wholeSchema(helpdesk.fields), raw);
  // Off the template somewhere: an irrelevant status is still only ignored (the envelope alone
  // decides that); a resolution gets a 400 listing every problem of the body at once.
  const head = whole.success ? (whole.data as Whole<Extra>) : parseWith(envelope, raw);
  const status = decodeTemplateText(head.status).trim();
  if (!statusIn(status, helpdesk.resolved)) {
    const wanted = helpdesk.resolved.join(' or ');
    return { action: 'ignore', reason: `ticket status is ${quoted(status, 40)}, not ${wanted}` };
  }
  const ticket = whole.success
    ? (whole.data as Whole<Extra>)
    : (parseWith(wholeSchema(helpdesk.fields), raw) as Whole<Extra>);
  const { resolvedAt, eventId } = helpdesk.time(ticket, { ticketId: ticket.ticket_id, status });
  const email = templateText(helpdesk.assigneeEmail(ticket));
  return {
    action: 'accept',
    event: {
      kind: 'ticket',
      provider: helpdesk.provider,
      eventId,
      ticketId: ticket.ticket_id,
      resolvedAt,
      ...caseTarget(
        ticket.wolkvox_id === undefined ? undefined : decodeTemplateText(ticket.wolkvox_id),
        helpdesk.caseIdWhere,
        { named: ticket.wolkvox_operation, served: operation },
      ),
      priority: label(ticket.priority),
      caseType: label(ticket.ticket_type),
      assignee: email ? { email } : null,
      solution: {
        ...optional('resolution', helpdesk.comment(ticket.resolution)),
        ...optional('lastPublicReply', helpdesk.comment(ticket.solution)),
      },
      customFields: {
        ...templateCustomFields(ticket.custom_fields),
        ticket_id: ticket.ticket_id,
        ...optional('ticket_url', templateText(ticket.ticket_url)),
      },
      attachments: helpdesk.attachments(ticket),
    },
  };
}
