/**
 * f. More than one token (issue 19 §2): payments routed by ingress's own queue dispatch to one
 * FIFO queue per token (shardOf their wolkvox record), each queue drained by 2 worker containers
 * bound to its token (TOKEN_SHARD, WOLKVOX_MAX_IN_FLIGHT=1: serverless.yml's maximumConcurrency 2),
 * against an in-process sandbox that enforces 2 in flight per token at a fixed latency.
 *
 * Achieved = useful wolkvox calls per second (2 per payment applied); ideal = tokens × 2 ÷ latency.
 * Also checked: no concurrency rejection, every balance right, and each record's payments applied
 * in the order they were sent (the k-th payment of an obligation is k+1 pesos, so the balances
 * written to wolkvox spell out the order).
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '#lib/config.ts';
import { loadSqs, queueDispatch } from '#lib/dispatch/queue.ts';
import type { ApplyPaymentCommand } from '#lib/events.ts';
import { createMemoryLedger } from '#lib/ledger/memory.ts';
import { SEED_RECORD_IDS } from '#lib/sandbox/index.ts';
import { createEnvStore } from '#lib/secrets/index.ts';
import { createRuntime, wolkvoxSyncHandler } from '#lib/wiring.ts';
import { memoryIntake } from '#lib/worker/intake.ts';
import { FifoQueue } from '../test/support/fifo-harness.ts';
import { forkServer, serveOps } from './child-rpc.ts';
import { dropEmfLines } from './env.ts';
import { lambdaContext } from './events.ts';
import type { Worker } from './implementations.ts';
import { memorySqs } from './memory-sqs.ts';
import { type SandboxProcess, startSandboxProcess } from './sandbox-process.ts';
import { ratio, round } from './stats.ts';
import { BATCH_SIZE, invokeBatch } from './throughput.ts';
import type { Target } from './table.ts';

const OPERATION = 'demo';
const INITIAL_PESOS = 100_000_000;
/** Worker containers per queue: serverless.yml's maximumConcurrency. */
const CONTAINERS_PER_SHARD = 2;

export interface TokensPlan {
  tokens: number;
  latencyMs: number;
  events: number;
  /** Distinct obligations (FIFO groups): enough per shard that its 2 containers never starve. */
  groups?: number;
  timeoutMs: number;
}

export interface TokensRun {
  tokens: number;
  latencyMs: number;
  events: number;
  applied: number;
  elapsedMs: number;
  achievedPerSecond: number;
  idealPerSecond: number;
  achievedOverIdeal: number;
  /**
   * wolkvox calls answered per second while every token still had a backlog (until the first
   * queue ran dry): the tokens' capacity. The whole drain also holds the tail in which the shard given the most records
   * finishes alone: hash routing spreads records evenly only on average (perShard).
   */
  steady: { elapsedMs: number; achievedPerSecond: number; achievedOverIdeal: number };
  concurrencyRejections: number;
  /** The most requests any one token had in flight, by the sandbox's token label. */
  maxInFlight: Record<string, number>;
  /** Messages per queue (shard), in shard order. */
  perShard: number[];
  /** Obligations whose final balance is not the start minus every payment (lost updates). */
  wrongBalances: number;
  /** Obligations whose payments reached wolkvox in another order than they were sent. */
  outOfOrder: number;
  /** Records whose messages were spread over more than one queue (must be 0). */
  splitRecords: number;
  completed: boolean;
}

/**
 * measureTokens in a Node process of its own, as each worker container has in Lambda. By this
 * section the bench process holds every earlier section's state (the fakes' data, three variants'
 * warm containers) and has loaded the X-Ray SDK, whose cls-hooked async hook (from source; the
 * deployed bundles keep X-Ray's context on AsyncLocalStorage instead) then runs on every promise
 * of the process. These workers are not traced; a fresh process measures them without either.
 * The sandbox has a process of its own as before.
 */
export async function measureTokensApart(plan: TokensPlan): Promise<TokensRun> {
  const child = await forkServer<boolean>(import.meta.filename, [], 'tokens process');
  try {
    return await child.call<TokensRun>('measure', plan);
  } finally {
    await child.close();
  }
}

