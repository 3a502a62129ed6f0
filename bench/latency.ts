/**
 * h. Issue 19 §3 and §4: a month-end burst — `payments` webhooks arriving evenly over `burstSeconds`
 * — through ours' ingress into the FIFO queue model (test/support/fifo-harness.ts), drained by 2
 * worker containers per token (serverless.yml: maximumConcurrency 2, WOLKVOX_MAX_IN_FLIGHT 1, batches
 * of 5) against the sandbox. Reports, per run:
 *   - wolkvox requests per payment (every request the sandbox saw ÷ payments): 2 one by one, fewer
 *     when payments to one obligation meet in a batch (lib/worker/apply-run.ts);
 *   - the time from a webhook's arrival (its message entering the queue) to its acknowledgement,
 *     which follows its wolkvox update within the same invocation: p50, p99, max;
 *   - the physical limit: the requests the backlog needs ÷ (tokens × 2 ÷ latency), the shortest
 *     possible drain; and the measured drain (first arrival → last acknowledgement).
 *
 * Real time, compressed: arrivals and the sandbox's latency are divided by `scale` and every
 * duration is multiplied back, so a 60 s burst at 50 ms takes 12 s at scale 5. Our own per-batch
 * CPU is not scaled, so the compression slightly flatters nothing and slightly penalises us.
 *
 * Several tokens: each token gets its own queue and worker pair, records routed by the service's
 * own shardOf (lib/wolkvox/tokens.ts), as ingress routes them. `tokens` is the one parameter.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '#lib/config.ts';
import { LOCAL_SECRETS } from '#lib/local/defaults.ts';
import { DEFAULT_SEED, seededRandom } from '#lib/sandbox/faults.ts';
import { createMemoryLedger } from '#lib/ledger/memory.ts';
import { createEnvStore } from '#lib/secrets/index.ts';
import { createRuntime, wolkvoxSyncHandler } from '#lib/wiring.ts';
import { shardOf } from '#lib/wolkvox/tokens.ts';
import { FifoQueue } from '../test/support/fifo-harness.ts';
import { lambdaContext, stripePaymentEvent } from './events.ts';
import { accepted, type Implementation, type Worker } from './implementations.ts';
import { type Services, type Target, TOKEN } from './services.ts';
import { percentile, ratio, round } from './stats.ts';
import type { Target as BenchTarget } from './table.ts';
import { BATCH_SIZE, invokeBatch } from './throughput.ts';

const PESOS = 100;
const INITIAL_BALANCE = 100_000_000;
const CONTAINERS_PER_TOKEN = 2;

export interface LatencyPlan {
  label: string;
  payments: number;
  burstSeconds: number;
  /** Obligations the payments go to, each drawn at random (seeded): fewer than payments means repeats. */
  obligations: number;
  tokens: number;
  latencyMs: number;
  scale: number;
}

export interface LatencyRun extends LatencyPlan {
  applied: number;
  wolkvoxRequests: number;
  requestsPerPayment: number;
  concurrencyRejections: number;
  wrongBalances: number;
  /** Arrival → acknowledgement, in (uncompressed) seconds. */
  p50Seconds: number;
  p99Seconds: number;
  maxSeconds: number;
  /**
   * The shortest drain: the requests made ÷ (tokens × 2 ÷ latency), and not before the last
   * arrival plus its own requests.
   */
  limitSeconds: number;
  /**
   * The least the 99th-percentile payment can wait: the work queued up to it ÷ the tokens' rate,
   * less its arrival, and never under its own two requests.
   */
  limitP99Seconds: number;
  /** First arrival → last acknowledgement. */
  drainSeconds: number;
  drainOverLimit: number;
  completed: boolean;
}

