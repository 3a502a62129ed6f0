/**
 * The ledger: which events were applied to wolkvox, and the newest event applied per wolkvox
 * record. It makes the worker idempotent (an event applied once is never applied again) and
 * ordered (an older state change never overwrites a newer one), across SQS redeliveries, Lambda
 * timeouts and duplicate webhook deliveries. Deployed: DynamoDB; local runs: in memory.
 *
 * The write to wolkvox cannot join a transaction, so an event moves through three states:
 *   claim   → `pending` with a lease (a worker owns it until leaseUntil)
 *   prepare → the obligation/case state it expects before and after its write (fingerprints);
 *             in the claim's own write when the caller knows them before claiming (ClaimOptions)
 *   settle  → `applied`, and the record's newest event time moves forward (never backward)
 * or, when it cannot be applied, park → `parked` with the reason (a redrive may claim it again).
 * A worker that dies between prepare and settle leaves an expired lease; the next claim gets the
 * fingerprints back, so the caller can read wolkvox and tell "already written" from "not yet". An
 * attempt that ends with nothing left in flight ends its lease itself (endLease), so the next
 * delivery need not wait it out.
 *
 * Each event keeps its outcome (applied, skipped or parked), when, and why: "what happened to
 * payment X" is answered by `read` alone.
 */
export type EventKind = 'payment' | 'case';

export interface LedgerEntry {
  /** `<provider>:<payment id>` or `<provider>:<ticket id>:<resolved at>`. */
  identity: string;
  /** The wolkvox record (FIFO group key): `<operation>:<wolkvox id>:<obligation>` or `<operation>:case:<id>`. */
  record: string;
  kind: EventKind;
  /** The event's own time (payment time, resolution time), ISO 8601. */
  eventTime: string;
}

/** The record's state (a digest) before and after the write, so a recovery can tell which it sees. */
export interface Fingerprints {
  before: string;
  after: string;
  /**
   * Other states in which this event has not landed: for a payment merged with earlier ones of
   * its obligation into one write, the states after each of those earlier payments applied alone —
   * what a recovery one by one, in queue order, leaves before reaching this payment.
   */
  alsoBefore?: string[];
}

export interface ClaimOptions {
  /**
   * The record's newest applied event time, read by the caller beforehand (`newest`): the claim
   * then reads nothing beside its write. Safe for the same reason reading it beside the claim is:
   * callers keep one event per record in flight, so nothing settles the record in between.
   */
  known?: { newest: string | undefined };
  /**
   * The fingerprints of the write to come, when the caller knows them before claiming: stored by
   * the claim's own write (no separate prepare) — unless an earlier attempt's are there, which
   * stay and come back (`recovered`): they describe a write that may have landed.
   */
  fingerprints?: Fingerprints;
}

export type Claim =
  /** Nobody applied or holds it: apply it. `newest` is the record's newest applied event time. */
  | { status: 'claimed'; newest: string | undefined; token: string }
  /** A previous attempt died after prepare: check wolkvox against these before writing again. */
  | { status: 'recovered'; newest: string | undefined; token: string; fingerprints: Fingerprints }
  /** Already applied: acknowledge and skip. */
  | { status: 'applied' }
  /** Another worker holds a live lease: retry later. */
  | { status: 'busy'; leaseUntil: string };

/** How an event ended: `skipped` = settled without a write (older than the newest, or found written). */
export type Outcome = 'applied' | 'skipped' | 'parked';

export interface Settlement {
  outcome: Exclude<Outcome, 'parked'>;
  /** Why it was skipped. */
  reason?: string;
}

/** An event as the ledger holds it. */
export interface EventRecord {
  identity: string;
  record: string;
  kind: EventKind;
  eventTime: string;
  status: 'pending' | 'applied' | 'parked';
  /** Claims so far (the first attempt and every retry or redrive). */
  attempts: number;
  /** While pending: until when its current attempt owns it (ISO). */
  leaseUntil?: string;
  outcome?: Outcome;
  /** When it was applied, skipped or parked (ISO). */
  outcomeAt?: string;
  reason?: string;
}

export interface Ledger {
  claim(entry: LedgerEntry, leaseMs: number, options?: ClaimOptions): Promise<Claim>;
  /** The record's newest applied event time (what a claim reads beside its write). */
  newest(entry: LedgerEntry): Promise<string | undefined>;
  /** Records what the write will change; only the claim's owner (token) may prepare. */
  prepare(entry: LedgerEntry, token: string, fingerprints: Fingerprints): Promise<void>;
  /**
   * Marks the event applied (its outcome: applied by default, or skipped with a reason); moves the
   * record's newest event time forward if this one is newer.
   */
  settle(entry: LedgerEntry, token: string, settlement?: Settlement): Promise<void>;
  /** Gives a claim back after a failure that wrote nothing, so a retry can claim at once. */
  release(entry: LedgerEntry, token: string): Promise<void>;
  /**
   * The attempt is over: its lease ends at `leaseUntil` (epoch ms; now, or later while a request of
   * its own may still reach wolkvox). Fingerprints stay, so the next claim recovers.
   */
  endLease(entry: LedgerEntry, token: string, leaseUntil: number): Promise<void>;
  /**
   * The event cannot be applied: parked with the reason; a redrive claims it again. Fingerprints
   * are kept, unless `unwritten` says no write of this event ever started (a fresh claim that
   * prepared and then stopped before writing): the redrive then starts afresh instead of recovering.
   */
  park(entry: LedgerEntry, token: string, reason: string, unwritten?: boolean): Promise<void>;
  /** What the ledger knows of an event. */
  read(identity: string): Promise<EventRecord | undefined>;
}
