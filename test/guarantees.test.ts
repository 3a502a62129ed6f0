import { describe, expect, it } from 'vitest';
import { loadConfig } from '#lib/config.ts';
import type { DirectDispatch } from '#lib/dispatch/direct.ts';
import type { UpdateCaseCommand } from '#lib/events.ts';
import { createMemoryLedger } from '#lib/ledger/memory.ts';
import type { Ledger } from '#lib/ledger/types.ts';
import { SEED_CASE_IDS, SEED_OBLIGATION_IDS, SEED_RECORD_IDS } from '#lib/sandbox/index.ts';
import { createRuntime } from '#lib/wiring.ts';
import { ledgerEntry, obligationPrint } from '#lib/worker/apply.ts';
import { localSecretStore, useSandboxAndSqs } from './support/harness.ts';
import { countingLedger, wompiPayment as payment } from './support/worker.ts';

const harness = useSandboxAndSqs();
const { carlosRamirez: carlos } = SEED_RECORD_IDS;
const loan = SEED_OBLIGATION_IDS.carlosLibreInversion; // balance 1,250,000; last_pay 350,000 on 15-10-2024

function dispatch(ledger: Ledger = createMemoryLedger(), env: Record<string, string> = {}, now?: () => Date) {
  const config = loadConfig({
    WOLKVOX_SERVER: harness.sandbox.url,
    WOLKVOX_OPERATION: 'demo',
    DISPATCH: 'direct',
    ...env,
  });
  const runtime = createRuntime(config, { secrets: localSecretStore(), logLevel: 'SILENT', ledger, now });
  return runtime.dispatch as DirectDispatch;
}

const meta = (eventId: string) => ({ provider: 'wompi', eventId });
/** `ledger`, with the connection reset on the wolkvox write after each claim (the claim prepares). */
const resetOnWrite = (ledger: Ledger): Ledger => ({
  ...ledger,
  claim: async (...args) => {
    const claim = await ledger.claim(...args);
    harness.sandbox.failNext('reset');
    return claim;
  },
});
const obligation = () =>
  harness.sandbox
    .state()
    .records.find((r) => r.wolkvox_id === carlos)
    ?.obligations.find((o) => o.id === loan);

