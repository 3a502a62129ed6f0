import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Claim,
  ClaimLostError,
  createDynamoLedger,
  createLedger,
  createMemoryLedger,
  DEFAULT_RETENTION_MS,
  type Ledger,
  type LedgerEntry,
  LedgerUnavailableError,
} from '#lib/ledger/index.ts';
import { type Dynalite, startDynalite } from '#lib/local/dynalite.ts';

const TABLE = 'ledger';
const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const LEASE_MS = 60_000;
const fingerprints = { before: 'balance-100', after: 'balance-60' };

let dynalite: Dynalite | undefined;
beforeAll(async () => {
  dynalite = await startDynalite();
  await dynalite.createTable(TABLE);
});
afterAll(async () => {
  await dynalite?.close();
});

function db(): Dynalite {
  if (!dynalite) throw new Error('dynalite did not start');
  return dynalite;
}

/** An injected clock: leases and TTLs are measured with it, never with the wall clock. */
function clock() {
  let at = T0;
  return {
    now: () => at,
    advance: (ms: number) => {
      at += ms;
    },
  };
}

/** A new identity and record per call, so tests sharing the table never see each other's items. */
function entry(overrides: Partial<LedgerEntry> = {}): LedgerEntry {
  return {
    identity: `stripe:pi_${randomUUID()}`,
    record: `demo:${randomUUID()}:OB-1`,
    kind: 'payment',
    eventTime: '2025-03-01T10:00:00.000Z',
    ...overrides,
  };
}

function tokenOf(claim: Claim): string {
  if (claim.status !== 'claimed' && claim.status !== 'recovered') {
    throw new Error(`expected a claim with a token, got ${claim.status}`);
  }
  return claim.token;
}

async function rawItem(pk: string, sk: string) {
  const { Item } = await db().client.send(
    new GetItemCommand({ TableName: TABLE, Key: { pk: { S: pk }, sk: { S: sk } }, ConsistentRead: true }),
  );
  return Item;
}

const implementations: { name: string; make: (now: () => number) => Ledger }[] = [
  { name: 'memory', make: (now) => createMemoryLedger({ now }) },
  { name: 'dynamodb', make: (now) => createDynamoLedger({ tableName: TABLE, client: db().client, now }) },
];