export async function measureLatency(
  services: Services,
  impl: Implementation,
  plan: LatencyPlan,
): Promise<LatencyRun> {
  const targets = await services.addObligations(
    `LAT-${plan.label}`,
    plan.obligations,
    String(INITIAL_BALANCE),
  );
  const tokens = Array.from({ length: plan.tokens }, (_, k) => (k === 0 ? TOKEN : `${TOKEN}-shard-${k}`));
  await services.setTokens(tokens);

  // Ingress is not what is timed here (warm.ts measures it): the messages are made beforehand.
  const random = seededRandom(DEFAULT_SEED);
  const paid = Array.from({ length: plan.payments }, () => Math.floor(random() * plan.obligations));
  const first = impl.queue.sent.length;
  for (const [i, obligation] of paid.entries()) {
    const event = stripePaymentEvent(`lat_${plan.label}_${i}`, targets[obligation] as Target, PESOS);
    if (!accepted(await impl.payment(event, lambdaContext('bench'))))
      throw new Error(`event ${i} not queued`);
  }
  const messages = impl.queue.sent.slice(first);

  const queues = tokens.map(
    () =>
      new FifoQueue(() => Date.now(), { visibilityMs: 360_000, maxReceiveCount: 1e9, sameGroupFirst: true }),
  );
  // As deployed (MERGE_OBLIGATION_PAYMENTS on by default), whatever this process' environment says.
  const loaded = loadConfig(process.env);
  const config = { ...loaded, wolkvox: { ...loaded.wolkvox, mergePayments: true } };
  const ledger = createMemoryLedger();
  const workers = tokens.flatMap((token, shard) =>
    Array.from({ length: CONTAINERS_PER_TOKEN }, () => ({
      shard,
      worker: wolkvoxSyncHandler(
        createRuntime(config, {
          sqs: impl.queue.client,
          ledger,
          secrets: createEnvStore({ env: { ...LOCAL_SECRETS, WOLKVOX_TOKEN: token }, cwd: '/nonexistent' }),
        }),
      ),
    })),
  );

  await services.setLatency(plan.latencyMs / plan.scale);
  await services.clearRequests();
  const before = await services.stats();
  const arrived = new Map<string, number>();
  const done = new Map<string, number>();
  const gapMs = (plan.burstSeconds * 1000) / plan.scale / plan.payments;
  let sending = true;
  const started = performance.now();
  const deadline = started + Math.max(60_000, (plan.payments * 2 * plan.latencyMs) / plan.scale) * 3;

  const send = async () => {
    for (const [i, message] of messages.entries()) {
      const due = started + i * gapMs;
      if (due > performance.now()) await sleep(due - performance.now());
      arrived.set(message.MessageBody, performance.now());
      const queue = queues[shardOf(message.MessageGroupId, queues.length)] as FifoQueue;
      queue.send(message.MessageBody, message.MessageGroupId, message.MessageDeduplicationId);
    }
    sending = false;
  };
  const drainAll = workers.map(({ shard, worker }) =>
    drain(worker, queues[shard] as FifoQueue, () => sending, deadline, done),
  );
  await Promise.all([send(), ...drainAll]);

  const after = await services.stats();
  await services.setLatency(0);
  await services.setTokens([TOKEN]);
  const seconds = (ms: number) => round((ms * plan.scale) / 1000, 2);
  const latencies = [...done].map(([body, at]) => at - (arrived.get(body) ?? at));
  const wolkvoxRequests = after.requestsTotal - before.requestsTotal;
  const balances = await services.balances(targets);
  const wrongBalances = balances.filter(
    (balance, g) => Number(balance) !== INITIAL_BALANCE - paid.filter((o) => o === g).length * PESOS,
  ).length;
  // Physical limits from the requests actually needed (fewer than 2 per payment when runs merged):
  // the work ÷ the tokens' rate, and never before the last arrival plus its own requests.
  const rate = (plan.tokens * 2) / plan.latencyMs;
  const perPayment = wolkvoxRequests / plan.payments;
  const lastArrivalMs = ((plan.payments - 1) * plan.burstSeconds * 1000) / plan.payments;
  const limitMs = Math.max(wolkvoxRequests / rate, lastArrivalMs + perPayment * plan.latencyMs);
  const drainMs = (Math.max(...done.values()) - started) * plan.scale;
  const k = Math.ceil(0.99 * plan.payments) - 1;
  const limitP99Ms = Math.max(
    perPayment * plan.latencyMs,
    ((k + 1) * perPayment) / rate - (k * plan.burstSeconds * 1000) / plan.payments,
  );
  return {
    ...plan,
    applied: done.size,
    wolkvoxRequests,
    requestsPerPayment: round(ratio(wolkvoxRequests, plan.payments), 3),
    concurrencyRejections: after.rejectedSimultaneous - before.rejectedSimultaneous,
    wrongBalances,
    p50Seconds: seconds(percentile(latencies, 50)),
    p99Seconds: seconds(percentile(latencies, 99)),
    maxSeconds: seconds(Math.max(...latencies)),
    limitSeconds: round(limitMs / 1000, 2),
    limitP99Seconds: round(limitP99Ms / 1000, 2),
    drainSeconds: round(drainMs / 1000, 2),
    drainOverLimit: round(ratio(drainMs, limitMs), 3),
    completed: queues.every((q) => q.pending === 0) && done.size === plan.payments,
  };
}

