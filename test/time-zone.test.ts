import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isTimeZone, type WallClock, wallClock } from '#lib/time-zone.ts';

/** The oracle: Intl.DateTimeFormat's own fields for `instant` in `timeZone`. */
const formats = new Map<string, Intl.DateTimeFormat>();
function intlClock(instant: Date, timeZone: string): WallClock {
  let format = formats.get(timeZone);
  if (!format)
    formats.set(
      timeZone,
      (format = new Intl.DateTimeFormat('en-US', {
        timeZone,
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
        hourCycle: 'h23',
      })),
    );
  const parts = format.formatToParts(instant);
  const field = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return {
    year: field('year'),
    month: field('month'),
    day: field('day'),
    hour: field('hour'),
    minute: field('minute'),
    second: field('second'),
  };
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Minutes `timeZone` is ahead of UTC at `t` (Intl's view). */
function offsetMinutes(t: number, timeZone: string): number {
  const c = intlClock(new Date(t), timeZone);
  return Math.round(
    (Date.UTC(c.year, c.month - 1, c.day, c.hour, c.minute, c.second) - Math.floor(t / 1000) * 1000) / 60_000,
  );
}

/** Each instant in [from, to) where `timeZone`'s offset changes, to the second (weekly scan, then bisection). */
function offsetChanges(timeZone: string, from: number, to: number): number[] {
  const changes: number[] = [];
  for (let t = from; t < to; t += 7 * DAY) {
    let [low, high] = [t, t + 7 * DAY];
    if (offsetMinutes(low, timeZone) === offsetMinutes(high, timeZone)) continue;
    while (high - low > 1000) {
      const middle = low + Math.floor((high - low) / 2000) * 1000;
      if (offsetMinutes(middle, timeZone) === offsetMinutes(low, timeZone)) low = middle;
      else high = middle;
    }
    changes.push(high);
  }
  return changes;
}

describe('wallClock', () => {
  const canonical = [...Intl.supportedValuesOf('timeZone'), 'UTC'];

  it("is Intl's wall clock in every canonical zone, a second either side of every offset change of 2026–2027 and around midnight", () => {
    const from = Date.UTC(2026, 0, 1);
    const to = Date.UTC(2028, 0, 1);
    let changes = 0;
    for (const timeZone of canonical) {
      const instants = [from, Date.UTC(2026, 5, 30, 23, 59, 59), Date.UTC(2027, 1, 28, 12), to - 1000];
      for (const change of offsetChanges(timeZone, from, to)) {
        changes++;
        for (const delta of [-HOUR, -1000, 0, 1000, HOUR]) instants.push(change + delta);
      }
      // The seconds either side of one local midnight (the offset is Intl's, not ours).
      const noon = Date.UTC(2026, 8, 15, 12);
      const midnight = Date.UTC(2026, 8, 16) - offsetMinutes(noon, timeZone) * 60_000;
      instants.push(midnight - 1000, midnight);
      for (const t of instants) {
        const instant = new Date(t);
        expect(wallClock(instant, timeZone), `${timeZone} ${instant.toISOString()}`).toEqual(
          intlClock(instant, timeZone),
        );
      }
    }
    // The scan found the world's DST changes (tens of zones change twice a year): it checked something.
    expect(changes).toBeGreaterThan(200);
  });

  it('reads canonical zones without building an Intl.DateTimeFormat (the ~20 ms it exists to save)', () => {
    const spy = vi.spyOn(Intl, 'DateTimeFormat');
    try {
      expect(wallClock(new Date('2026-11-21T03:00:00Z'), 'America/Bogota')).toMatchObject({
        day: 20,
        hour: 22,
      });
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });

  // ICU's canonical names are CLDR's (Asia/Calcutta, America/Buenos_Aires); these are its aliases.
  it.each(['US/Eastern', 'America/Argentina/Buenos_Aires', 'Etc/GMT+5', 'EST5EDT', 'Asia/Kolkata'])(
    "reads the alias or offset zone %s through Intl, Intl's answer",
    (timeZone) => {
      for (const iso of [
        '2026-03-08T06:59:59Z',
        '2026-03-08T07:00:00Z',
        '2026-11-01T05:30:00Z',
        '2026-12-31T23:59:59Z',
      ]) {
        const instant = new Date(iso);
        expect(wallClock(instant, timeZone), `${timeZone} ${iso}`).toEqual(intlClock(instant, timeZone));
      }
    },
  );

  it('refuses a zone that does not exist, as Intl does (TZ would silently read it as UTC)', () => {
    expect(() => wallClock(new Date(), 'Mars/Olympus_Mons')).toThrow(RangeError);
  });

  describe('leaves process.env.TZ and local time as they were', () => {
    const original = process.env.TZ;
    afterEach(() => {
      if (original === undefined) delete process.env.TZ;
      else process.env.TZ = original;
    });

    it.each([['Asia/Tokyo'], [':UTC'], [undefined]])('with TZ=%s', (tz) => {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
      const instant = new Date('2026-06-01T12:00:00Z');
      const localBefore = instant.getHours();
      expect(wallClock(instant, 'America/Santiago').hour).toBe(8);
      expect(process.env.TZ).toBe(tz);
      expect('TZ' in process.env).toBe(tz !== undefined);
      expect(instant.getHours()).toBe(localBefore);
      if (tz === 'Asia/Tokyo') expect(localBefore).toBe(21);
    });
  });

  it("gives Intl's answer in a worker thread, where process.env is a copy and TZ moves nothing", async () => {
    const worker = new Worker(
      `import('${new URL('../lib/time-zone.ts', import.meta.url).href}').then(({ wallClock }) =>
         require('node:worker_threads').parentPort.postMessage(
           wallClock(new Date('2026-11-21T03:00:00Z'), 'America/Bogota')));`,
      { eval: true, env: { ...process.env, TZ: 'Asia/Tokyo' } },
    );
    try {
      const clock = await new Promise((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      expect(clock).toEqual({ year: 2026, month: 11, day: 20, hour: 22, minute: 0, second: 0 });
    } finally {
      await worker.terminate();
    }
  });
});

describe('isTimeZone', () => {
  it.each(['America/Bogota', 'UTC', 'US/Eastern', 'America/Buenos_Aires', 'Etc/GMT+5', 'utc'])(
    'accepts %s',
    (zone) => {
      expect(isTimeZone(zone)).toBe(true);
    },
  );

  it.each(['Mars/Olympus_Mons', '', 'America/Bogota ', 'GMT-05:00x', '../../etc/passwd'])(
    'refuses %j',
    (zone) => {
      expect(isTimeZone(zone)).toBe(false);
    },
  );

  it('accepts exactly what Intl.DateTimeFormat accepts', () => {
    const intlAccepts = (zone: string) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: zone });
        return true;
      } catch {
        return false;
      }
    };
    for (const zone of [
      ...Intl.supportedValuesOf('timeZone'),
      'UTC',
      'Etc/Unknown',
      'America/Bogotá',
      'Europe/Kiev',
    ])
      expect(isTimeZone(zone), zone).toBe(intlAccepts(zone));
  });
});
