import type { TicketResolved } from '#lib/events.ts';
import { quoted } from '#lib/excerpt.ts';

/** What every helpdesk reads the same way: the case a ticket names, times, blanks, file names. */

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
  const [, year, month, day, hour, minute, second, fraction, utc, offsetHours, offsetMinutes] = match;
  const y = Number(year);
  const mo = Number(month);
  const d = Number(day);
  const h = Number(hour);
  const mi = Number(minute);
  const s = second === undefined ? 0 : Number(second);
  // Out of range is not a time (Date.UTC would roll 2024-02-30 over into March, 24:00 into tomorrow).
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 59) return undefined;
  const sign = offsetHours?.startsWith('-') ? -1 : 1;
  const offsetMs =
    utc || offsetHours === undefined
      ? 0
      : sign * (Math.abs(Number(offsetHours)) * 60 + Number(offsetMinutes ?? '0')) * 60_000;
  if (Math.abs(offsetMs) > 18 * 3_600_000) return undefined;
  const millis = fraction === undefined ? 0 : Number(fraction.slice(0, 3).padEnd(3, '0'));
  return new Date(Date.UTC(y, mo - 1, d, h, mi, s, millis) - offsetMs).toISOString();
}

// Read on every helpdesk webhook (the signed timestamp, the resolution time): counted here rather
// than with a Date made for the purpose.
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isLeap = (y: number) => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
const daysInMonth = (y: number, mo: number) => (mo === 2 && isLeap(y) ? 29 : (DAYS_IN_MONTH[mo - 1] ?? 0));

/** Whether a status label is one of the resolved ones, ignoring case and outer spaces. */
export function statusIn(status: string, resolved: readonly string[]): boolean {
  return resolved.includes(status.trim().toLowerCase());
}

/** Blank is missing: the translation then falls back to the next solution candidate. */
export function nonBlank(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/** `{ key: value }` when there is a value, `{}` otherwise: optional fields stay absent, not undefined. */
export function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

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