export async function measureTokens(plan: TokensPlan): Promise<TokensRun> {
  const tokenValues = Array.from({ length: plan.tokens }, (_, i) => `bench-token-${i + 1}`);
  const sandbox = await startSandboxProcess({
    operation: OPERATION,
    tokens: tokenValues,
    dailyQuota: 10_000_000,
  });
  try {
    const groups = Math.min(plan.groups ?? 20 * plan.tokens, plan.events);
    const records = Object.values(SEED_RECORD_IDS);
    const targets = Array.from({ length: groups }, (_, g) => ({
      operation: OPERATION,
      wolkvoxId: records[g % records.length] ?? '',
      obligation: `TK-${plan.tokens}-${plan.latencyMs}-${g}`,
    }));
    for (const target of targets) await insertObligation(sandbox.url, tokenValues[0] ?? '', target);

    // Routed by the real queue dispatch into one in-memory FIFO queue per shard (not timed).
    const urls = tokenValues.map((_, i) => `https://sqs.local/queue-${i}.fifo`);
    const queues = new Map(
      urls.map((url) => [
        url,
        new FifoQueue(() => Date.now(), { visibilityMs: 360_000, maxReceiveCount: Number.MAX_SAFE_INTEGER }),
      ]),
    );
    const shardsOfRecord = new Map<string, Set<string>>();
    const sentTo = new Map<string, number>();
    const dispatch = queueDispatch({
      queueUrl: urls[0] ?? '',
      queueUrls: urls,
      parkedQueueUrl: 'https://sqs.local/parked.fifo',
      sqs: capturingSqs((input) => {
        queues
          .get(input.QueueUrl)
          ?.send(input.MessageBody, input.MessageGroupId, input.MessageDeduplicationId);
        sentTo.set(input.QueueUrl, (sentTo.get(input.QueueUrl) ?? 0) + 1);
        const shards = shardsOfRecord.get(input.MessageGroupId) ?? new Set<string>();
        shardsOfRecord.set(input.MessageGroupId, shards.add(input.QueueUrl));
      }),
    });
    for (let i = 0; i < plan.events; i++) {
      const command = paymentCommand(
        `tk_${i}`,
        targets[i % groups] as Obligation,
        Math.floor(i / groups) + 1,
        i,
      );
      await dispatch.submit(command, { provider: 'bench', eventId: `evt_${i}` });
    }

    const ledger = createMemoryLedger();
    const secrets = createEnvStore({ env: { WOLKVOX_TOKEN: tokenValues.join(',') }, cwd: '/nonexistent' });
    const sqs = memorySqs().client;
    const workers = urls.flatMap((url, shard) => {
      const config = loadConfig({
        WOLKVOX_SERVER: sandbox.url,
        WOLKVOX_OPERATION: OPERATION,
        DISPATCH: 'queue',
        QUEUE_URL: url,
        QUEUE_URLS: urls.join(','),
        PARKED_QUEUE_URL: 'https://sqs.local/parked.fifo',
        LEDGER_TABLE: 'ledger',
        TOKEN_SHARD: String(shard),
        WOLKVOX_MAX_IN_FLIGHT: '1',
        LOG_LEVEL: 'ERROR',
      });
      return Array.from({ length: CONTAINERS_PER_SHARD }, () => ({
        queue: queues.get(url) as FifoQueue,
        worker: wolkvoxSyncHandler(
          createRuntime(config, { secrets, ledger, sqs: sqs as SQSClient, intake: memoryIntake() }),
        ) as Worker,
      }));
    });

    // Warm containers, as a backlog finds them in steady traffic: one payment each, not timed.
    for (const [w, { worker }] of workers.entries()) {
      const target = {
        ...(targets[0] as Obligation),
        obligation: `TK-${plan.tokens}-${plan.latencyMs}-warm-${w}`,
      };
      await insertObligation(sandbox.url, tokenValues[0] ?? '', target);
      const warm = new FifoQueue(() => Date.now(), { visibilityMs: 360_000, maxReceiveCount: 1 });
      warm.send(
        JSON.stringify({
          command: paymentCommand(`warm_${w}`, target, 1, 0),
          meta: { provider: 'bench', eventId: `warm_${w}`, receivedAt: new Date().toISOString() },
        }),
        target.obligation,
        `warm_${w}`,
      );
      await worker({ Records: warm.receive(1) }, lambdaContext('bench-tokens'));
    }
    await sandbox.setFaults({ latencyMs: plan.latencyMs });
    await sandbox.clearRequests();
    const before = await sandbox.stats();
    const started = performance.now();
    const deadline = started + plan.timeoutMs;
    // Calls answered, not payments finished: at that instant the other shards' batches are half done.
    let steady: Promise<{ at: number; calls: number }> | undefined;
    const onEmpty = () => {
      const at = performance.now();
      steady ??= sandbox.requestCount().then((calls) => ({ at, calls }));
    };
    await Promise.all(workers.map(({ worker, queue }) => drain(worker, queue, deadline, onEmpty)));
    const elapsedMs = performance.now() - started;
    const after = await sandbox.stats();
    const busy = await steady;
    await sandbox.setFaults({ latencyMs: 0 });

    const pending = [...queues.values()].reduce((sum, queue) => sum + queue.pending, 0);
    const applied = plan.events - pending;
    const idealPerSecond = (plan.tokens * 2) / (plan.latencyMs / 1000);
    const achievedPerSecond = (2 * applied) / (elapsedMs / 1000);
    const steadyMs = (busy?.at ?? performance.now()) - started;
    const steadyPerSecond = (busy?.calls ?? 2 * applied) / (steadyMs / 1000);
    return {
      tokens: plan.tokens,
      latencyMs: plan.latencyMs,
      events: plan.events,
      applied,
      elapsedMs: round(elapsedMs, 0),
      achievedPerSecond: round(achievedPerSecond, 2),
      idealPerSecond: round(idealPerSecond, 2),
      achievedOverIdeal: round(ratio(achievedPerSecond, idealPerSecond), 3),
      steady: {
        elapsedMs: round(steadyMs, 0),
        achievedPerSecond: round(steadyPerSecond, 2),
        achievedOverIdeal: round(ratio(steadyPerSecond, idealPerSecond), 3),
      },
      concurrencyRejections: after.rejectedSimultaneous - before.rejectedSimultaneous,
      maxInFlight: after.maxInFlight,
      perShard: urls.map((url) => sentTo.get(url) ?? 0),
      ...(await checkBalances(sandbox, targets, plan.events)),
      splitRecords: [...shardsOfRecord.values()].filter((set) => set.size > 1).length,
      completed: pending === 0,
    };
  } finally {
    await sandbox.close();
  }
}

