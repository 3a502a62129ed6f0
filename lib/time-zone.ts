/**
 * Wall-clock time in an IANA time zone: the operation's calendar day (an obligation's
 * last_pay_date), the seconds to its midnight (when wolkvox's daily quota resets), and whether a
 * configured zone exists.
 *
 * Why not simply Intl.DateTimeFormat: the first one a process builds costs about 20 ms, whatever
 * its locale or zone (V8 builds its set of available locales for date formats, canonicalising
 * every one of ICU's), and the worker's first payment needs a calendar day — about a tenth of its
 * whole cold start. Date's local-time getters read the same ICU time-zone data for the zone named
 * by process.env.TZ, which Node lets a program change while it runs (it tells V8 to forget its
 * cached zone; documented under TZ in Node's CLI reference). So: TZ set to the zone for one
 * synchronous read and put back at once — no other code runs in between, so none can observe it.
 *
 * That path is taken only where it is known to give Intl's answer: for the zones Intl lists as
 * canonical (test/time-zone.test.ts compares both for every one of them, around each offset
 * change of two years and a midnight), and only once a probe has seen the switch work in this
 * thread (a worker thread's process.env is a copy that does not reach the time-zone data).
 * Anything else — an alias such as US/Eastern, an Etc/GMT offset, a name that is no zone at all
 * (which TZ would quietly read as UTC, where Intl throws) — goes through Intl.DateTimeFormat, as
 * before. The wolkvox sandbox keeps its own Intl formatter (lib/sandbox/quota.ts): a fake that
 * shared this code could not catch a mistake in it.
 */

export interface WallClock {
  year: number;
  /** 1–12. */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** Whether `value` names a time zone Intl accepts (the configuration's check of WOLKVOX_TIMEZONE). */
export function isTimeZone(value: string): boolean {
  if (canonicalZones().has(value)) return true;
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock time of `instant` in `timeZone` (a zone isTimeZone accepts). */
export function wallClock(instant: Date, timeZone: string): WallClock {
  return canonicalZones().has(timeZone) && switchWorks()
    ? localTimeIn(instant, timeZone)
    : viaIntl(instant, timeZone);
}

let canonical: ReadonlySet<string> | undefined;
/** Intl's canonical zone names (about 1.5 ms, once) and UTC, which Intl does not list. */
const canonicalZones = () => (canonical ??= new Set([...Intl.supportedValuesOf('timeZone'), 'UTC']));

/** Date's local-time fields of `instant` with process.env.TZ = `timeZone`, TZ then put back. */
function localTimeIn(instant: Date, timeZone: string): WallClock {
  const previous = process.env.TZ;
  process.env.TZ = timeZone;
  try {
    return {
      year: instant.getFullYear(),
      month: instant.getMonth() + 1,
      day: instant.getDate(),
      hour: instant.getHours(),
      minute: instant.getMinutes(),
      second: instant.getSeconds(),
    };
  } finally {
    if (previous === undefined) delete process.env.TZ;
    else process.env.TZ = previous;
  }
}

let switches: boolean | undefined;
/**
 * Whether setting process.env.TZ moves Date's local time here: two zones whose offsets have not
 * changed in decades, each read as itself. False in a worker thread, or wherever else it does not.
 */
function switchWorks(): boolean {
  if (switches === undefined) {
    const instant = new Date(Date.UTC(2020, 0, 1, 12));
    const offset = (timeZone: string) => {
      const { hour, minute } = localTimeIn(instant, timeZone);
      return hour * 60 + minute - 12 * 60;
    };
    switches = offset('UTC') === 0 && offset('Asia/Kolkata') === 330;
  }
  return switches;
}

const formats = new Map<string, Intl.DateTimeFormat>();
function viaIntl(instant: Date, timeZone: string): WallClock {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      hourCycle: 'h23',
    });
    formats.set(timeZone, format);
  }
  const parts = format.formatToParts(instant);
  const field = (type: Intl.DateTimeFormatPartTypes) =>
    Number(parts.find((p) => p.type === type)?.value ?? 0);
  return {
    year: field('year'),
    month: field('month'),
    day: field('day'),
    hour: field('hour'),
    minute: field('minute'),
    second: field('second'),
  };
}
