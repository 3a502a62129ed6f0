// Issue 19 §3: payments to one obligation that meet in one batch cost one read and one write, with
// each payment's ledger guarantees intact (lib/worker/apply-run.ts).
import { describe, expect, it } from 'vitest';
import { loadConfig } from '#lib/config.ts';
import type { ApplyPaymentCommand } from '#lib/events.ts';
import { createMemoryLedger } from '#lib/ledger/memory.ts';
import type { Ledger } from '#lib/ledger/types.ts';
import { localContext } from '#lib/local/runtime.ts';
import { SEED_OBLIGATION_IDS, SEED_RECORD_IDS } from '#lib/sandbox/index.ts';
import { createRuntime, wolkvoxSyncHandler } from '#lib/wiring.ts';
import { localSecretStore, useSandboxAndSqs } from './support/harness.ts';
import { countingLedger, sqsRecord, wompiPayment as payment } from './support/worker.ts';

const harness = useSandboxAndSqs();
const { carlosRamirez: carlos } = SEED_RECORD_IDS;
const { carlosLibreInversion: loan } = SEED_OBLIGATION_IDS;
const START = 1_250_000; // the seeded balance of Carlos' loan, in pesos

function worker(ledger: Ledger, env: Record<string, string> = {}, now?: () => Date) {
  const config = loadConfig({
    WOLKVOX_SERVER: harness.sandbox.url,
    WOLKVOX_OPERATION: 'demo',
    DISPATCH: 'queue',
    QUEUE_URL: 'http://127.0.0.1/000000000000/commands.fifo',
    PARKED_QUEUE_URL: 'http://127.0.0.1/000000000000/parked.fifo',
    LEDGER_TABLE: 'in-memory-for-this-test',
    MERGE_OBLIGATION_PAYMENTS: 'true',
    ...env,
  });
  const runtime = createRuntime(config, {
    secrets: localSecretStore(),
    sqs: harness.sqs.client,
    logLevel: 'SILENT',
    ledger,
    now,
  });
  return wolkvoxSyncHandler(runtime);
}

/** The record of one payment, as its ingress would have queued it. */
const record = (command: ApplyPaymentCommand, receives = 1) =>
  sqsRecord(
    {
      command,
      meta: { provider: 'wompi', eventId: command.payment.paymentId, receivedAt: command.payment.paidAt },
    },
    receives,
  );

const obligation = () =>
  harness.sandbox
    .state()
    .records.find((r) => r.wolkvox_id === carlos)
    ?.obligations.find((o) => o.id === loan);
const calls = () =>
  harness.sandbox
    .requests()
    .filter((r) => r.status !== 0)
    .map((r) => r.endpoint);
const QUERY = 'collections/queryObligation.php';
const UPDATE = 'collections/updateObligation.php';

const first = payment('p-1', 100_000, '2026-11-30T14:00:00.000Z');
const second = payment('p-2', 50_000, '2026-11-30T15:30:00.000Z');
const third = payment('p-3', 25_000, '2026-11-30T16:00:00.000Z');