describe('exactly once, in the right order', () => {
  it('applies a payment once however often it is delivered', async () => {
    const direct = dispatch();
    const first = await direct.submit(payment('tx-1', 100_000, '2026-11-20T15:00:00Z'), meta('d1'));
    const again = await direct.submit(payment('tx-1', 100_000, '2026-11-20T15:00:00Z'), meta('d2'));
    expect([first.status, again]).toEqual(['applied', { status: 'skipped', reason: 'already applied' }]);
    expect(obligation()?.total_balance).toBe('1150000');
  });

  it('counts two payments to one obligation arriving at the same moment (no lost update)', async () => {
    harness.sandbox.setFaults({ latencyMs: 30 });
    const direct = dispatch();
    await Promise.all([
      direct.submit(payment('tx-a', 100_000, '2026-11-20T15:00:00Z'), meta('a')),
      direct.submit(payment('tx-b', 50_000, '2026-11-20T15:01:00Z'), meta('b')),
    ]);
    expect(obligation()?.total_balance).toBe('1100000');
  });

  it('an older payment arriving late still reduces the balance, but last_pay stays the newest', async () => {
    const direct = dispatch();
    await direct.submit(payment('tx-new', 200_000, '2026-11-21T15:00:00Z'), meta('n'));
    await direct.submit(payment('tx-old', 100_000, '2026-11-19T15:00:00Z'), meta('o'));
    expect(obligation()).toMatchObject({
      total_balance: '950000',
      last_pay: '200000',
      last_pay_date: '21-11-2026',
    });
  });

  it('an older resolution of a case never overwrites a newer one', async () => {
    const direct = dispatch();
    const resolution = (resolvedAt: string, solution: string): UpdateCaseCommand => ({
      kind: 'updateCase',
      identity: `zendesk:4521:${resolvedAt}`,
      provider: 'zendesk',
      resolvedAt,
      target: { operation: 'demo', wolkvoxId: SEED_CASE_IDS.acuerdoPago },
      update: { status: 'Resuelto', solution },
      attachments: [],
    });
    await direct.submit(resolution('2026-11-22T10:00:00.000Z', 'newer'), meta('r2'));
    const late = await direct.submit(resolution('2026-11-21T10:00:00.000Z', 'older'), meta('r1'));
    expect(late).toEqual({
      status: 'skipped',
      reason: 'older than the newest resolution applied to the case',
    });
    expect(
      harness.sandbox.state().cases.find((c) => c.wolkvox_id === SEED_CASE_IDS.acuerdoPago)?.solution,
    ).toBe('newer');
  });

  it('a worker that stopped after writing to wolkvox but before recording it does not apply twice', async () => {
    let clock = Date.parse('2026-11-20T16:00:00Z');
    const ledger = createMemoryLedger({ now: () => clock });
    // The first attempt writes, then "dies" before settling (its settle throws).
    const dying: Ledger = { ...ledger, settle: async () => Promise.reject(new Error('Lambda timed out')) };
    await expect(
      dispatch(dying).submit(payment('tx-c', 100_000, '2026-11-20T15:00:00Z'), meta('c1')),
    ).rejects.toThrow();
    expect(obligation()?.total_balance).toBe('1150000');
    // A redelivery inside the lease waits; after it, the ledger hands back the fingerprints.
    await expect(
      dispatch(ledger).submit(payment('tx-c', 100_000, '2026-11-20T15:00:00Z'), meta('c2')),
    ).rejects.toMatchObject({
      name: 'EventBusyError',
      component: 'ledger',
      kind: 'transient',
      message: expect.stringMatching(/another attempt holds/),
    });
    clock += 10 * 60_000;
    const recovered = await dispatch(ledger).submit(
      payment('tx-c', 100_000, '2026-11-20T15:00:00Z'),
      meta('c3'),
    );
    expect(recovered).toEqual({
      status: 'skipped',
      reason: 'the previous attempt had written it before it stopped',
    });
    expect(obligation()?.total_balance).toBe('1150000');
  });

  it('a read that failed wrote nothing, so the redelivery applies at once', async () => {
    const ledger = createMemoryLedger();
    harness.sandbox.failNext('reset');
    await expect(
      dispatch(ledger).submit(payment('tx-d', 100_000, '2026-11-20T15:00:00Z'), meta('d1')),
    ).rejects.toThrow();
    expect(
      (await dispatch(ledger).submit(payment('tx-d', 100_000, '2026-11-20T15:00:00Z'), meta('d2'))).status,
    ).toBe('applied');
    expect(obligation()?.total_balance).toBe('1150000');
  });

  it('a write whose fate is unknown is checked against wolkvox and applied once', async () => {
    let clock = Date.parse('2026-11-20T16:00:00Z');
    const ledger = createMemoryLedger({ now: () => clock });
    // The connection drops on the write itself: it may or may not have landed (here: not).
    const cut = resetOnWrite(ledger);
    await expect(
      dispatch(cut).submit(payment('tx-e', 100_000, '2026-11-20T15:00:00Z'), meta('e1')),
    ).rejects.toThrow();
    expect(obligation()?.total_balance).toBe('1250000');
    clock += 10 * 60_000;
    expect(
      (await dispatch(ledger).submit(payment('tx-e', 100_000, '2026-11-20T15:00:00Z'), meta('e2'))).status,
    ).toBe('applied');
    expect(obligation()?.total_balance).toBe('1150000');
  });
});

