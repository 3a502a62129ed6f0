// npm run demo: every payment sample through the real handlers against a fresh sandbox.
// Prints event → answer → wolkvox change, the obligations before and after, and exits non-zero
// on anything unexpected (the expectations live in events/catalog.json).
import { localContext, startLocal } from '../lib/local/runtime.ts';
import { readCatalog, signedSample } from '../lib/local/samples.ts';
import type { Obligation } from '../lib/wolkvox/types.ts';
import type { SandboxState } from '../lib/sandbox/index.ts';

const local = await startLocal({ freshSandbox: true, logLevel: 'SILENT' });
const sandbox = local.sandbox;
if (!sandbox) throw new Error('the demo needs its own sandbox');
const problems: string[] = [];
const rows: string[][] = [];

const obligationOf = (state: SandboxState, wolkvoxId: string, id: string): Obligation | undefined =>
  state.records.find((r) => r.wolkvox_id === wolkvoxId)?.obligations.find((o) => o.id === id);
const money = (value: string) => (value === '' ? '—' : Number(value).toLocaleString('es-CO'));

try {
  const before = sandbox.state();
  const catalog = (await readCatalog()).filter((entry) => entry.family === 'payments');
  for (const entry of catalog) {
    const prior =
      entry.target && obligationOf(sandbox.state(), entry.target.wolkvoxId, entry.target.obligation);
    const answer = await local.handlers.paymentReceived(
      await signedSample(entry.file),
      localContext('paymentReceived'),
    );
    const body = JSON.parse(answer.body ?? '{}') as { status?: string; reason?: string };
    const calls = local.takeCalls();
    const name = entry.file.replace(/^events\//, '');
    let change = body.reason ?? '';
    if (body.status !== entry.expect)
      problems.push(`${name}: expected ${entry.expect}, got HTTP ${answer.statusCode} ${answer.body}`);
    if (entry.provider === 'wompi' && answer.statusCode !== 200)
      problems.push(`${name}: Wompi must get exactly 200`);
    if (entry.expect !== 'applied' && calls.some((c) => c.endpoint.includes('update')))
      problems.push(`${name}: wrote to wolkvox`);
    if (entry.expect === 'applied' && entry.target && prior) {
      const after = obligationOf(sandbox.state(), entry.target.wolkvoxId, entry.target.obligation);
      const expected = Math.max(0, Number(prior.total_balance) - Number(entry.amount));
      change = `${entry.target.obligation}: balance ${money(prior.total_balance)} → ${money(after?.total_balance ?? '')}, last_pay ${money(after?.last_pay ?? '')} on ${after?.last_pay_date}`;
      if (Number(after?.total_balance) !== expected || after?.last_pay !== entry.amount) {
        problems.push(
          `${name}: expected balance ${expected} and last_pay ${entry.amount}, got ${after?.total_balance} / ${after?.last_pay}`,
        );
      }
    }
    rows.push([name, `${answer.statusCode} ${body.status ?? ''}`, change]);
  }

  // Forged and stale requests: 401, and not one wolkvox call.
  const forged = await signedSample('events/stripe/payment_intent.succeeded.json');
  forged.body = (forged.body ?? '').replace('15000000', '99900000');
  const stale = await signedSample('events/wompi/transaction.updated.approved.json');
  stale.body = (stale.body ?? '').replace(/"checksum":"[0-9A-F]+"/i, `"checksum":"${'0'.repeat(64)}"`);
  for (const [name, event] of [
    ['stripe: amount tampered after signing', forged],
    ['wompi: checksum forged', stale],
  ] as const) {
    const answer = await local.handlers.paymentReceived(event, localContext('paymentReceived'));
    const calls = local.takeCalls();
    if (answer.statusCode !== 401 || calls.length > 0)
      problems.push(`${name}: expected 401 and no wolkvox call`);
    rows.push([name, `${answer.statusCode} rejected`, `${calls.length} wolkvox calls`]);
  }

  printTable(['event', 'answer', 'wolkvox change'], rows);
  console.log('\nObligations touched (sandbox):');
  const after = sandbox.state();
  const touched = new Set(rows.map((r) => r[2]?.split(':')[0]));
  const lines: string[][] = [];
  for (const record of before.records) {
    for (const obligation of record.obligations) {
      if (!touched.has(obligation.id)) continue;
      const now = obligationOf(after, record.wolkvox_id, obligation.id);
      lines.push([
        `${record.Name} / ${obligation.id}`,
        `${money(obligation.total_balance)} → ${money(now?.total_balance ?? '')}`,
        `${money(obligation.last_pay)} ${obligation.last_pay_date} → ${money(now?.last_pay ?? '')} ${now?.last_pay_date}`,
        `${obligation.days_delay} → ${now?.days_delay}`,
      ]);
    }
  }
  printTable(['obligation', 'total_balance', 'last_pay / last_pay_date', 'days_delay'], lines);
  const parked = local.parked();
  console.log(`\nParked for an operator (${parked.length}):`);
  for (const event of parked) console.log(`  ${event.provider} ${event.eventId}: ${event.reason}`);
  const stats = sandbox.stats();
  console.log(
    `\nwolkvox sandbox: ${stats.requestsTotal} requests, at most ${stats.maxInFlightOverall} in flight, ${stats.rejectedSimultaneous} rejected for concurrency`,
  );
} finally {
  await local.close();
}

if (problems.length > 0) {
  console.error(`\nUNEXPECTED (${problems.length}):\n  - ${problems.join('\n  - ')}`);
  process.exit(1);
}
console.log('\nEvery sample behaved as expected.');

function printTable(header: string[], body: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  console.log(line(header));
  console.log(widths.map((w) => '─'.repeat(w)).join('  '));
  for (const row of body) console.log(line(row));
}