/** One container: the next batch of its shard's queue until the burst is sent and drained. */
async function drain(
  worker: Worker,
  queue: FifoQueue,
  sending: () => boolean,
  deadline: number,
  done: Map<string, number>,
): Promise<void> {
  const context = lambdaContext('bench-worker');
  while ((sending() || queue.pending > 0) && performance.now() < deadline) {
    const Records = queue.receive(BATCH_SIZE);
    if (Records.length === 0) {
      await sleep(1);
      continue;
    }
    const succeeded = await invokeBatch(worker, queue, Records, context);
    const now = performance.now();
    for (const record of succeeded) done.set(record.body, now);
  }
}

/** The runs `npm run bench` makes (bench/run.ts): a realistic month-end mix on 1 and 4 tokens, and repeats. */
export function latencyPlans(options: { smoke: boolean; latencyMs: number }): LatencyPlan[] {
  const payments = options.smoke ? 40 : 1_000;
  const burstSeconds = (60 * payments) / 1_000;
  // Realistic: 1,000 payments drawn over 800 obligations (about one in five pays an obligation another
  // payment of the burst pays too: instalments, a second card); repeats: 5 per obligation on average.
  const realistic = Math.round(payments * 0.8);
  const common = { payments, burstSeconds, latencyMs: options.latencyMs, scale: options.smoke ? 10 : 4 };
  return [
    { label: 'month-end, 1 token', obligations: realistic, tokens: 1, ...common },
    { label: 'month-end, 4 tokens', obligations: realistic, tokens: 4, ...common },
    { label: 'repeats (~5 per obligation), 1 token', obligations: payments / 5, tokens: 1, ...common },
  ];
}

export function latencyTargets(runs: LatencyRun[] | undefined): BenchTarget[] {
  const targets: BenchTarget[] = [];
  for (const run of runs ?? []) {
    const repeats = run.obligations < run.payments * 0.5;
    targets.push({
      name: `wolkvox requests per payment, ${run.label}`,
      value: run.requestsPerPayment,
      limit: repeats ? '< 2.0' : '≤ 2.0',
      pass: repeats ? run.requestsPerPayment < 2 : run.requestsPerPayment <= 2,
    });
    targets.push({
      name: `burst drained, ${run.label}: rejections + wrong balances + unapplied`,
      value: run.concurrencyRejections + run.wrongBalances + (run.payments - run.applied),
      limit: '= 0',
      pass: run.concurrencyRejections + run.wrongBalances === 0 && run.completed,
    });
  }
  return targets;
}

export function renderLatency(runs: LatencyRun[] | undefined): string[] {
  if (!runs?.length) return [];
  const [first] = runs;
  const out = [
    `h. Webhook → CRM, a burst of ${first?.payments} payments over ${first?.burstSeconds} s, ${first?.latencyMs} ms per wolkvox call` +
      ` (real time ÷ ${first?.scale}, figures scaled back; seconds)`,
    '   run                                        req/pay   p50     p99  (limit)   max    drain (limit)',
  ];
  for (const r of runs) {
    out.push(
      `   ${r.label.padEnd(42)} ${r.requestsPerPayment.toFixed(3).padStart(6)} ${r.p50Seconds.toFixed(1).padStart(6)}` +
        ` ${r.p99Seconds.toFixed(1).padStart(7)} (${r.limitP99Seconds.toFixed(1)}) ${r.maxSeconds.toFixed(1).padStart(6)}` +
        ` ${r.drainSeconds.toFixed(1).padStart(7)} (${r.limitSeconds.toFixed(1)})`,
    );
  }
  return out;
}