type Obligation = ApplyPaymentCommand['target'];

function paymentCommand(id: string, target: Obligation, pesos: number, second: number): ApplyPaymentCommand {
  return {
    kind: 'applyPayment',
    identity: `bench:${id}`,
    target,
    payment: {
      provider: 'bench',
      paymentId: id,
      amount: { minor: pesos * 100, currency: 'COP', exponent: 2 },
      paidAt: new Date(Date.parse('2026-01-31T12:00:00Z') + second * 1000).toISOString(),
    },
  };
}

async function insertObligation(url: string, token: string, target: Obligation): Promise<void> {
  const response = await fetch(`${url}/server/API/v2/collections/insertObligation.php`, {
    method: 'POST',
    headers: { 'wolkvox-token': token, 'content-type': 'application/json' },
    body: JSON.stringify({
      operation: OPERATION,
      wolkvox_id: target.wolkvoxId,
      fields: {
        id: target.obligation,
        name: target.obligation,
        total_balance: String(INITIAL_PESOS),
        days_delay: '10',
      },
    }),
  });
  if (!response.ok) throw new Error(`insertObligation ${target.obligation}: ${await response.text()}`);
}

/** Final balances against the payments sent, and each obligation's applied order from its updates. */
async function checkBalances(sandbox: SandboxProcess, targets: Obligation[], events: number) {
  const state = await sandbox.state();
  const updates = (await sandbox.requests()).filter((r) => r.endpoint === 'collections/updateObligation.php');
  let wrongBalances = 0;
  let outOfOrder = 0;
  targets.forEach((target, g) => {
    const payments = Math.floor(events / targets.length) + (g < events % targets.length ? 1 : 0);
    // 1 + 2 + … + payments pesos.
    const expected = INITIAL_PESOS - (payments * (payments + 1)) / 2;
    const balance = state.records
      .find((r) => r.wolkvox_id === target.wolkvoxId)
      ?.obligations.find((o) => o.id === target.obligation)?.total_balance;
    if (Number(balance) !== expected) wrongBalances += 1;
    const written = updates
      .map((r) => r.json as { obligation?: string; fields?: { total_balance?: string } } | undefined)
      .filter((body) => body?.obligation === target.obligation)
      .map((body) => Number(body?.fields?.total_balance));
    const amounts = written.map((value, k) => (k === 0 ? INITIAL_PESOS : (written[k - 1] ?? 0)) - value);
    if (!inOrder(amounts)) outOfOrder += 1;
  });
  return { wrongBalances, outOfOrder };
}

/**
 * Payment k of a record is k pesos, so in queue order each write takes the next payments: one
 * (k), or several merged in one write (k + (k+1) + …, MERGE_OBLIGATION_PAYMENTS).
 */
function inOrder(amounts: number[]): boolean {
  let next = 1;
  for (const amount of amounts) {
    let sum = 0;
    while (sum < amount) sum += next++;
    if (sum !== amount) return false;
  }
  return true;
}

interface SentInput {
  QueueUrl: string;
  MessageBody: string;
  MessageGroupId: string;
  MessageDeduplicationId: string;
}

