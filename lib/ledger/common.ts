import type { LedgerEntry, Settlement } from './types.ts';

export const APPLIED: Settlement = { outcome: 'applied' };

/** How long applied events and records are remembered: well past SQS' 14-day maximum retention and providers' retry windows. */
export const DEFAULT_RETENTION_MS = 35 * 24 * 60 * 60 * 1000;

/**
 * The entry's event time as `new Date(t).toISOString()`: UTC with milliseconds, so the record's
 * newest time can be compared as a string (DynamoDB's `<` on strings is lexicographic).
 */
export function normalizedTime(entry: LedgerEntry): string {
  const ms = Date.parse(entry.eventTime);
  if (Number.isNaN(ms)) throw new RangeError(`Ledger entry "${entry.identity}" has an invalid eventTime`);
  return new Date(ms).toISOString();
}

export function checkLease(leaseMs: number): void {
  if (!Number.isFinite(leaseMs) || leaseMs <= 0) {
    throw new RangeError(`leaseMs must be a positive number of milliseconds, got ${leaseMs}`);
  }
}