describe('payments to one obligation in one batch', () => {
  it('two payments: one query and one update, both applied in the ledger, the sum off the balance, last_pay the newest', async () => {
    const ledger = createMemoryLedger();
    const answer = await worker(ledger)(
      { Records: [record(first), record(second)] },
      localContext('wolkvoxSync'),
    );

    expect(answer).toEqual({ batchItemFailures: [] });
    expect(calls()).toEqual([QUERY, UPDATE]);
    expect(obligation()).toMatchObject({ total_balance: String(START - 150_000), last_pay: '50000' });
    for (const p of [first, second]) {
      expect(await ledger.read(p.identity)).toMatchObject({
        status: 'applied',
        outcome: 'applied',
        attempts: 1,
      });
    }
  });

  it("costs the ledger one read of the record's newest, a claim that prepares per payment, and a settle per payment", async () => {
    const inner = createMemoryLedger();
    const calls: string[] = [];
    const counting = countingLedger(inner, calls);
    await worker(counting)({ Records: [record(first), record(second)] }, localContext('wolkvoxSync'));
    expect(calls.toSorted()).toEqual(['claim', 'claim', 'newest', 'settle', 'settle']);
    expect(obligation()?.total_balance).toBe(String(START - 150_000));
  });

  it('leaves a payment already applied, and a second copy in the batch, out of the sum', async () => {
    const ledger = createMemoryLedger();
    const sync = worker(ledger);
    await sync({ Records: [record(first)] }, localContext('wolkvoxSync'));
    harness.sandbox.clearRequests();

    const again = await sync(
      { Records: [record(first), record(second), record(second), record(third)] },
      localContext('wolkvoxSync'),
    );

    expect(again).toEqual({ batchItemFailures: [] });
    expect(calls()).toEqual([QUERY, UPDATE]);
    expect(obligation()).toMatchObject({ total_balance: String(START - 175_000), last_pay: '25000' });
    expect(await ledger.read(first.identity)).toMatchObject({ status: 'applied', attempts: 1 });
    expect(await ledger.read(second.identity)).toMatchObject({ status: 'applied', attempts: 1 });
  });

  it('a failed write: both come back, neither applied, and the retry applies each exactly once', async () => {
    const ledger = createMemoryLedger();
    const sync = worker(ledger);
    harness.sandbox.failNext('error500', 1, UPDATE);
    const records = [record(first), record(second)];

    const failed = await sync({ Records: records }, localContext('wolkvoxSync'));

    expect(failed.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(records.map((r) => r.messageId));
    expect(obligation()?.total_balance).toBe(String(START));
    for (const p of [first, second]) expect((await ledger.read(p.identity))?.status).toBe('pending');

    const retried = await sync(
      { Records: [record(first, 2), record(second, 2)] },
      localContext('wolkvoxSync'),
    );
    expect(retried).toEqual({ batchItemFailures: [] });
    expect(obligation()?.total_balance).toBe(String(START - 150_000));
    for (const p of [first, second])
      expect(await ledger.read(p.identity)).toMatchObject({ status: 'applied', attempts: 2 });
  });

  it('a merged write that never landed, its answer lost: retried one per batch, each payment is applied once, none parked', async () => {
    let clock = Date.parse('2026-11-30T18:00:00.000Z');
    const ledger = createMemoryLedger({ now: () => clock });
    const sync = worker(ledger, { WOLKVOX_TIMEOUT_MS: '2000' }, () => new Date(clock));
    harness.sandbox.failNext('reset', 1, UPDATE);
    const run = [first, second, third];
    const failed = await sync({ Records: run.map((p) => record(p)) }, localContext('wolkvoxSync'));
    expect(failed.batchItemFailures).toHaveLength(3);
    expect(obligation()?.total_balance).toBe(String(START));

    // After the lease the write could still have held, SQS hands them back one per batch: each
    // recovery sees the state its earlier payments left (not the merged write's before) and applies.
    clock += 12_001;
    for (const p of run) {
      expect(await sync({ Records: [record(p, 2)] }, localContext('wolkvoxSync'))).toEqual({
        batchItemFailures: [],
      });
    }
    expect(obligation()).toMatchObject({ total_balance: String(START - 175_000), last_pay: '25000' });
    for (const p of run)
      expect(await ledger.read(p.identity)).toMatchObject({ status: 'applied', outcome: 'applied' });
  });

  it('a merged write that landed, its answer lost: retried one per batch, each payment is recognised as written', async () => {
    let clock = Date.parse('2026-11-30T18:00:00.000Z');
    const ledger = createMemoryLedger({ now: () => clock });
    const lost: Ledger = { ...ledger, settle: async () => Promise.reject(new Error('answer lost')) };
    const run = [first, second, third];
    await worker(
      lost,
      {},
      () => new Date(clock),
    )({ Records: run.map((p) => record(p)) }, localContext('wolkvoxSync'));
    expect(obligation()?.total_balance).toBe(String(START - 175_000));

    clock += 10 * 60_000;
    const sync = worker(ledger, {}, () => new Date(clock));
    for (const p of run) await sync({ Records: [record(p, 2)] }, localContext('wolkvoxSync'));
    expect(obligation()?.total_balance).toBe(String(START - 175_000));
    for (const p of run) {
      expect(await ledger.read(p.identity)).toMatchObject({
        outcome: 'skipped',
        reason: 'the previous attempt had written it before it stopped',
      });
    }
  });

  it('a run gone one by one reads the newest again for each: an older payment after a newer one never sets last_pay', async () => {
    const ledger = createMemoryLedger();
    const newer = payment('p-newer', 1_000_000, '2026-11-30T18:00:00.000Z');
    const older = payment('p-older', 400_000, '2026-11-30T10:00:00.000Z');
    // Together they exceed the balance, so the run goes one by one, each with the claim taken for the run.
    await worker(ledger)({ Records: [record(newer), record(older)] }, localContext('wolkvoxSync'));
    expect(obligation()).toMatchObject({ total_balance: '0', last_pay: '1000000' });
  });

  it('a sum beyond the balance goes one by one: with OBLIGATION_OVERPAYMENT=park only the one that overpays is parked', async () => {
    const ledger = createMemoryLedger();
    const big = payment('p-big', START - 50_000, '2026-11-30T17:00:00.000Z');
    const answer = await worker(ledger, { OBLIGATION_OVERPAYMENT: 'park' })(
      { Records: [record(first), record(big)] },
      localContext('wolkvoxSync'),
    );

    expect(answer).toEqual({ batchItemFailures: [] });
    expect(obligation()?.total_balance).toBe(String(START - 100_000));
    expect(await ledger.read(first.identity)).toMatchObject({ status: 'applied' });
    expect(await ledger.read(big.identity)).toMatchObject({ status: 'parked' });
  });
});
