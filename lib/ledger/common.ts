import type { LedgerEntry, Settlement } from './types.ts';

export const APPLIED: Settlement = { outcome: 'applied' };

/**
 * How long applied events and records are remembered: far past SQS' 14-day retention and every
 * provider's retries — and past any replay that matters, since PayU, ePayco and Adyen sign no time:
 * what stops a captured confirmation from counting twice is the ledger remembering its identity.
 * A year and a month of one small item per payment costs cents.
 */
export const DEFAULT_RETENTION_MS = 400 * 24 * 60 * 60 * 1000;

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
