// npm run demo: every sample (payments and tickets) through the real handlers against a fresh
// sandbox. Prints event → answer → wolkvox change, the records before and after, and exits
// non-zero on anything unexpected (the expectations live in events/catalog.json).
import '../lib/local/cli-errors.ts';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { OUTCOME_HEADER } from '../lib/http/ingress.ts';
import { localContext, startLocal } from '../lib/local/runtime.ts';
import { localProvider } from '../lib/local/providers.ts';
import { type CatalogEntry, readCatalog, signedSample } from '../lib/local/samples.ts';
import type { CallRecord } from '../lib/wolkvox/client.ts';
import type { CaseRecord, Obligation, SandboxState } from '../lib/sandbox/index.ts';

const local = await startLocal({ freshSandbox: true, logLevel: 'SILENT' });
const sandbox = local.sandbox;
if (!sandbox) throw new Error('the demo needs its own sandbox');
const problems: string[] = [];
const money = (value: string | undefined) => (!value ? '—' : Number(value).toLocaleString('es-CO'));

const obligationOf = (state: SandboxState, wolkvoxId: string, id: string): Obligation | undefined =>
  state.records.find((r) => r.wolkvox_id === wolkvoxId)?.obligations.find((o) => o.id === id);
const caseOf = (state: SandboxState, id: string): CaseRecord | undefined =>
  state.cases.find((c) => c.wolkvox_id === id);

interface Outcome {
  entry: CatalogEntry;
  name: string;
  answer: APIGatewayProxyStructuredResultV2;
  status?: string;
  reason?: string;
  calls: CallRecord[];
  before: SandboxState;
}

/** The payment's obligation changed by exactly the sample's amount (clamped at 0). */
function paymentChange({ entry, name, before }: Outcome): string {
  if (!entry.target || !('obligation' in entry.target)) return '';
  const { wolkvoxId, obligation } = entry.target;
  const prior = obligationOf(before, wolkvoxId, obligation);
  const after = obligationOf(sandbox?.state() ?? before, wolkvoxId, obligation);
  const expected = Math.max(0, Number(prior?.total_balance) - Number(entry.amount));
  if (Number(after?.total_balance) !== expected || after?.last_pay !== entry.amount) {
    problems.push(
      `${name}: expected balance ${expected} and last_pay ${entry.amount}, got ${after?.total_balance}/${after?.last_pay}`,
    );
  }
  return `${obligation}: balance ${money(prior?.total_balance)} → ${money(after?.total_balance)}, last_pay ${money(after?.last_pay)} on ${after?.last_pay_date}`;
}

/** The ticket's case is closed with a solution, and its files (catalog: `files`) were attached. */
function ticketChange({ entry, name, before }: Outcome): string {
  if (!entry.target || !('caseId' in entry.target)) return '';
  const prior = caseOf(before, entry.target.caseId);
  const after = caseOf(sandbox?.state() ?? before, entry.target.caseId);
  const files = entry.files ?? 0;
  const added = (after?.attachments.length ?? 0) - (prior?.attachments.length ?? 0);
  if (after?.status !== 'Resuelto' || !after.solution)
    problems.push(`${name}: case not closed with a solution`);
  if (added !== files) problems.push(`${name}: expected ${files} files attached, got ${added}`);
  const moved = (label: string, from?: string, to?: string) =>
    from === to ? '' : `, ${label} ${from || '—'} → ${to || '—'}`;
  return `${after?.idPrefijo}: ${prior?.status} → ${after?.status}${moved('priority', prior?.priority, after?.priority)}${moved('responsible', prior?.responsible, after?.responsible)}${added ? `, +${added} files` : ''}`;
}

