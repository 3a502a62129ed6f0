/**
 * The per-token daily call quota (403 TOKEN LIMIT EXCEEDED, §3.2). The vendor's reset instant is
 * undocumented; the sandbox resets at midnight America/Bogota (the vendor's time zone), read from
 * an injectable clock so tests can cross midnight without waiting.
 */

const BOGOTA_DAY = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'America/Bogota',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

export class DailyQuota {
  readonly limit: number;
  readonly #now: () => Date;
  #used = new Map<string, { day: string; used: number }>();

  constructor(limit: number, now: () => Date) {
    this.limit = limit;
    this.#now = now;
  }

  /** Counts one call for `token`; false (and nothing counted) when today's quota is used up. */
  take(token: string): boolean {
    const day = BOGOTA_DAY.format(this.#now());
    const entry = this.#used.get(token);
    const used = entry?.day === day ? entry.used : 0;
    if (used >= this.limit) return false;
    this.#used.set(token, { day, used: used + 1 });
    return true;
  }

  /** Calls `token` made today (the one being answered included). */
  used(token: string): number {
    const entry = this.#used.get(token);
    return entry?.day === BOGOTA_DAY.format(this.#now()) ? entry.used : 0;
  }

  /** Whole hours until the counter restarts at midnight in Bogotá (UTC−5 all year, no DST), rounded up. */
  hoursToRestart(): number {
    const bogota = new Date(this.#now().getTime() - 5 * 3_600_000);
    const msIntoDay = bogota.getTime() % 86_400_000;
    return Math.ceil((86_400_000 - msIntoDay) / 3_600_000);
  }

  /** Calls counted today, per token. */
  usedToday(): Map<string, number> {
    const day = BOGOTA_DAY.format(this.#now());
    const out = new Map<string, number>();
    for (const [token, entry] of this.#used) if (entry.day === day) out.set(token, entry.used);
    return out;
  }

  reset(): void {
    this.#used.clear();
  }
}
