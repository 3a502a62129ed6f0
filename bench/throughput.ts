/**
 * d. Throughput: N payment events, queued by the implementation's own ingress, drained from an SQS
 * FIFO queue (test/support/fifo-harness.ts: message groups, in-flight groups blocked) by worker
 * containers taking batches of 5 (serverless.yml: batchSize 5, maximumConcurrency 2), against the
 * sandbox with its 2-concurrent limit and a fixed latency. A failed record becomes visible again
 * at once (SQS would hold it for the visibility timeout: the baseline's real throughput is lower).
 *
 * Achieved = useful wolkvox calls per second: each payment needs one query and one update, so
 * 2 × payments applied ÷ elapsed; ideal = 2 ÷ latency (both slots busy all the time).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Context, SQSRecord } from 'aws-lambda';
import { createMemoryLedger } from '#lib/ledger/memory.ts';
import type { Ledger } from '#lib/ledger/types.ts';
import { type OutageBreaker, outageBreaker } from '#lib/worker/breaker.ts';
import { FifoQueue } from '../test/support/fifo-harness.ts';
import { lambdaContext, stripePaymentEvent } from './events.ts';
import { accepted, type Implementation, type Worker } from './implementations.ts';
import type { Services, Target } from './services.ts';
import { ratio, round } from './stats.ts';

export const BATCH_SIZE = 5;
const PESOS = 100;
const INITIAL_BALANCE = 100_000_000;
/** Distinct obligations (FIFO groups) per run: enough that two containers never starve each other. */
const GROUPS = 30;

export interface ThroughputRun {
  label: string;
  containers: number;
  ledger: 'memory' | 'dynamodb' | 'DynamoDB marker';
  events: number;
  applied: number;
  elapsedMs: number;
  /** Useful wolkvox calls per second (2 per payment applied). */
  achievedPerSecond: number;
  idealPerSecond: number;
  achievedOverIdeal: number;
  wolkvoxRequests: number;
  concurrencyRejections: number;
  wolkvoxConnections: number;
  secretsCalls: number;
  invocations: number;
  /** Obligations whose final balance is not the starting one minus every payment (lost updates). */
  wrongBalances: number;
  completed: boolean;
}

export interface ThroughputPlan {
  label: string;
  implementation: Implementation;
  containers: number;
  ledger: 'memory' | 'dynamodb';
  /** Each container's outage breaker open, its cool-down over: the drain when wolkvox comes back. */
  afterOutage?: boolean;
}

export async function measureThroughput(
  services: Services,
  plan: ThroughputPlan,
  options: { events: number; latencyMs: number; timeoutMs: number },
): Promise<ThroughputRun> {
  const { implementation: impl } = plan;
  const groups = Math.min(GROUPS, options.events);
  const targets = await services.addObligations(`TP-${plan.label}`, groups, String(INITIAL_BALANCE));

  // Queue the events through the implementation's own ingress (not timed).
  const first = impl.queue.sent.length;
  for (let i = 0; i < options.events; i++) {
    const event = stripePaymentEvent(`tp_${plan.label}_${i}`, targets[i % groups] as Target, PESOS);
    if (!accepted(await impl.payment(event, lambdaContext('bench'))))
      throw new Error(`event ${i} not queued`);
  }
  const queue = new FifoQueue(() => Date.now(), {
    visibilityMs: 360_000,
    maxReceiveCount: Number.MAX_SAFE_INTEGER,
  });
  for (const message of impl.queue.sent.slice(first)) {
    queue.send(message.MessageBody, message.MessageGroupId, message.MessageDeduplicationId);
  }

  const ledger: Ledger | undefined = plan.ledger === 'memory' ? createMemoryLedger() : undefined;
  const workers = Array.from({ length: plan.containers }, () =>
    impl.worker({ ledger, breaker: plan.afterOutage ? trippedBreaker() : undefined }),
  );
  await services.setLatency(options.latencyMs);
  await services.clearRequests();
  const before = await services.stats();
  const secretsBefore = await services.secretsCalls();

  const started = performance.now();
  const deadline = started + options.timeoutMs;
  const invocations = await Promise.all(workers.map((worker) => drain(worker, queue, deadline)));
  const elapsedMs = performance.now() - started;

  const after = await services.stats();
  const secretsCalls = (await services.secretsCalls()) - secretsBefore;
  await services.setLatency(0);
  const applied = options.events - queue.pending;
  const balances = await services.balances(targets);
  const wrongBalances = balances.filter((balance, g) => {
    const payments = Math.floor(options.events / groups) + (g < options.events % groups ? 1 : 0);
    return Number(balance) !== INITIAL_BALANCE - payments * PESOS;
  }).length;
  const idealPerSecond = 2 / (options.latencyMs / 1000);
  const achievedPerSecond = (2 * applied) / (elapsedMs / 1000);
  return {
    label: plan.label,
    containers: plan.containers,
    ledger: impl.variant === 'ours' ? plan.ledger : 'DynamoDB marker',
    events: options.events,
    applied,
    elapsedMs: round(elapsedMs, 0),
    achievedPerSecond: round(achievedPerSecond, 2),
    idealPerSecond: round(idealPerSecond, 2),
    achievedOverIdeal: round(ratio(achievedPerSecond, idealPerSecond), 3),
    wolkvoxRequests: after.requestsTotal - before.requestsTotal,
    concurrencyRejections: after.rejectedSimultaneous - before.rejectedSimultaneous,
    wolkvoxConnections: after.connectionsOpened - before.connectionsOpened,
    secretsCalls,
    invocations: invocations.reduce((a, b) => a + b, 0),
    wrongBalances,
    completed: queue.pending === 0,
  };
}

/** A breaker that five outage failures opened a minute ago: its next call is the trial. */
function trippedBreaker(): OutageBreaker {
  let offset = -61_000;
  const breaker = outageBreaker({ now: () => Date.now() + offset });
  for (let i = 0; i < 5; i++) breaker.failed();
  offset = 0;
  return breaker;
}

/**
 * One invocation as the event source mapping makes it: the batch to the worker, then each record
 * deleted, or made visible again when the worker reported it failed (a thrown batch — Powertools'
 * full-batch failure — fails every record). Returns the records that succeeded.
 */
export async function invokeBatch(
  worker: Worker,
  queue: FifoQueue,
  Records: SQSRecord[],
  context: Context,
): Promise<SQSRecord[]> {
  let failed: Set<string>;
  try {
    const answer = await worker({ Records }, context);
    failed = new Set(answer.batchItemFailures.map((f) => f.itemIdentifier));
  } catch {
    failed = new Set(Records.map((r) => r.messageId));
  }
  const succeeded: SQSRecord[] = [];
  for (const record of Records) {
    if (failed.has(record.messageId)) queue.changeVisibility(record.receiptHandle, 0);
    else {
      queue.delete(record.receiptHandle);
      succeeded.push(record);
    }
  }
  return succeeded;
}

/** One container: invoke with the next batch until the queue is empty (or the deadline). */
async function drain(worker: Worker, queue: FifoQueue, deadline: number): Promise<number> {
  const context = lambdaContext('bench-worker');
  let invocations = 0;
  while (queue.pending > 0 && performance.now() < deadline) {
    const Records = queue.receive(BATCH_SIZE);
    if (Records.length === 0) {
      // Every remaining group is in flight in the other container: poll again shortly.
      await sleep(1);
      continue;
    }
    invocations++;
    await invokeBatch(worker, queue, Records, context);
  }
  return invocations;
}