describe.each(implementations)('$name ledger', ({ make }) => {
  it('claims a new event, with no newest time for a record never written', async () => {
    const ledger = make(clock().now);
    const claim = await ledger.claim(entry(), LEASE_MS);
    expect(claim).toEqual({ status: 'claimed', newest: undefined, token: expect.any(String) });
  });

  it('answers applied for a settled event, however much later', async () => {
    const time = clock();
    const ledger = make(time.now);
    const event = entry();
    await ledger.settle(event, tokenOf(await ledger.claim(event, LEASE_MS)));
    expect(await ledger.claim(event, LEASE_MS)).toEqual({ status: 'applied' });
    time.advance(10 * LEASE_MS);
    expect(await ledger.claim(event, LEASE_MS)).toEqual({ status: 'applied' });
  });

  it("gives a record's next event the newest applied time, normalized to UTC", async () => {
    const ledger = make(clock().now);
    const first = entry({ eventTime: '2025-03-01T09:00:00-03:00' });
    await ledger.settle(first, tokenOf(await ledger.claim(first, LEASE_MS)));
    const next = entry({ record: first.record, eventTime: '2025-03-02T00:00:00.000Z' });
    expect(await ledger.claim(next, LEASE_MS)).toMatchObject({
      status: 'claimed',
      newest: '2025-03-01T12:00:00.000Z',
    });
  });

  it('moves newest forward only: an older event settled after a newer one leaves it', async () => {
    const ledger = make(clock().now);
    const newer = entry({ eventTime: '2025-03-01T11:00:00.000Z' });
    const older = entry({ record: newer.record, eventTime: '2025-03-01T10:00:00.000Z' });
    const newest = entry({ record: newer.record, eventTime: '2025-03-01T12:00:00.000Z' });
    const probe = () => entry({ record: newer.record });

    await ledger.settle(newer, tokenOf(await ledger.claim(newer, LEASE_MS)));
    const olderClaim = await ledger.claim(older, LEASE_MS);
    expect(olderClaim).toMatchObject({ status: 'claimed', newest: '2025-03-01T11:00:00.000Z' });
    await ledger.settle(older, tokenOf(olderClaim));
    expect(await ledger.claim(probe(), LEASE_MS)).toMatchObject({ newest: '2025-03-01T11:00:00.000Z' });

    await ledger.settle(newest, tokenOf(await ledger.claim(newest, LEASE_MS)));
    expect(await ledger.claim(probe(), LEASE_MS)).toMatchObject({ newest: '2025-03-01T12:00:00.000Z' });
  });

  it('says what happened to an event: outcome, when, why and how many attempts', async () => {
    const time = clock();
    const ledger = make(time.now);
    const older = entry({ kind: 'case', eventTime: '2025-03-01T09:00:00.000Z' });
    expect(await ledger.read(older.identity)).toBeUndefined();
    const token = tokenOf(await ledger.claim(older, LEASE_MS));
    expect(await ledger.read(older.identity)).toEqual({
      identity: older.identity,
      record: older.record,
      kind: 'case',
      eventTime: '2025-03-01T09:00:00.000Z',
      status: 'pending',
      attempts: 1,
      leaseUntil: new Date(T0 + LEASE_MS).toISOString(),
    });
    time.advance(5_000);
    await ledger.settle(older, token, { outcome: 'skipped', reason: 'older than the newest resolution' });
    expect(await ledger.read(older.identity)).toEqual({
      identity: older.identity,
      record: older.record,
      kind: 'case',
      eventTime: '2025-03-01T09:00:00.000Z',
      status: 'applied',
      attempts: 1,
      outcome: 'skipped',
      outcomeAt: new Date(T0 + 5_000).toISOString(),
      reason: 'older than the newest resolution',
    });
  });

  it('ends a lease early, keeping the fingerprints: the next claim recovers at once', async () => {
    const time = clock();
    const ledger = make(time.now);
    const event = entry();
    const first = tokenOf(await ledger.claim(event, LEASE_MS));
    await ledger.prepare(event, first, fingerprints);
    time.advance(1_000);
    await ledger.endLease(event, first, time.now());
    time.advance(1);
    expect(await ledger.claim(event, LEASE_MS)).toMatchObject({ status: 'recovered', fingerprints });
    expect(await ledger.read(event.identity)).toMatchObject({ status: 'pending', attempts: 2 });
  });

  it('keeps a shortened lease until its end (a write that may still land), and refuses a stranger', async () => {
    const time = clock();
    const ledger = make(time.now);
    const event = entry();
    const token = tokenOf(await ledger.claim(event, LEASE_MS));
    await ledger.prepare(event, token, fingerprints);
    await ledger.endLease(event, token, T0 + 20_000);
    expect(await ledger.claim(event, LEASE_MS)).toEqual({
      status: 'busy',
      leaseUntil: new Date(T0 + 20_000).toISOString(),
    });
    await expect(ledger.endLease(event, randomUUID(), T0)).rejects.toBeInstanceOf(ClaimLostError);
    time.advance(20_001);
    expect(await ledger.claim(event, LEASE_MS)).toMatchObject({ status: 'recovered' });
  });

  it('parks an event with its reason; a redrive claims it again, recovering its fingerprints', async () => {
    const time = clock();
    const ledger = make(time.now);
    const event = entry();
    const token = tokenOf(await ledger.claim(event, LEASE_MS));
    await ledger.prepare(event, token, fingerprints);
    time.advance(2_000);
    await ledger.park(event, token, 'wolkvox: obligation not found');
    expect(await ledger.read(event.identity)).toMatchObject({
      status: 'parked',
      outcome: 'parked',
      outcomeAt: new Date(T0 + 2_000).toISOString(),
      reason: 'wolkvox: obligation not found',
    });
    // Parked is not applied: settling the old attempt is refused, and a redrive (no lease wait) claims it.
    await expect(ledger.settle(event, token)).rejects.toBeInstanceOf(ClaimLostError);
    const again = await ledger.claim(event, LEASE_MS);
    expect(again).toMatchObject({ status: 'recovered', fingerprints });
    await ledger.settle(event, tokenOf(again));
    expect(await ledger.read(event.identity)).toMatchObject({
      status: 'applied',
      outcome: 'applied',
      attempts: 2,
    });
    expect((await ledger.read(event.identity))?.reason).toBeUndefined();
  });

  it('prepares in the claim itself when given the fingerprints: a takeover recovers them', async () => {
    const time = clock();
    const ledger = make(time.now);
    const event = entry();
    expect(await ledger.claim(event, LEASE_MS, { fingerprints })).toMatchObject({ status: 'claimed' });
    time.advance(LEASE_MS + 1);
    expect(await ledger.claim(event, LEASE_MS)).toMatchObject({ status: 'recovered', fingerprints });
  });

  it("keeps a merged write's alsoBefore states with its fingerprints", async () => {
    const time = clock();
    const ledger = make(time.now);
    const event = entry();
    const merged = { ...fingerprints, alsoBefore: ['balance-90', 'balance-75'] };
    await ledger.prepare(event, tokenOf(await ledger.claim(event, LEASE_MS)), merged);
    time.advance(LEASE_MS + 1);
    expect(await ledger.claim(event, LEASE_MS)).toMatchObject({ status: 'recovered', fingerprints: merged });
  });

  it("keeps an earlier attempt's fingerprints when a prepared claim takes the event over", async () => {
    const time = clock();
    const ledger = make(time.now);
    const event = entry();
    await ledger.prepare(event, tokenOf(await ledger.claim(event, LEASE_MS)), fingerprints);
    time.advance(LEASE_MS + 1);
    const later = { before: 'balance-60', after: 'balance-20' };
    // The earlier write may have landed: its fingerprints come back, and stay for the next takeover.
    expect(await ledger.claim(event, LEASE_MS, { fingerprints: later })).toMatchObject({
      status: 'recovered',
      fingerprints,
    });
    time.advance(LEASE_MS + 1);
    expect(await ledger.claim(event, LEASE_MS)).toMatchObject({ status: 'recovered', fingerprints });
  });

  it("reads the record's newest on its own, and a claim given it reads nothing more", async () => {
    const ledger = make(clock().now);
    const first = entry();
    await ledger.settle(first, tokenOf(await ledger.claim(first, LEASE_MS)));
    const next = entry({ record: first.record, eventTime: '2025-03-01T11:00:00.000Z' });
    expect(await ledger.newest(next)).toBe('2025-03-01T10:00:00.000Z');
    expect(await ledger.newest(entry())).toBeUndefined();
    // The caller's reading is what the claim answers with (here a made-up one, to tell them apart).
    expect(
      await ledger.claim(next, LEASE_MS, { known: { newest: '2025-02-01T00:00:00.000Z' } }),
    ).toMatchObject({ status: 'claimed', newest: '2025-02-01T00:00:00.000Z' });
  });

  it('forgets the fingerprints of a parked claim that never wrote: its redrive starts afresh', async () => {
    const ledger = make(clock().now);
    const event = entry();
    const token = tokenOf(await ledger.claim(event, LEASE_MS, { fingerprints }));
    await ledger.park(event, token, 'the payment exceeds the balance', true);
    expect(await ledger.read(event.identity)).toMatchObject({ status: 'parked' });
    expect(await ledger.claim(event, LEASE_MS)).toMatchObject({ status: 'claimed' });
  });

  it('answers busy while the lease is live, and claims again once it has passed', async () => {
    const time = clock();
    const ledger = make(time.now);
    const event = entry();
    const first = tokenOf(await ledger.claim(event, LEASE_MS));
    time.advance(LEASE_MS);
    expect(await ledger.claim(event, LEASE_MS)).toEqual({
      status: 'busy',
      leaseUntil: new Date(T0 + LEASE_MS).toISOString(),
    });
    time.advance(1);
    const second = await ledger.claim(event, LEASE_MS);
    expect(second).toMatchObject({ status: 'claimed' });
    expect(tokenOf(second)).not.toBe(first);
  });

  it('hands an expired, unprepared claim to a new owner and shuts the old token out', async () => {
    const time = clock();
    const ledger = make(time.now);
    const event = entry();
    const stale = tokenOf(await ledger.claim(event, LEASE_MS));
    time.advance(LEASE_MS + 1);
    const fresh = await ledger.claim(event, LEASE_MS);
    expect(fresh).toEqual({ status: 'claimed', newest: undefined, token: expect.any(String) });
    expect(tokenOf(fresh)).not.toBe(stale);

    await expect(ledger.prepare(event, stale, fingerprints)).rejects.toBeInstanceOf(ClaimLostError);
    await expect(ledger.settle(event, stale)).rejects.toBeInstanceOf(ClaimLostError);
    await expect(ledger.release(event, stale)).rejects.toBeInstanceOf(ClaimLostError);
    await ledger.settle(event, tokenOf(fresh));
    expect(await ledger.claim(event, LEASE_MS)).toEqual({ status: 'applied' });
  });

  it('recovers an expired, prepared claim with its fingerprints, and keeps them for the next takeover', async () => {
    const time = clock();
    const ledger = make(time.now);
    const event = entry();
    await ledger.prepare(event, tokenOf(await ledger.claim(event, LEASE_MS)), fingerprints);
    time.advance(LEASE_MS + 1);
    const recovered = await ledger.claim(event, LEASE_MS);
    expect(recovered).toEqual({
      status: 'recovered',
      newest: undefined,
      token: expect.any(String),
      fingerprints,
    });

    // The recovering attempt dies too, before preparing again: the next one still gets them.
    time.advance(LEASE_MS + 1);
    const again = await ledger.claim(event, LEASE_MS);
    expect(again).toMatchObject({ status: 'recovered', fingerprints });
    await expect(ledger.settle(event, tokenOf(recovered))).rejects.toBeInstanceOf(ClaimLostError);
    await ledger.settle(event, tokenOf(again));
    expect(await ledger.claim(event, LEASE_MS)).toEqual({ status: 'applied' });
  });

  it('rejects prepare, settle and release with a wrong token, changing nothing', async () => {
    const ledger = make(clock().now);
    const event = entry();
    const token = tokenOf(await ledger.claim(event, LEASE_MS));
    const wrong = randomUUID();

    await expect(ledger.prepare(event, wrong, fingerprints)).rejects.toThrow(ClaimLostError);
    await expect(ledger.settle(event, wrong)).rejects.toMatchObject({
      name: 'ClaimLostError',
      operation: 'settle',
      identity: event.identity,
      // The message is retried and claims anew: the worker treats it as any transient failure.
      kind: 'transient',
    });
    await expect(ledger.release(event, wrong)).rejects.toThrow(ClaimLostError);

    // Still the owner's: busy to others, newest untouched, and no fingerprints were recorded.
    expect(await ledger.claim(event, LEASE_MS)).toMatchObject({ status: 'busy' });
    expect(await ledger.claim(entry({ record: event.record }), LEASE_MS)).toMatchObject({
      newest: undefined,
    });
    await ledger.release(event, token);
    expect(await ledger.claim(event, LEASE_MS)).toMatchObject({ status: 'claimed' });
  });

  it('rejects prepare and settle of an event nobody claimed', async () => {
    const ledger = make(clock().now);
    const event = entry();
    await expect(ledger.prepare(event, randomUUID(), fingerprints)).rejects.toThrow(/not claimed/);
    await expect(ledger.settle(event, randomUUID())).rejects.toThrow(/not claimed/);
    expect(await ledger.claim(entry({ record: event.record }), LEASE_MS)).toMatchObject({
      newest: undefined,
    });
  });

  it('lets a released event be claimed at once, fingerprints and all forgotten', async () => {
    const ledger = make(clock().now);
    const event = entry();
    const token = tokenOf(await ledger.claim(event, LEASE_MS));
    await ledger.prepare(event, token, fingerprints);
    await ledger.release(event, token);
    // A retried release whose first call went through is not an error.
    await ledger.release(event, token);
    const again = await ledger.claim(event, LEASE_MS);
    expect(again).toEqual({ status: 'claimed', newest: undefined, token: expect.any(String) });
    expect(tokenOf(again)).not.toBe(token);
  });

  it('accepts a retried settle, and refuses to prepare or release an applied event', async () => {
    const ledger = make(clock().now);
    const event = entry();
    const token = tokenOf(await ledger.claim(event, LEASE_MS));
    await ledger.settle(event, token);
    await ledger.settle(event, token);
    await expect(ledger.prepare(event, token, fingerprints)).rejects.toThrow(/already applied/);
    await expect(ledger.release(event, token)).rejects.toThrow(/already applied/);
    expect(await ledger.claim(event, LEASE_MS)).toEqual({ status: 'applied' });
  });

  it('gives exactly one of 20 concurrent claims the event; the others are busy', async () => {
    const ledger = make(clock().now);
    const event = entry();
    const claims = await Promise.all(Array.from({ length: 20 }, () => ledger.claim(event, LEASE_MS)));
    expect(claims.filter((c) => c.status === 'claimed')).toHaveLength(1);
    expect(claims.filter((c) => c.status === 'busy')).toHaveLength(19);
  });

  it('refuses an invalid event time or lease', async () => {
    const ledger = make(clock().now);
    await expect(ledger.claim(entry({ eventTime: 'yesterday' }), LEASE_MS)).rejects.toThrow(RangeError);
    await expect(ledger.claim(entry(), 0)).rejects.toThrow(RangeError);
  });
});

