import { randomUUID } from 'node:crypto';
import { APPLIED, checkLease, normalizedTime } from './common.ts';
import { ClaimLostError, type LedgerOperation } from './errors.ts';
import type { Claim, EventRecord, Fingerprints, Ledger, LedgerEntry } from './types.ts';

export interface MemoryLedgerOptions {
  /** Epoch milliseconds; leases are measured with it. */
  now?: () => number;
}

// Callers get copies: what they hold never changes what the ledger holds.
const copy = ({ before, after, alsoBefore }: Fingerprints): Fingerprints =>
  alsoBefore?.length ? { before, after, alsoBefore: [...alsoBefore] } : { before, after };

interface EventState {
  entry: LedgerEntry;
  status: EventRecord['status'];
  token: string;
  leaseUntil: number;
  attempts: number;
  fingerprints?: Fingerprints;
  outcome?: EventRecord['outcome'];
  outcomeAt?: string;
  reason?: string;
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
  const iso = (ms: number) => new Date(ms).toISOString();

  // Shared by every write but claim: the event must exist, belong to this token and be pending.
  function owned(
    operation: Exclude<LedgerOperation, 'claim'>,
    entry: LedgerEntry,
    token: string,
  ): EventState {
    const state = events.get(entry.identity);
    if (!state) throw new ClaimLostError(operation, entry.identity, 'the event is not claimed');
    if (state.token !== token) throw new ClaimLostError(operation, entry.identity, 'another attempt owns it');
    return state;
  }
  function pending(
    operation: Exclude<LedgerOperation, 'claim'>,
    entry: LedgerEntry,
    token: string,
  ): EventState {
    const state = owned(operation, entry, token);
    if (state.status !== 'pending')
      throw new ClaimLostError(operation, entry.identity, `it is already ${state.status}`);
    return state;
  }

  return {
    async claim(entry, leaseMs, options = {}) {
      checkLease(leaseMs);
      // Validated here as DynamoDB's claim does, so a bad time fails before anything is written, not at settle.
      normalizedTime(entry);
      const at = now();
      const state = events.get(entry.identity);
      if (state?.status === 'applied') return { status: 'applied' };
      if (state?.status === 'pending' && state.leaseUntil >= at) {
        return { status: 'busy', leaseUntil: iso(state.leaseUntil) };
      }
      const token = randomUUID();
      // Fingerprints survive a takeover so an attempt that dies again before preparing still passes them on.
      const earlier = state?.fingerprints;
      const fingerprints = earlier ?? (options.fingerprints && copy(options.fingerprints));
      events.set(entry.identity, {
        entry,
        status: 'pending',
        token,
        leaseUntil: at + leaseMs,
        attempts: (state?.attempts ?? 0) + 1,
        fingerprints,
        // A parked event's reason stays until it ends otherwise.
        outcome: state?.outcome,
        outcomeAt: state?.outcomeAt,
        reason: state?.reason,
      });
      const recordNewest = options.known ? options.known.newest : newest.get(entry.record);
      const claim: Claim = earlier
        ? { status: 'recovered', newest: recordNewest, token, fingerprints: copy(earlier) }
        : { status: 'claimed', newest: recordNewest, token };
      return claim;
    },

    async newest(entry) {
      return newest.get(entry.record);
    },

    async prepare(entry, token, fingerprints) {
      const state = pending('prepare', entry, token);
      state.fingerprints = copy(fingerprints);
    },

    async settle(entry, token, settlement = APPLIED) {
      const eventTime = normalizedTime(entry);
      // A second settle by the same token (a retry after a lost response) finds it applied: nothing to do twice.
      const state = owned('settle', entry, token);
      if (state.status === 'parked') throw new ClaimLostError('settle', entry.identity, 'it is parked');
      Object.assign(state, {
        status: 'applied',
        outcome: settlement.outcome,
        outcomeAt: iso(now()),
        reason: settlement.reason,
      });
      const current = newest.get(entry.record);
      if (current === undefined || current < eventTime) newest.set(entry.record, eventTime);
    },

    async release(entry, token) {
      const state = events.get(entry.identity);
      // Already gone: a retried release whose first call succeeded.
      if (!state) return;
      pending('release', entry, token);
      events.delete(entry.identity);
    },

    async endLease(entry, token, leaseUntil) {
      const state = pending('endLease', entry, token);
      state.leaseUntil = Math.min(state.leaseUntil, leaseUntil);
    },

    async park(entry, token, reason, unwritten = false) {
      const state = pending('park', entry, token);
      Object.assign(state, { status: 'parked', outcome: 'parked', outcomeAt: iso(now()), reason });
      if (unwritten) delete state.fingerprints;
    },

    async read(identity) {
      const state = events.get(identity);
      if (!state) return undefined;
      const { entry } = state;
      return {
        identity,
        record: entry.record,
        kind: entry.kind,
        eventTime: normalizedTime(entry),
        status: state.status,
        attempts: state.attempts,
        ...(state.status === 'pending' ? { leaseUntil: iso(state.leaseUntil) } : {}),
        ...(state.outcome ? { outcome: state.outcome, outcomeAt: state.outcomeAt } : {}),
        ...(state.reason === undefined ? {} : { reason: state.reason }),
      };
    },
  };
}
