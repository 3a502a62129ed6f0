import * as z from 'zod/mini';
import '#lib/zod-mini.ts';
import type { AttachmentRef, TicketResolved } from '#lib/events.ts';
import { quoted } from '#lib/excerpt.ts';
import { MalformedError } from '#lib/http/errors.ts';
import { decodeTemplateText } from './text.ts';

/** What every helpdesk source needs besides its own settings. */
export interface TicketSettingsBase {
  /** The wolkvox operation this deployment serves. */
  operation: string;
}

/** wolkvox record ids look like MongoDB ObjectIds. */
const CASE_ID = /^[0-9a-f]{24}$/i;

/**
 * The wolkvox case a ticket names, or why it names none (then the event is parked, not lost).
 * `where` says where the id was looked for, so the parked reason tells the operator what to fix.
 */
export function caseTarget(
  value: string | undefined,
  where: string,
  operation?: { named: string | undefined; served: string },
): Pick<TicketResolved, 'caseId' | 'targetProblem'> {
  const named = operation?.named?.trim();
  if (operation && named && named !== operation.served) {
    return {
      caseId: null,
      targetProblem: `the ticket names operation ${quoted(named, 40)}; this deployment serves "${operation.served}"`,
    };
  }
  const id = value?.trim() ?? '';
  if (!id) return { caseId: null, targetProblem: `${where} is empty: the ticket names no wolkvox case` };
  if (!CASE_ID.test(id)) {
    return {
      caseId: null,
      targetProblem: `${where} ${quoted(id, 40)} is not a wolkvox case id (24 hexadecimal characters)`,
    };
  }
  return { caseId: id.toLowerCase() };
}

const INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(?:(Z|UTC|GMT)|([+-]\d{2}):?(\d{2})?)$/i;

/**
 * An instant in the shapes helpdesks render → ISO 8601 UTC, or undefined. Zendesk's
 * `*_with_timestamp` gives `2013-12-12T05:35Z` (no seconds), Jira `2024-11-06T15:42:10.123-0500`
 * (offset without colon), Ruby's strftime `%z` the same, Ruby's default `2024-11-05 17:30:00 UTC`:
 * not all are shapes JavaScript engines must parse, so the parts are read here.
 */
export function parseInstant(value: string | undefined | null): string | undefined {
  const match = INSTANT.exec(value?.trim() ?? '');
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second = '00', fraction = '', utc, offsetHours, offsetMinutes] =
    match;
  const offset = utc || offsetHours === undefined ? 'Z' : `${offsetHours}:${offsetMinutes ?? '00'}`;
  const millis = fraction ? `.${fraction.slice(0, 3).padEnd(3, '0')}` : '';
  const ms = Date.parse(`${year}-${month}-${day}T${hour}:${minute}:${second}${millis}${offset}`);
  if (!Number.isFinite(ms)) return undefined;
  // Date.parse may roll 2024-02-30 over into March; a calendar day that does not exist is not a time.
  const probe = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  if (probe.getUTCMonth() !== Number(month) - 1) return undefined;
  return new Date(ms).toISOString();
}

/** Whether a status label is one of the resolved ones, ignoring case and outer spaces. */
export function statusIn(status: string, resolved: readonly string[]): boolean {
  return resolved.includes(status.trim().toLowerCase());
}

/** Blank is missing: the translation then falls back to the next solution candidate. */
export function nonBlank(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/** A string the template encoded, decoded; blank is missing. */
export function templateText(value: string | undefined): string | undefined {
  return value === undefined ? undefined : nonBlank(decodeTemplateText(value));
}

/** `{ key: value }` when there is a value, `{}` otherwise: optional fields stay absent, not undefined. */
export function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
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
      z.object({
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

const httpUrl = z.url({ protocol: /^https?$/ });

/** The file name a URL carries: Zendesk's `?name=` or the last path segment (Jira's /secure/attachment/ID/NAME). */
export function filenameFromUrl(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    const named = parsed.searchParams.get('name');
    if (named) return named;
    const last = parsed.pathname.split('/').filter(Boolean).pop();
    return last ? decodeURIComponent(last) : undefined;
  } catch {
    return undefined;
  }
}

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
  'a placeholder value may contain an unescaped quote or newline; use the template in the README';

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
