import { randomUUID } from 'node:crypto';
import {
  type AttributeValue,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { APPLIED, checkLease, DEFAULT_RETENTION_MS, normalizedTime } from './common.ts';
import { ClaimLostError, errorName, LedgerUnavailableError, type LedgerOperation } from './errors.ts';
import { ledgerTableClient } from './table-client.ts';
import type { Claim, EventKind, EventRecord, Fingerprints, Ledger, LedgerEntry } from './types.ts';

export interface DynamoLedgerOptions {
  /** LEDGER_TABLE: string partition key `pk`, string sort key `sk`, TTL on `expiresAt`. */
  tableName: string;
  /** Default: the container's client for the table (table-client.ts), made on first use. */
  client?: DynamoDBClient;
  /** Epoch milliseconds; leases and TTLs are measured with it. */
  now?: () => number;
  /** How long an event or record item outlives its last write before TTL may delete it. */
  retentionMs?: number;
}

type Item = Record<string, AttributeValue>;

// Every attribute goes through a placeholder: `status`, `token` and `record` collide with DynamoDB's reserved words.
const names = (...attributes: string[]) => Object.fromEntries(attributes.map((a) => [`#${a}`, a]));
const s = (value: string): AttributeValue => ({ S: value });
const n = (value: number): AttributeValue => ({ N: String(value) });
const str = (item: Item | undefined, name: string): string | undefined => item?.[name]?.S;
const num = (item: Item | undefined, name: string): number | undefined => {
  const value = item?.[name]?.N;
  return value === undefined ? undefined : Number(value);
};
const fingerprintsItem = (f: Fingerprints): AttributeValue => ({
  M: {
    before: s(f.before),
    after: s(f.after),
    ...(f.alsoBefore?.length ? { alsoBefore: { L: f.alsoBefore.map(s) } } : {}),
  },
});
function fingerprintsOf(item: Item | undefined): Fingerprints | undefined {
  const map = item?.fingerprints?.M;
  const before = str(map, 'before');
  const after = str(map, 'after');
  const alsoBefore = map?.alsoBefore?.L?.flatMap((v) => (v.S === undefined ? [] : [v.S]));
  if (before === undefined || after === undefined) return undefined;
  return alsoBefore?.length ? { before, after, alsoBefore } : { before, after };
}

const CONDITION_FAILED = Symbol('condition failed');
// A claim that loses its conditional write reads the item to say why; if the item changed again in
// between (released, or its lease just ran out) it tries again, a bounded number of times.
const CLAIM_ATTEMPTS = 3;
// Clocks of different hosts disagree by milliseconds; a lease this far from its end is still ours.
const LEASE_MARGIN_MS = 5_000;

/**
 * The deployed ledger: one DynamoDB table, conditional writes only.
 *   EVENT#<identity> / EVENT   status, token, leaseUntil (epoch ms), fingerprints, record, kind, eventTime,
 *                              attempts, outcome, outcomeAt, reason, expiresAt
 *   RECORD#<record>  / RECORD  newest (ISO UTC event time), expiresAt
 * Not Powertools idempotency: its in-progress/completed records have no prepare step (the fingerprints
 * a recovering attempt needs) and no per-record newest time, and both fit in two conditional items.
 *
 * A payment's calls, and what each buys (a one-PutItem marker has none of it):
 *   1. claim + prepare: the event's conditional UpdateItem that takes the lease and stores the
 *      fingerprints of the write the worker worked out from its wolkvox read (ALL_OLD: a dead
 *      attempt's fingerprints come back instead, and stay) — exactly-once, and durable before the
 *      wolkvox write, so a worker that dies mid-write leaves enough for the next attempt to tell
 *      "written" from "not yet";
 *   2. beside it, in the same round trip, the record's newest time (GetItem) — the order of state
 *      changes (an older payment reduces the balance but never sets last_pay). The worker planned
 *      the write as the record's newest; an older payment plans again and prepares in a call of its
 *      own (out of order, the exception);
 *   3. settle: the record's newest forward beside the event marked applied with its outcome (see
 *      settle for why side by side is safe); the record's write is left out when the event is not
 *      newer than the record's newest.
 * A batch's merged payments read the record's newest ahead instead (`known`), beside their one
 * wolkvox read: the run's write depends on which of them are older.
 */
export function createDynamoLedger(options: DynamoLedgerOptions): Ledger {
  const { tableName: TableName, now = Date.now, retentionMs = DEFAULT_RETENTION_MS } = options;
  let client = options.client;
  // The claims this ledger won, by event: while one's lease has time left nobody can take it over
  // (a claim needs the lease to have ended), so settling it needs no ownership read.
  // Each keeps the record's newest time read beside its claim: settle skips moving it when this
  // event is not newer (nothing settles the record in between, see claim).
  const won = new Map<string, { token: string; leaseUntil: number; newest: string | undefined }>();

  async function send<T>(
    operation: LedgerOperation,
    identity: string,
    request: (client: DynamoDBClient) => Promise<T>,
  ): Promise<T | typeof CONDITION_FAILED> {
    client ??= ledgerTableClient();
    try {
      // One event-loop turn first: undici writes a request on a reused keep-alive socket only a
      // turn after it is made, and a wolkvox slot is worth more than a ledger call's millisecond
      // (the SDK builds and signs each call on the loop for about a millisecond of CPU).
      await new Promise(setImmediate);
      return await request(client);
    } catch (error) {
      if (errorName(error) === 'ConditionalCheckFailedException') return CONDITION_FAILED;
      throw new LedgerUnavailableError(operation, identity, error);
    }
  }

  const eventKey = (identity: string): Item => ({ pk: s(`EVENT#${identity}`), sk: s('EVENT') });
  const recordKey = (record: string): Item => ({ pk: s(`RECORD#${record}`), sk: s('RECORD') });
  const expiresAt = (at: number) => n(Math.ceil((at + retentionMs) / 1000));

  async function readEvent(operation: LedgerOperation, identity: string): Promise<Item | undefined> {
    const output = await send(operation, identity, (c) =>
      c.send(new GetItemCommand({ TableName, Key: eventKey(identity), ConsistentRead: true })),
    );
    // GetItem has no condition; the symbol cannot come back, but the type says it could.
    return output === CONDITION_FAILED ? undefined : output.Item;
  }

  async function readNewest(entry: LedgerEntry): Promise<string | undefined> {
    const output = await send('claim', entry.identity, (c) =>
      c.send(new GetItemCommand({ TableName, Key: recordKey(entry.record), ConsistentRead: true })),
    );
    return output === CONDITION_FAILED ? undefined : str(output.Item, 'newest');
  }

  /**
   * Takes the event if it is free, or pending with an expired lease. Fingerprints are kept: they
   * belong to the event, not the attempt.
   */
  function writeClaim(
    entry: LedgerEntry,
    eventTime: string,
    token: string,
    at: number,
    leaseMs: number,
    fingerprints: Fingerprints | undefined,
  ) {
    return send('claim', entry.identity, (c) =>
      c.send(
        new UpdateItemCommand({
          TableName,
          Key: eventKey(entry.identity),
          // A parked event is claimed again by its redrive (or a provider's new delivery).
          ConditionExpression:
            'attribute_not_exists(#pk) OR (#status = :pending AND #leaseUntil < :now) OR #status = :parked',
          UpdateExpression:
            'SET #status = :pending, #token = :token, #leaseUntil = :leaseUntil, #record = :record, ' +
            '#kind = :kind, #eventTime = :eventTime, #expiresAt = :expiresAt' +
            // Prepared in the same write; an earlier attempt's fingerprints stay (ALL_OLD returns them).
            (fingerprints ? ', #fingerprints = if_not_exists(#fingerprints, :fingerprints)' : '') +
            ' ADD #attempts :one',
          ExpressionAttributeNames: names(
            'pk',
            'status',
            'token',
            'leaseUntil',
            'record',
            'kind',
            'eventTime',
            'expiresAt',
            'attempts',
            ...(fingerprints ? ['fingerprints'] : []),
          ),
          ExpressionAttributeValues: {
            ':pending': s('pending'),
            ':parked': s('parked'),
            ':one': n(1),
            ':now': n(at),
            ':token': s(token),
            ':leaseUntil': n(at + leaseMs),
            ':record': s(entry.record),
            ':kind': s(entry.kind),
            ':eventTime': s(eventTime),
            ':expiresAt': expiresAt(at),
            ...(fingerprints ? { ':fingerprints': fingerprintsItem(fingerprints) } : {}),
          },
          ReturnValues: 'ALL_OLD',
        }),
      ),
    );
  }

  /** Moves the record's newest time forward to `eventTime`; an older or equal one leaves it. */
  async function advanceNewest(
    operation: 'claim' | 'settle',
    entry: LedgerEntry,
    eventTime: string,
    at: number,
  ): Promise<void> {
    await send(operation, entry.identity, (c) =>
      c.send(
        new UpdateItemCommand({
          TableName,
          Key: recordKey(entry.record),
          ConditionExpression: 'attribute_not_exists(#newest) OR #newest < :eventTime',
          UpdateExpression: 'SET #newest = :eventTime, #kind = :kind, #expiresAt = :expiresAt',
          ExpressionAttributeNames: names('newest', 'kind', 'expiresAt'),
          ExpressionAttributeValues: {
            ':eventTime': s(eventTime),
            ':kind': s(entry.kind),
            ':expiresAt': expiresAt(at),
          },
        }),
      ),
    );
  }

  /** Claims whose settle never came (the attempt failed mid-write) would otherwise pile up. */
  function forgetEndedLeases(at: number): void {
    if (won.size < 100) return;
    for (const [identity, claim] of won) if (claim.leaseUntil <= at) won.delete(identity);
  }

  /** Gives a claim back: only its owner's, and only while pending. */
  async function release(entry: LedgerEntry, token: string): Promise<void> {
    const output = await send('release', entry.identity, (c) =>
      c.send(
        new DeleteItemCommand({
          TableName,
          Key: eventKey(entry.identity),
          ConditionExpression: '#status = :pending AND #token = :token',
          ExpressionAttributeNames: names('status', 'token'),
          ExpressionAttributeValues: { ':pending': s('pending'), ':token': s(token) },
        }),
      ),
    );
    if (output !== CONDITION_FAILED) {
      won.delete(entry.identity);
      return;
    }
    const item = await readEvent('release', entry.identity);
    // Already gone: a retried release whose first call succeeded.
    if (!item) return;
    throw new ClaimLostError('release', entry.identity, rejection(item, token) ?? 'it is already applied');
  }

  /** An update of a pending event by its owner; the attempt's claim is forgotten either way. */
  async function updatePending(
    operation: 'endLease' | 'park',
    entry: LedgerEntry,
    token: string,
    UpdateExpression: string,
    values: Item,
  ): Promise<void> {
    won.delete(entry.identity);
    const attributes = [...UpdateExpression.matchAll(/#(\w+)/g)].map((m) => m[1] ?? '');
    const output = await send(operation, entry.identity, (c) =>
      c.send(
        new UpdateItemCommand({
          TableName,
          Key: eventKey(entry.identity),
          ConditionExpression: '#status = :pending AND #token = :token',
          UpdateExpression,
          ExpressionAttributeNames: names('status', 'token', ...attributes),
          ExpressionAttributeValues: { ':pending': s('pending'), ':token': s(token), ...values },
        }),
      ),
    );
    if (output !== CONDITION_FAILED) return;
    const item = await readEvent(operation, entry.identity);
    throw new ClaimLostError(
      operation,
      entry.identity,
      rejection(item, token) ?? `it is already ${str(item, 'status') ?? 'gone'}`,
    );
  }

  /** Why `token` may not touch the event, or undefined if it still owns it. */
  function rejection(item: Item | undefined, token: string): string | undefined {
    if (!item) return 'the event is not claimed';
    if (str(item, 'token') !== token) return 'another attempt owns it';
    if (str(item, 'status') === 'parked') return 'it is parked';
    return undefined;
  }

  return {
    async claim(entry, leaseMs, options = {}) {
      checkLease(leaseMs);
      const { known, fingerprints: prepared } = options;
      const eventTime = normalizedTime(entry);
      for (let attempt = 1; ; attempt++) {
        const at = now();
        const token = randomUUID();
        // The record's newest time is read beside the claim, not after it: a batch's first wolkvox
        // call waits on both. Nothing settles this record in between, as callers keep one event per
        // record in flight (a FIFO group in deployments, lib/dispatch/serialize.ts in a direct-dispatch
        // process), and a Lambda past its timeout is stopped long before its lease ends.
        const [written, read] = await Promise.allSettled([
          writeClaim(entry, eventTime, token, at, leaseMs, prepared),
          known ? known.newest : readNewest(entry),
        ]);
        if (written.status === 'rejected') throw written.reason;
        const output = written.value;
        if (output !== CONDITION_FAILED) {
          const fingerprints = fingerprintsOf(output.Attributes);
          if (read.status === 'rejected') {
            // Won, but unusable without the record's newest time. A fresh claim is given back so the
            // retry need not wait out the lease; a recovered one keeps its lease (and fingerprints).
            if (!fingerprints) await release(entry, token).catch(() => undefined);
            throw read.reason;
          }
          forgetEndedLeases(at);
          const newest = read.value;
          won.set(entry.identity, { token, leaseUntil: at + leaseMs, newest });
          const claim: Claim = fingerprints
            ? { status: 'recovered', newest, token, fingerprints }
            : { status: 'claimed', newest, token };
          return claim;
        }
        const item = await readEvent('claim', entry.identity);
        if (str(item, 'status') === 'applied') {
          // settle writes the event and the record side by side: if only the event's write landed,
          // the record's newest lags, and this redelivery (the FIFO group waits for it) moves it on
          // before the event is acknowledged. Never wrong: an applied event's time is a time applied.
          await advanceNewest('claim', entry, str(item, 'eventTime') ?? eventTime, now());
          return { status: 'applied' };
        }
        const leaseUntil = num(item, 'leaseUntil');
        if (leaseUntil !== undefined && leaseUntil >= now()) {
          return { status: 'busy', leaseUntil: new Date(leaseUntil).toISOString() };
        }
        // Still contended after every attempt (released or expiring each time we looked): let SQS retry it.
        if (attempt >= CLAIM_ATTEMPTS) {
          return { status: 'busy', leaseUntil: new Date(leaseUntil ?? now()).toISOString() };
        }
      }
    },

    newest: readNewest,

    async prepare(entry, token, fingerprints) {
      const output = await send('prepare', entry.identity, (c) =>
        c.send(
          new UpdateItemCommand({
            TableName,
            Key: eventKey(entry.identity),
            ConditionExpression: '#status = :pending AND #token = :token',
            UpdateExpression: 'SET #fingerprints = :fingerprints',
            ExpressionAttributeNames: names('status', 'token', 'fingerprints'),
            ExpressionAttributeValues: {
              ':pending': s('pending'),
              ':token': s(token),
              ':fingerprints': fingerprintsItem(fingerprints),
            },
          }),
        ),
      );
      if (output !== CONDITION_FAILED) return;
      const item = await readEvent('prepare', entry.identity);
      throw new ClaimLostError('prepare', entry.identity, rejection(item, token) ?? 'it is already applied');
    },

    /*
     * Not one TransactWriteItems: DynamoDB has no max(), so the record's "only forward" condition
     * would cancel the whole transaction for an older event (and dynalite, the tests' DynamoDB, has
     * no transactions). Instead:
     *   1. read the event: a wrong token is rejected before anything changes (skipped for a claim this
     *      ledger won whose lease has time left: nobody else can hold it);
     *   2. in one round trip, side by side: move the record's newest forward (a conditional update;
     *      "not newer" is fine, and it is not sent at all when the claim's read showed this event
     *      not newer), and mark the event applied if the token still owns it.
     * settle runs only after the wolkvox write happened, so advancing newest is true whatever else
     * fails. If only the record's write lands, the event stays pending with its fingerprints and the
     * redelivery recovers it (seeing newest equal to its own time, not older). If only the event's
     * lands, settle still fails, the message is not acknowledged, and the redelivery's claim finds
     * the event applied and moves newest on before acknowledging it (claim above): the FIFO group's
     * next event never sees a newest that lags an applied one. (It took two round trips, record
     * first, before that catch-up existed.)
     */
    async settle(entry, token, settlement = APPLIED) {
      const eventTime = normalizedTime(entry);
      const ours = won.get(entry.identity);
      const live = ours?.token === token && now() < ours.leaseUntil - LEASE_MARGIN_MS;
      if (!live) {
        const why = rejection(await readEvent('settle', entry.identity), token);
        if (why) throw new ClaimLostError('settle', entry.identity, why);
      }

      const at = now();
      const newer = !live || ours.newest === undefined || ours.newest < eventTime;
      const [advanced, marked] = await Promise.allSettled([
        newer ? advanceNewest('settle', entry, eventTime, at) : undefined,
        // Pending or already applied by this same token (a retried settle): both end applied.
        send('settle', entry.identity, (c) =>
          c.send(
            new UpdateItemCommand({
              TableName,
              Key: eventKey(entry.identity),
              ConditionExpression: '#token = :token AND #status <> :parked',
              UpdateExpression:
                'SET #status = :applied, #expiresAt = :expiresAt, #outcome = :outcome, #outcomeAt = :outcomeAt' +
                (settlement.reason === undefined ? ' REMOVE #reason' : ', #reason = :reason'),
              ExpressionAttributeNames: names(
                'token',
                'status',
                'expiresAt',
                'outcome',
                'outcomeAt',
                'reason',
              ),
              ExpressionAttributeValues: {
                ':token': s(token),
                ':applied': s('applied'),
                ':parked': s('parked'),
                ':expiresAt': expiresAt(at),
                ':outcome': s(settlement.outcome),
                ':outcomeAt': s(new Date(at).toISOString()),
                ...(settlement.reason === undefined ? {} : { ':reason': s(settlement.reason) }),
              },
            }),
          ),
        ),
      ]);
      if (advanced.status === 'rejected') throw advanced.reason;
      if (marked.status === 'rejected') throw marked.reason;
      if (marked.value === CONDITION_FAILED) {
        throw new ClaimLostError('settle', entry.identity, 'another attempt took it over while settling');
      }
      won.delete(entry.identity);
    },

    release,

    async endLease(entry, token, leaseUntil) {
      await updatePending('endLease', entry, token, 'SET #leaseUntil = :leaseUntil', {
        ':leaseUntil': n(leaseUntil),
      });
    },

    async park(entry, token, reason, unwritten = false) {
      const at = now();
      await updatePending(
        'park',
        entry,
        token,
        'SET #status = :parked, #outcome = :parked, #outcomeAt = :outcomeAt, #reason = :reason, #expiresAt = :expiresAt' +
          (unwritten ? ' REMOVE #fingerprints' : ''),
        {
          ':parked': s('parked'),
          ':outcomeAt': s(new Date(at).toISOString()),
          ':reason': s(reason),
          ':expiresAt': expiresAt(at),
        },
      );
    },

    async read(identity) {
      const item = await readEvent('read', identity);
      if (!item) return undefined;
      const status = str(item, 'status') as EventRecord['status'];
      const leaseUntil = num(item, 'leaseUntil');
      const outcome = str(item, 'outcome') as EventRecord['outcome'];
      const reason = str(item, 'reason');
      return {
        identity,
        record: str(item, 'record') ?? '',
        kind: (str(item, 'kind') ?? 'payment') as EventKind,
        eventTime: str(item, 'eventTime') ?? '',
        status,
        attempts: num(item, 'attempts') ?? 1,
        ...(status === 'pending' && leaseUntil !== undefined
          ? { leaseUntil: new Date(leaseUntil).toISOString() }
          : {}),
        ...(outcome ? { outcome, outcomeAt: str(item, 'outcomeAt') } : {}),
        ...(reason === undefined ? {} : { reason }),
      };
    },
  };
}