describe('recovering an unknown write', () => {
  it('a write with no answer holds its lease for the request timeout plus 10 s, then the next delivery recovers', async () => {
    const start = Date.parse('2026-11-20T16:00:00Z');
    let clock = start;
    const now = () => new Date(clock);
    const ledger = createMemoryLedger({ now: () => clock });
    const cut = resetOnWrite(ledger);
    const env = { WOLKVOX_TIMEOUT_MS: '2000' };
    const deliver = (via: Ledger, id: string) =>
      dispatch(via, env, now).submit(payment('tx-g', 100_000, '2026-11-20T15:00:00Z'), meta(id));
    await expect(deliver(cut, 'g1')).rejects.toThrow(/network error/);
    // The request may still be under way at wolkvox: nobody writes again before it cannot land.
    await expect(deliver(ledger, 'g2')).rejects.toMatchObject({
      name: 'EventBusyError',
      leaseUntil: new Date(start + 2_000 + 10_000).toISOString(),
    });
    clock += 12_001;
    expect((await deliver(ledger, 'g3')).status).toBe('applied');
    expect(obligation()?.total_balance).toBe('1150000');
    expect(await ledger.read('wompi:tx-g')).toMatchObject({ outcome: 'applied', attempts: 2 });
  });

  it('reads wolkvox again on recovery: a late write that lands after the read ahead is recognised', async () => {
    let clock = Date.parse('2026-11-20T16:00:00Z');
    const now = () => new Date(clock);
    const ledger = createMemoryLedger({ now: () => clock });
    const env = { WOLKVOX_TIMEOUT_MS: '2000' };
    const deliver = (via: Ledger, id: string) =>
      dispatch(via, env, now).submit(payment('tx-h', 100_000, '2026-11-20T15:00:00Z'), meta(id));
    const cut = resetOnWrite(ledger);
    await expect(deliver(cut, 'h1')).rejects.toThrow(/network error/);
    clock += 12_001;
    // The next delivery reads the obligation ahead of its claim; the first attempt's write lands
    // just after (the same write, made here by a worker with a ledger of its own).
    const late: Ledger = {
      ...ledger,
      claim: async (...args) => {
        await dispatch(createMemoryLedger()).submit(
          payment('tx-h', 100_000, '2026-11-20T15:00:00Z'),
          meta('x'),
        );
        return ledger.claim(...args);
      },
    };
    expect(await deliver(late, 'h2')).toEqual({
      status: 'skipped',
      reason: 'the previous attempt had written it before it stopped',
    });
    expect(obligation()?.total_balance).toBe('1150000');
  });

  it('spends two ledger calls on a payment: the claim that prepares (reading the record beside it), the settle', async () => {
    const inner = createMemoryLedger();
    const calls: string[] = [];
    const counting = countingLedger(inner, calls);
    expect(
      (await dispatch(counting).submit(payment('tx-i', 100_000, '2026-11-20T15:00:00Z'), meta('i'))).status,
    ).toBe('applied');
    // The record's newest time is read by the claim, beside its own write (DynamoDB: a GetItem
    // beside the UpdateItem), not ahead of it.
    expect(calls).toEqual(['claim', 'settle']);
    // A duplicate costs one wolkvox read (ahead of the claim) and nothing else.
    const reads = harness.sandbox.requests().length;
    calls.length = 0;
    expect(
      await dispatch(counting).submit(payment('tx-i', 100_000, '2026-11-20T15:00:00Z'), meta('i2')),
    ).toEqual({
      status: 'skipped',
      reason: 'already applied',
    });
    expect(calls).toEqual(['claim']);
    expect(
      harness.sandbox
        .requests()
        .slice(reads)
        .map((r) => r.endpoint),
    ).toEqual(['collections/queryObligation.php']);
  });

  it('an older payment than one applied is planned again after its claim, and prepares that write', async () => {
    let clock = Date.parse('2026-11-20T16:00:00Z');
    const ledger = createMemoryLedger({ now: () => clock });
    const calls: string[] = [];
    const counting = countingLedger(ledger, calls);
    await dispatch(ledger).submit(payment('tx-new', 100_000, '2026-11-20T15:00:00Z'), meta('n'));
    // Planned ahead as the record's newest (setting last_pay), its claim finds a newer one applied.
    const older = payment('tx-old', 30_000, '2026-11-20T09:00:00Z');
    const lost: Ledger = { ...counting, settle: async () => Promise.reject(new Error('answer lost')) };
    await expect(dispatch(lost).submit(older, meta('o1'))).rejects.toThrow('answer lost');
    // (Its settle lost, the attempt ends its lease, as a failed one does.)
    expect(calls).toEqual(['claim', 'prepare', 'endLease']);
    expect(obligation()).toMatchObject({ total_balance: '1120000', last_pay: '100000' });
    // Its answer was lost: the recovery recognises the write it made (the older plan's), because
    // the prepare replaced the fingerprints the claim had stored for the newest plan.
    clock += 10 * 60_000;
    expect(await dispatch(ledger).submit(older, meta('o2'))).toEqual({
      status: 'skipped',
      reason: 'the previous attempt had written it before it stopped',
    });
    expect(obligation()).toMatchObject({ total_balance: '1120000', last_pay: '100000' });
  });

  it('a recovery that writes records its own fingerprints: the next one recognises that write', async () => {
    let clock = Date.parse('2026-11-20T16:00:00Z');
    const ledger = createMemoryLedger({ now: () => clock });
    const late = payment('tx-j', 100_000, '2026-11-20T15:00:00Z');
    // An earlier, merged write left fingerprints in which today's state is one where it had not landed.
    const entry = ledgerEntry(late);
    const earlier = await ledger.claim(entry, 60_000);
    if (earlier.status !== 'claimed') throw new Error('expected a fresh claim');
    const now = obligation();
    if (!now) throw new Error('no obligation');
    await ledger.prepare(entry, earlier.token, {
      before: 'merged-before',
      after: 'merged-after',
      alsoBefore: [obligationPrint(now)],
    });
    await ledger.endLease(entry, earlier.token, clock);
    clock += 1;
    // The recovery writes, and its answer is lost.
    const lost: Ledger = { ...ledger, settle: async () => Promise.reject(new Error('answer lost')) };
    await expect(dispatch(lost).submit(late, meta('j1'))).rejects.toThrow('answer lost');
    expect(obligation()?.total_balance).toBe('1150000');
    clock += 10 * 60_000;
    expect(await dispatch(ledger).submit(late, meta('j2'))).toEqual({
      status: 'skipped',
      reason: 'the previous attempt had written it before it stopped',
    });
  });

  it('keeps the earlier fingerprints when the recovering attempt fails before writing', async () => {
    let clock = Date.parse('2026-11-20T16:00:00Z');
    const ledger = createMemoryLedger({ now: () => clock });
    // 1st attempt: the write lands but its answer is lost (the client gives up).
    const lost: Ledger = {
      ...ledger,
      settle: async () => Promise.reject(new Error('answer lost')),
    };
    await expect(
      dispatch(lost).submit(payment('tx-f', 100_000, '2026-11-20T15:00:00Z'), meta('f1')),
    ).rejects.toThrow();
    clock += 10 * 60_000;
    // 2nd attempt recovers the claim, then its read fails: it must not forget what the 1st did.
    harness.sandbox.failNext('error500');
    await expect(
      dispatch(ledger).submit(payment('tx-f', 100_000, '2026-11-20T15:00:00Z'), meta('f2')),
    ).rejects.toThrow();
    clock += 10 * 60_000;
    const third = await dispatch(ledger).submit(payment('tx-f', 100_000, '2026-11-20T15:00:00Z'), meta('f3'));
    expect(third).toEqual({
      status: 'skipped',
      reason: 'the previous attempt had written it before it stopped',
    });
    expect(obligation()?.total_balance).toBe('1150000');
  });
});