const rows: string[][] = [];
try {
  const initial = sandbox.state();
  for (const entry of await readCatalog()) {
    const before = sandbox.state();
    const handler =
      entry.family === 'payments' ? local.handlers.paymentReceived : local.handlers.ticketResolved;
    const answer = await handler(
      await signedSample(entry.file, new Date(), entry.family),
      localContext(entry.family),
    );
    type Answer = { status?: string; reason?: string; overpaidBy?: string };
    const whole = outcomeOf(answer) as Answer & { items?: Answer[] };
    // A batch (HubSpot's Webhooks API) is answered per item: the sample is about its item that is not ignored.
    const body = whole.items?.find((item) => item.status !== 'ignored') ?? whole.items?.[0] ?? whole;
    const outcome: Outcome = {
      entry,
      name: entry.file.replace(/^events\//, ''),
      answer,
      ...body,
      calls: local.takeCalls(),
      before,
    };
    if (body.status !== entry.expect)
      problems.push(
        `${outcome.name}: expected ${entry.expect}, got HTTP ${answer.statusCode} ${answer.body}`,
      );
    // A provider that accepts only one status (Wompi: exactly 200) must get it, whatever happened.
    const only = onlyStatus(entry);
    if (only !== undefined && answer.statusCode !== only)
      problems.push(`${outcome.name}: ${entry.provider} must get exactly ${only}`);
    const wrote = outcome.calls.some((c) => c.endpoint.includes('update'));
    if (entry.expect !== 'applied' && wrote) problems.push(`${outcome.name}: wrote to wolkvox`);
    let change = body.reason ?? '';
    if (entry.expect === 'applied')
      change = entry.family === 'payments' ? paymentChange(outcome) : ticketChange(outcome);
    if (body.overpaidBy) change += ` (overpaid by ${money(body.overpaidBy)})`;
    rows.push([outcome.name, `${answer.statusCode} ${body.status ?? ''}`, change]);
  }
  await rejectDuplicate(rows);
  await rejectForgeries(rows);

  printTable(['event', 'answer', 'wolkvox change'], rows);
  printRecords(initial, sandbox.state());
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

/** The same payment delivered again (a provider retry): acknowledged, never applied twice. */
async function rejectDuplicate(into: string[][]): Promise<void> {
  const answer = await local.handlers.paymentReceived(
    await signedSample('events/stripe/payment_intent.succeeded.json'),
    localContext('paymentReceived'),
  );
  const body = JSON.parse(answer.body ?? '{}') as { status?: string; reason?: string };
  const writes = local.takeCalls().filter((c) => c.endpoint.includes('update'));
  if (body.status !== 'skipped' || writes.length > 0)
    problems.push('duplicate delivery: expected skipped and no write');
  into.push([
    'stripe: payment_intent.succeeded delivered again',
    `${answer.statusCode} ${body.status}`,
    body.reason ?? '',
  ]);
}

/** Tampered and forged requests: 401, and not one wolkvox call. */
async function rejectForgeries(into: string[][]): Promise<void> {
  const tampered = await signedSample('events/stripe/payment_intent.succeeded.json');
  tampered.body = (tampered.body ?? '').replace('15000000', '99900000');
  const forged = await signedSample('events/wompi/transaction.updated.approved.json');
  forged.body = (forged.body ?? '').replace(/"checksum":"[0-9A-F]+"/i, `"checksum":"${'0'.repeat(64)}"`);
  const stale = await signedSample('events/zendesk/ticket.solved.json', new Date(Date.now() - 600_000));
  const declined = await signedSample('events/wompi/transaction.updated.declined.json');
  const cases = [
    ['stripe: amount tampered after signing', tampered, local.handlers.paymentReceived],
    ['wompi: checksum forged', forged, local.handlers.paymentReceived],
    [
      'wompi: a DECLINED checksum moved onto an APPROVED event',
      decoy(declined),
      local.handlers.paymentReceived,
    ],
    ['zendesk: signed 10 minutes ago (replay)', stale, local.handlers.ticketResolved],
  ] as const;
  for (const [name, event, handler] of cases) {
    const answer = await handler(event, localContext('forged'));
    const calls = local.takeCalls();
    if (answer.statusCode !== 401 || calls.length > 0)
      problems.push(`${name}: expected 401 and no wolkvox call`);
    into.push([name, `${answer.statusCode} rejected`, `${calls.length} wolkvox calls`]);
  }
}

/**
 * The Wompi forgery: a captured, genuinely signed DECLINED event whose checksum is kept while the
 * signed values move to a field nobody reads, and the transaction says APPROVED for any amount.
 */
function decoy(event: Awaited<ReturnType<typeof signedSample>>): typeof event {
  const body = JSON.parse(event.body ?? '{}') as {
    data: { transaction: Record<string, unknown>; decoy?: unknown };
    signature: { properties: string[] };
  };
  const { id, status, amount_in_cents } = body.data.transaction;
  body.data.decoy = { id, status, amount_in_cents };
  body.data.transaction = { ...body.data.transaction, status: 'APPROVED', amount_in_cents: 1_500_000_000 };
  body.signature.properties = body.signature.properties.map((path) => path.replace('transaction.', 'decoy.'));
  return { ...event, body: JSON.stringify(body) };
}

/** The one status a provider accepts, when it accepts only one (its answer rule). */
function onlyStatus(entry: CatalogEntry): number | undefined {
  const { code } = localProvider(entry.provider, entry.family);
  return code.onlyStatus;
}

function printRecords(before: SandboxState, after: SandboxState): void {
  console.log('\nObligations (sandbox), before → after:');
  const obligations: string[][] = [];
  for (const record of before.records) {
    for (const obligation of record.obligations) {
      const now = obligationOf(after, record.wolkvox_id, obligation.id);
      if (JSON.stringify(now) === JSON.stringify(obligation)) continue;
      obligations.push([
        `${record.Name} / ${obligation.id}`,
        `${money(obligation.total_balance)} → ${money(now?.total_balance)}`,
        `${money(obligation.last_pay)} ${obligation.last_pay_date} → ${money(now?.last_pay)} ${now?.last_pay_date}`,
        `${obligation.days_delay} → ${now?.days_delay}`,
      ]);
    }
  }
  printTable(['obligation', 'total_balance', 'last_pay / last_pay_date', 'days_delay'], obligations);
  console.log('\nCases (sandbox), before → after:');
  const cases = before.cases.map((prior) => {
    const now = caseOf(after, prior.wolkvox_id);
    return [
      `${prior.idPrefijo} ${prior.type}`,
      `${prior.status} → ${now?.status}`,
      `${prior.priority} → ${now?.priority}`,
      `${prior.responsible} → ${now?.responsible}`,
      `${prior.attachments.length} → ${now?.attachments.length}`,
      (now?.solution ?? '').replace(/\s+/g, ' ').slice(0, 48),
    ];
  });
  printTable(['case', 'status', 'priority', 'responsible', 'files', 'solution'], cases);
}

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

/** Our JSON answer: the body, or, for a provider that wants a fixed body (Adyen), its header. */
function outcomeOf(answer: { body?: string; headers?: Record<string, unknown> }): unknown {
  const header = answer.headers?.[OUTCOME_HEADER];
  return JSON.parse(typeof header === 'string' ? header : (answer.body ?? '{}'));
}
