/**
 * c. Warm cost per event, in this process (a warm container), one event at a time:
 *   - ingress: verify + parse + translate + dispatch to an in-memory SQS (memory-sqs.ts);
 *   - worker: one SQS record → ledger → wolkvox, against the sandbox with no added latency.
 * Wall time per event, and CPU time of this process per event (user + system), which leaves out
 * every wait on the services process: wolkvox, DynamoDB, Secrets Manager. The first `warmup`
 * events of each series are not counted.
 */
import type { SQSEvent } from 'aws-lambda';
import { createMemoryLedger } from '#lib/ledger/memory.ts';
import type { FunctionName } from './build.ts';
import {
  lambdaContext,
  type QueuedBody,
  sqsRecord,
  stripePaymentEvent,
  zendeskResolutionEvent,
} from './events.ts';
import { accepted, applied, type Implementation, type Variant } from './implementations.ts';
import type { Services, Target } from './services.ts';
import { percentile, round } from './stats.ts';

export interface Distribution {
  p50: number;
  p99: number;
}

export interface WarmSeries {
  events: number;
  wallUs: Distribution;
  cpuUs: Distribution;
  /** GetSecretValue calls made by the whole series (warm-up included) per 1,000 events. */
  secretsCallsPer1000: number;
  /** TCP connections the sandbox accepted during the series, per 1,000 events (worker only). */
  wolkvoxConnectionsPer1000: number;
  secretsCalls: number;
  wolkvoxConnections: number;
}

export interface WarmResults extends Record<FunctionName, Record<Variant, WarmSeries>> {
  /** Ours against the deployed DynamoDB ledger (dynalite) above; here with the in-memory one. */
  'wolkvox-sync': Record<Variant, WarmSeries> & { oursMemoryLedger: WarmSeries };
}

export async function measureWarm(
  services: Services,
  implementations: Record<Variant, Implementation>,
  targets: Target[],
  counts: { warm: number; warmup: number },
): Promise<WarmResults> {
  await services.setLatency(0);
  const total = counts.warm + counts.warmup;
  const results = {
    'payment-received': {},
    'ticket-resolved': {},
    'wolkvox-sync': {},
  } as WarmResults;
  const target = (i: number) => targets[i % targets.length] as Target;
  let oursRecords: SQSEvent[] = [];
  for (const variant of ['ours', 'naive'] as const) {
    const impl = implementations[variant];
    const context = lambdaContext('bench');

    const firstQueued = impl.queue.sent.length;
    const payments = Array.from({ length: total }, (_, i) =>
      stripePaymentEvent(`warm_${variant}_${i}`, target(i), 100),
    );
    results['payment-received'][variant] = await series(services, counts.warmup, payments, async (event) =>
      accepted(await impl.payment(event, context)),
    );

    const tickets = Array.from({ length: total }, (_, i) => zendeskResolutionEvent(10_000 + i));
    results['ticket-resolved'][variant] = await series(services, counts.warmup, tickets, async (event) =>
      accepted(await impl.ticket(event, context)),
    );

    // The worker drains messages its own ingress queued (the payment series above queued them).
    const queued = impl.queue.sent.slice(firstQueued, firstQueued + total);
    const worker = impl.worker();
    const records = queued.map((message: QueuedBody, i) => ({ Records: [sqsRecord(message, i)] }));
    if (variant === 'ours') oursRecords = records;
    results['wolkvox-sync'][variant] = await series(services, counts.warmup, records, async (event) =>
      applied(await worker(event, context)),
    );
    await services.clearRequests();
  }
  // The same messages again, through a fresh container whose ledger knows none of them.
  const memoryWorker = implementations.ours.worker({ ledger: createMemoryLedger() });
  const context = lambdaContext('bench');
  results['wolkvox-sync'].oursMemoryLedger = await series(
    services,
    counts.warmup,
    oursRecords,
    async (event) => applied(await memoryWorker(event, context)),
  );
  await services.clearRequests();
  return results;
}

async function series<E>(
  services: Services,
  warmup: number,
  events: E[],
  handle: (event: E) => Promise<boolean>,
): Promise<WarmSeries> {
  const wall: number[] = [];
  const cpu: number[] = [];
  const secretsBefore = await services.secretsCalls();
  const connectionsBefore = (await services.stats()).connectionsOpened;
  for (const [i, event] of events.entries()) {
    const cpuStart = process.cpuUsage();
    const wallStart = performance.now();
    const ok = await handle(event);
    const wallUs = (performance.now() - wallStart) * 1000;
    const { user, system } = process.cpuUsage(cpuStart);
    if (!ok) throw new Error(`warm event ${i} was not handled`);
    if (i < warmup) continue;
    wall.push(wallUs);
    cpu.push(user + system);
  }
  const secretsCalls = (await services.secretsCalls()) - secretsBefore;
  const wolkvoxConnections = (await services.stats()).connectionsOpened - connectionsBefore;
  const per1000 = (n: number) => round((n * 1000) / events.length, 1);
  return {
    events: wall.length,
    wallUs: { p50: round(percentile(wall, 50), 0), p99: round(percentile(wall, 99), 0) },
    cpuUs: { p50: round(percentile(cpu, 50), 0), p99: round(percentile(cpu, 99), 0) },
    secretsCallsPer1000: per1000(secretsCalls),
    wolkvoxConnectionsPer1000: per1000(wolkvoxConnections),
    secretsCalls,
    wolkvoxConnections,
  };
}