describe('dynamodb ledger items', () => {
  const ttl = (at: number) => String(Math.ceil((at + DEFAULT_RETENTION_MS) / 1000));

  it('stores pending, prepared and applied events and the record with a TTL in epoch seconds', async () => {
    const time = clock();
    const ledger = createDynamoLedger({ tableName: TABLE, client: db().client, now: time.now });
    const event = entry({ kind: 'case', eventTime: '2025-03-01T07:00:00-05:00' });
    const eventPk = `EVENT#${event.identity}`;
    const token = tokenOf(await ledger.claim(event, LEASE_MS));
    expect(await rawItem(eventPk, 'EVENT')).toEqual({
      pk: { S: eventPk },
      sk: { S: 'EVENT' },
      status: { S: 'pending' },
      token: { S: token },
      leaseUntil: { N: String(T0 + LEASE_MS) },
      record: { S: event.record },
      kind: { S: 'case' },
      eventTime: { S: '2025-03-01T12:00:00.000Z' },
      expiresAt: { N: ttl(T0) },
      attempts: { N: '1' },
    });
    expect(Number((await rawItem(eventPk, 'EVENT'))?.expiresAt?.N)).toBeLessThan(1e10);

    await ledger.prepare(event, token, fingerprints);
    expect((await rawItem(eventPk, 'EVENT'))?.fingerprints).toEqual({
      M: { before: { S: fingerprints.before }, after: { S: fingerprints.after } },
    });

    time.advance(30_000);
    await ledger.settle(event, token);
    expect(await rawItem(eventPk, 'EVENT')).toMatchObject({
      status: { S: 'applied' },
      outcome: { S: 'applied' },
      outcomeAt: { S: new Date(T0 + 30_000).toISOString() },
      expiresAt: { N: ttl(T0 + 30_000) },
    });
    expect(await rawItem(`RECORD#${event.record}`, 'RECORD')).toEqual({
      pk: { S: `RECORD#${event.record}` },
      sk: { S: 'RECORD' },
      newest: { S: '2025-03-01T12:00:00.000Z' },
      kind: { S: 'case' },
      expiresAt: { N: ttl(T0 + 30_000) },
    });
  });

  /** The table's client, logging each call as it is sent (`UpdateItem`, …) and, if asked, answered. */
  function loggingClient(log: string[], answers = false): DynamoDBClient {
    const client = db().client;
    return {
      send: async (command: { constructor: { name: string } }) => {
        const name = command.constructor.name.replace(/Command$/, '');
        log.push(name);
        const output = await client.send(command as never);
        if (answers) log.push(`${name} answered`);
        return output;
      },
    } as unknown as DynamoDBClient;
  }

  it('claims in one round trip: the record is read beside the conditional write', async () => {
    const log: string[] = [];
    const ledger = createDynamoLedger({
      tableName: TABLE,
      client: loggingClient(log, true),
      now: clock().now,
    });
    const first = entry();
    await ledger.settle(first, tokenOf(await ledger.claim(first, LEASE_MS)));
    log.length = 0;
    const claim = await ledger.claim(entry({ record: first.record }), LEASE_MS);
    expect(claim).toMatchObject({ status: 'claimed', newest: '2025-03-01T10:00:00.000Z' });
    expect(log.slice(0, 2)).toEqual(['UpdateItem', 'GetItem']);
  });

  it('claims with the caller-read newest and the fingerprints in one write, reading nothing beside it', async () => {
    const log: string[] = [];
    const ledger = createDynamoLedger({ tableName: TABLE, client: loggingClient(log), now: clock().now });
    const event = entry();
    const claim = await ledger.claim(event, LEASE_MS, { known: { newest: undefined }, fingerprints });
    expect(claim).toMatchObject({ status: 'claimed', newest: undefined });
    expect(log).toEqual(['UpdateItem']);
    expect((await rawItem(`EVENT#${event.identity}`, 'EVENT'))?.fingerprints).toEqual({
      M: { before: { S: fingerprints.before }, after: { S: fingerprints.after } },
    });
  });

  it('settles its own live claim in two writes; a token it did not win, or a lease near its end, is read first', async () => {
    const time = clock();
    const log: string[] = [];
    const mine = createDynamoLedger({ tableName: TABLE, client: loggingClient(log), now: time.now });
    const other = createDynamoLedger({ tableName: TABLE, client: db().client, now: time.now });

    const live = entry();
    const token = tokenOf(await mine.claim(live, LEASE_MS));
    log.length = 0;
    await mine.settle(live, token);
    expect(log).toEqual(['UpdateItem', 'UpdateItem']);

    // Won by another ledger (another container): this one has no claim of its own to go by.
    const elsewhere = entry();
    const theirs = tokenOf(await other.claim(elsewhere, LEASE_MS));
    log.length = 0;
    await mine.settle(elsewhere, theirs);
    expect(log).toEqual(['GetItem', 'UpdateItem', 'UpdateItem']);

    // Within seconds of the lease's end another host's clock may already see it ended: read first.
    const late = entry();
    const lateToken = tokenOf(await mine.claim(late, LEASE_MS));
    time.advance(LEASE_MS - 1_000);
    log.length = 0;
    await mine.settle(late, lateToken);
    expect(log).toEqual(['GetItem', 'UpdateItem', 'UpdateItem']);
  });

  it('refuses the settle of a claim another container took over, leaving the record untouched', async () => {
    const time = clock();
    const first = createDynamoLedger({ tableName: TABLE, client: db().client, now: time.now });
    const second = createDynamoLedger({ tableName: TABLE, client: db().client, now: time.now });
    const event = entry();
    const stale = tokenOf(await first.claim(event, LEASE_MS));
    time.advance(LEASE_MS + 1);
    const fresh = tokenOf(await second.claim(event, LEASE_MS));

    await expect(first.settle(event, stale)).rejects.toMatchObject({
      name: 'ClaimLostError',
      message: expect.stringContaining('another attempt owns it'),
    });
    expect(await rawItem(`RECORD#${event.record}`, 'RECORD')).toBeUndefined();
    await second.settle(event, fresh);
    expect(await first.claim(event, LEASE_MS)).toEqual({ status: 'applied' });
  });

  /** The table's client, failing the next `count` reads of a record item (not of an event item). */
  function failingRecordReads(count: number): DynamoDBClient {
    const client = db().client;
    return {
      send: async (command: { constructor: { name: string }; input: { Key?: { pk?: { S?: string } } } }) => {
        if (
          command.constructor.name === 'GetItemCommand' &&
          command.input.Key?.pk?.S?.startsWith('RECORD#')
        ) {
          if (count-- > 0) throw Object.assign(new Error('throttled'), { name: 'InternalServerError' });
        }
        return client.send(command as never);
      },
    } as unknown as DynamoDBClient;
  }

  /** The table's client, failing the next `count` writes of a record item (not of an event item). */
  function failingRecordWrites(count: number): DynamoDBClient {
    const client = db().client;
    return {
      send: async (command: { constructor: { name: string }; input: { Key?: { pk?: { S?: string } } } }) => {
        if (
          command.constructor.name === 'UpdateItemCommand' &&
          command.input.Key?.pk?.S?.startsWith('RECORD#')
        ) {
          if (count-- > 0) throw Object.assign(new Error('throttled'), { name: 'InternalServerError' });
        }
        return client.send(command as never);
      },
    } as unknown as DynamoDBClient;
  }

  it("settles in one round trip; if only the event's write lands, the redelivery's claim moves newest on", async () => {
    const time = clock();
    const ledger = createDynamoLedger({ tableName: TABLE, client: failingRecordWrites(1), now: time.now });
    const event = entry();
    const token = tokenOf(await ledger.claim(event, LEASE_MS));
    await expect(ledger.settle(event, token)).rejects.toMatchObject({ name: 'LedgerUnavailableError' });
    // The event's write landed beside the failed one: applied, but the record lags behind it.
    expect(await ledger.read(event.identity)).toMatchObject({ status: 'applied' });
    expect(await rawItem(`RECORD#${event.record}`, 'RECORD')).toBeUndefined();
    // The message was not acknowledged: its redelivery finds the event applied and catches the record up.
    expect(await ledger.claim(event, LEASE_MS)).toEqual({ status: 'applied' });
    expect((await rawItem(`RECORD#${event.record}`, 'RECORD'))?.newest?.S).toBe(event.eventTime);
    // So the group's next event, older than this one, is told it is older.
    const older = entry({ record: event.record, eventTime: '2025-03-01T09:00:00.000Z' });
    expect(await ledger.claim(older, LEASE_MS)).toMatchObject({ status: 'claimed', newest: event.eventTime });
  });

  it('does not write the record when the claim showed the event not newer than its newest', async () => {
    const time = clock();
    const log: string[] = [];
    const ledger = createDynamoLedger({ tableName: TABLE, client: loggingClient(log), now: time.now });
    const newer = entry();
    await ledger.settle(newer, tokenOf(await ledger.claim(newer, LEASE_MS)));
    const older = entry({ record: newer.record, eventTime: '2025-03-01T09:00:00.000Z' });
    const token = tokenOf(await ledger.claim(older, LEASE_MS));
    log.length = 0;
    await ledger.settle(older, token, { outcome: 'skipped', reason: 'older' });
    expect(log).toEqual(['UpdateItem']);
    expect((await rawItem(`RECORD#${newer.record}`, 'RECORD'))?.newest?.S).toBe(newer.eventTime);
  });

  it('gives a fresh claim back when the record read beside it fails, so the retry claims at once', async () => {
    const time = clock();
    const ledger = createDynamoLedger({ tableName: TABLE, client: failingRecordReads(1), now: time.now });
    const event = entry();
    await expect(ledger.claim(event, LEASE_MS)).rejects.toMatchObject({
      name: 'LedgerUnavailableError',
      retryable: true,
    });
    expect(await ledger.claim(event, LEASE_MS)).toMatchObject({ status: 'claimed' });
  });

  it('keeps a recovered claim (and its fingerprints) when the record read beside it fails', async () => {
    const time = clock();
    const healthy = createDynamoLedger({ tableName: TABLE, client: db().client, now: time.now });
    const event = entry();
    await healthy.prepare(event, tokenOf(await healthy.claim(event, LEASE_MS)), fingerprints);
    time.advance(LEASE_MS + 1);
    const failing = createDynamoLedger({ tableName: TABLE, client: failingRecordReads(1), now: time.now });
    await expect(failing.claim(event, LEASE_MS)).rejects.toMatchObject({ name: 'LedgerUnavailableError' });
    expect(await healthy.claim(event, LEASE_MS)).toMatchObject({ status: 'busy' });
    time.advance(LEASE_MS + 1);
    expect(await healthy.claim(event, LEASE_MS)).toMatchObject({ status: 'recovered', fingerprints });
  });

  it('answers applied or busy for a lost claim even when the record read beside it fails', async () => {
    const time = clock();
    const healthy = createDynamoLedger({ tableName: TABLE, client: db().client, now: time.now });
    const failing = createDynamoLedger({ tableName: TABLE, client: failingRecordReads(2), now: time.now });
    const done = entry();
    await healthy.settle(done, tokenOf(await healthy.claim(done, LEASE_MS)));
    expect(await failing.claim(done, LEASE_MS)).toEqual({ status: 'applied' });
    const held = entry();
    await healthy.claim(held, LEASE_MS);
    expect(await failing.claim(held, LEASE_MS)).toMatchObject({ status: 'busy' });
  });

  it('sends each call one event-loop turn later, so a wolkvox request waiting to be written goes first', async () => {
    const order: string[] = [];
    const ledger = createDynamoLedger({ tableName: TABLE, client: loggingClient(order), now: clock().now });
    // undici writes a request on a reused keep-alive socket one turn after it is made, like this.
    setImmediate(() => order.push('wolkvox request written'));
    await ledger.claim(entry(), LEASE_MS);
    expect(order).toEqual(['wolkvox request written', 'UpdateItem', 'GetItem']);
  });

  it('turns a missing table into a retryable LedgerUnavailableError', async () => {
    const ledger = createDynamoLedger({ tableName: 'no-such-table', client: db().client });
    await expect(ledger.claim(entry(), LEASE_MS)).rejects.toMatchObject({
      name: 'LedgerUnavailableError',
      retryable: true,
      operation: 'claim',
      awsErrorName: 'ResourceNotFoundException',
    });
  });

  it('turns a refused connection into a retryable LedgerUnavailableError', async () => {
    // A port that was just listening and is now closed: connecting to it is refused at once.
    const server = createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    server.close();
    await once(server, 'close');
    const client = new DynamoDBClient({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    });
    try {
      const ledger = createDynamoLedger({ tableName: TABLE, client });
      const error = await ledger.settle(entry(), randomUUID()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LedgerUnavailableError);
      expect(error).toMatchObject({ retryable: true, operation: 'settle', awsErrorName: 'ECONNREFUSED' });
    } finally {
      client.destroy();
    }
  });
});

describe('createLedger', () => {
  it('uses DynamoDB when a table is named', async () => {
    const ledger = createLedger({ tableName: ` ${TABLE} `, inLambda: true, client: db().client });
    const event = entry();
    await ledger.claim(event, LEASE_MS);
    expect(await rawItem(`EVENT#${event.identity}`, 'EVENT')).toMatchObject({ status: { S: 'pending' } });
  });

  it('uses memory outside Lambda without a table', async () => {
    const ledger = createLedger({ tableName: ' ', inLambda: false });
    const event = entry();
    expect(await ledger.claim(event, LEASE_MS)).toMatchObject({ status: 'claimed' });
    expect(await rawItem(`EVENT#${event.identity}`, 'EVENT')).toBeUndefined();
  });

  it('refuses to run inside Lambda without a table', () => {
    expect(() => createLedger({ tableName: undefined, inLambda: true })).toThrow(/LEDGER_TABLE is required/);
  });
});