describe('a payment larger than the balance (1,250,000)', () => {
  it('drives the balance to 0 by default, and the outcome says by how much it was overpaid', async () => {
    const submitted = await dispatch().submit(
      payment('tx-over', 1_300_000, '2026-11-20T15:00:00Z'),
      meta('o1'),
    );
    expect(submitted).toMatchObject({ status: 'applied', applied: { details: { overpaidBy: '50000' } } });
    expect(obligation()).toMatchObject({ total_balance: '0', last_pay: '1300000' });
  });

  it('with OBLIGATION_OVERPAYMENT=park, parks it for an operator and changes nothing', async () => {
    const parking = dispatch(createMemoryLedger(), { OBLIGATION_OVERPAYMENT: 'park' });
    const submitted = await parking.submit(
      payment('tx-over2', 1_300_000, '2026-11-20T15:00:00Z'),
      meta('o2'),
    );
    expect(submitted).toEqual({
      status: 'parked',
      reason: 'the payment exceeds the balance by 50000 COP (OBLIGATION_OVERPAYMENT=park)',
    });
    expect(obligation()).toMatchObject({ total_balance: '1250000' });
    expect(harness.sandbox.requests().map((r) => r.endpoint)).toEqual(['collections/queryObligation.php']);
    // Paying exactly the balance is no overpayment.
    const exact = await parking.submit(payment('tx-exact', 1_250_000, '2026-11-20T15:00:00Z'), meta('o3'));
    expect(exact).toMatchObject({ status: 'applied' });
    expect(obligation()).toMatchObject({ total_balance: '0' });
  });
});