/** The dispatch's SQS client, keeping what it sends (the SDK's command objects, no network). */
function capturingSqs(onSend: (input: SentInput) => void) {
  let sequence = 0;
  const client = {
    send: async (command: { input: SentInput }) => {
      onSend(command.input);
      sequence += 1;
      return { MessageId: `tk-${sequence}` };
    },
  } as unknown as SQSClient;
  return async () => ({ sqs: await loadSqs(), client });
}

/** One container: invoke with the next batch of its queue until the queue is empty (or the deadline). */
async function drain(worker: Worker, queue: FifoQueue, deadline: number, onEmpty: () => void): Promise<void> {
  const context = lambdaContext('bench-tokens');
  while (queue.pending > 0 && performance.now() < deadline) {
    const Records = queue.receive(BATCH_SIZE);
    if (Records.length === 0) {
      // Every remaining group is in flight in the other container: poll again shortly.
      await sleep(1);
      continue;
    }
    await invokeBatch(worker, queue, Records, context);
  }
  onEmpty();
}

/** The matrix: 1, 2 and 4 tokens at 50 and 200 ms; ≈ 8 s of ideal drain per run. */
export function tokenPlans(smoke: boolean): TokensPlan[] {
  return [50, 200].flatMap((latencyMs) =>
    [1, 2, 4].map((tokens) => {
      // Payments per token for 8 s at the ideal rate (2 calls each); 2 payments per obligation.
      const events = smoke ? 6 * tokens : Math.round((8_000 / latencyMs) * tokens);
      return { tokens, latencyMs, events, groups: Math.ceil(events / 2), timeoutMs: 120_000 };
    }),
  );
}

/** Issue 19 §2: ≥ 0.9 × tokens × 2 ÷ latency, no concurrency rejection, no wrong balance, order kept. */
export function tokensTargets(runs: TokensRun[]): Target[] {
  return runs.map((run) => ({
    name: `throughput ÷ ideal with ${run.tokens} token(s), ${run.latencyMs} ms (every token busy; 0 rejections, 0 wrong balances, order kept)`,
    value: run.steady.achievedOverIdeal,
    limit: '≥ 0.9',
    pass:
      run.completed &&
      run.steady.achievedOverIdeal >= 0.9 &&
      run.concurrencyRejections === 0 &&
      run.wrongBalances === 0 &&
      run.outOfOrder === 0 &&
      run.splitRecords === 0 &&
      Object.values(run.maxInFlight).every((n) => n <= 2),
  }));
}

export function renderTokens(runs: TokensRun[]): string[] {
  const widths = [24, 7, 8, 8, 8, 8, 8, 6, 6, 20];
  // What sharding itself costs: each run's busy ratio ÷ one token's at the same latency.
  const single = (latencyMs: number) =>
    runs.find((r) => r.tokens === 1 && r.latencyMs === latencyMs)?.steady.achievedOverIdeal ?? NaN;
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  ');
  const out = [
    'g. More than one token: one FIFO queue and 2 workers per token, payments routed by record (bench/tokens.ts)',
    line([
      '',
      'ideal',
      'calls/s',
      '÷ ideal',
      '÷ 1 tok.',
      'drained',
      'max in',
      'rej.',
      'wrong',
      'payments per queue',
    ]),
    line(['', 'calls/s', 'busy', 'busy', 'busy', '÷ ideal', 'flight', '', 'bal.', '']),
  ];
  for (const run of runs) {
    out.push(
      line([
        `   ${run.tokens} token(s), ${run.latencyMs} ms${run.completed ? '' : ' (INCOMPLETE)'}`,
        run.idealPerSecond.toFixed(1),
        run.steady.achievedPerSecond.toFixed(1),
        run.steady.achievedOverIdeal.toFixed(2),
        (run.steady.achievedOverIdeal / single(run.latencyMs)).toFixed(2),
        run.achievedOverIdeal.toFixed(2),
        String(Math.max(...Object.values(run.maxInFlight))),
        String(run.concurrencyRejections),
        String(run.wrongBalances + run.outOfOrder),
        run.perShard.join('/'),
      ]),
    );
  }
  out.push(
    '   (busy: until the first queue ran dry; drained: the whole backlog, whose tail is the queue that hash',
    '    routing gave the most records finishing alone — the spread narrows as the number of records grows)',
  );
  return out;
}

if (import.meta.main) {
  dropEmfLines();
  serveOps(
    {
      measure: (plan: TokensPlan) => measureTokens(plan),
      close: () => {
        setImmediate(() => process.exit(0));
      },
    },
    true,
  );
}
