import { randomUUID } from 'node:crypto';
import { checkLease, normalizedTime } from './common.ts';
import { ClaimLostError } from './errors.ts';
import type { Claim, Fingerprints, Ledger, LedgerEntry } from './types.ts';

export interface MemoryLedgerOptions {
  /** Epoch milliseconds; leases are measured with it. */
  now?: () => number;
}

interface EventState {
  status: 'pending' | 'applied';
  token: string;
  leaseUntil: number;
  fingerprints?: Fingerprints;
}

/**
 * The ledger for DISPATCH=direct and tests: one process, nothing persisted, nothing expires.
 * Every method reads and writes its maps without an `await` in between, so concurrent calls
 * cannot interleave inside one: of two simultaneous claims exactly one sees the event free.
 */
export function createMemoryLedger(options: MemoryLedgerOptions = {}): Ledger {
  const { now = Date.now } = options;
  const events = new Map<string, EventState>();
  const newest = new Map<string, string>();

  // Shared by prepare/settle/release: the event must exist and belong to this token.
  function owned(operation: 'prepare' | 'settle' | 'release', entry: LedgerEntry, token: string): EventState {
    const state = events.get(entry.identity);
    if (!state) throw new ClaimLostError(operation, entry.identity, 'the event is not claimed');
    if (state.token !== token) throw new ClaimLostError(operation, entry.identity, 'another attempt owns it');
    return state;
  }

  return {
    async claim(entry, leaseMs) {
      checkLease(leaseMs);
      // Validated here as DynamoDB's claim does, so a bad time fails before anything is written, not at settle.
      normalizedTime(entry);
      const at = now();
      const state = events.get(entry.identity);
      if (state?.status === 'applied') return { status: 'applied' };
      if (state && state.leaseUntil >= at) {
        return { status: 'busy', leaseUntil: new Date(state.leaseUntil).toISOString() };
      }
      const token = randomUUID();
      // Fingerprints survive a takeover so an attempt that dies again before preparing still passes them on.
      const fingerprints = state?.fingerprints;
      events.set(entry.identity, { status: 'pending', token, leaseUntil: at + leaseMs, fingerprints });
      const recordNewest = newest.get(entry.record);
      const claim: Claim = fingerprints
        ? { status: 'recovered', newest: recordNewest, token, fingerprints: { ...fingerprints } }
        : { status: 'claimed', newest: recordNewest, token };
      return claim;
    },

    async prepare(entry, token, fingerprints) {
      const state = owned('prepare', entry, token);
      if (state.status !== 'pending')
        throw new ClaimLostError('prepare', entry.identity, 'it is already applied');
      state.fingerprints = { before: fingerprints.before, after: fingerprints.after };
    },

    async settle(entry, token) {
      const eventTime = normalizedTime(entry);
      // A second settle by the same token (a retry after a lost response) finds it applied: nothing to do twice.
      const state = owned('settle', entry, token);
      state.status = 'applied';
      const current = newest.get(entry.record);
      if (current === undefined || current < eventTime) newest.set(entry.record, eventTime);
    },

    async release(entry, token) {
      const state = events.get(entry.identity);
      // Already gone: a retried release whose first call succeeded.
      if (!state) return;
      owned('release', entry, token);
      if (state.status !== 'pending')
        throw new ClaimLostError('release', entry.identity, 'it is already applied');
      events.delete(entry.identity);
    },
  };
}
