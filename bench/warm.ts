/**
 * c. Warm cost per event, in this process (a warm container), one event at a time:
 *   - ingress: verify + parse + translate + dispatch to an in-memory SQS (memory-sqs.ts);
 *   - worker: one SQS record → ledger → wolkvox, against the sandbox with no added latency.
 * Wall time per event, and CPU time of this process per event (user + system), which leaves out
 * every wait on the services process: wolkvox, DynamoDB, Secrets Manager. The first `warmup`
 * events of each series are not counted. Ours and the baselines take turns in blocks of events, in
 * every order (interleaved()), so the ratios between them hold on a machine whose speed drifts.
 */
import type { SQSEvent } from 'aws-lambda';
import { createMemoryLedger } from '#lib/ledger/memory.ts';
import { type FunctionName, type Variant, VARIANTS } from './build.ts';
import {
  lambdaContext,
  type QueuedBody,
  sqsRecord,
  stripePaymentEvent,
  zendeskResolutionEvent,
} from './events.ts';
import { accepted, applied, type Implementation } from './implementations.ts';
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
  const target = (i: number) => targets[i % targets.length] as Target;
  const context = lambdaContext('bench');
  const each = <T>(make: (variant: Variant) => T) =>
    Object.fromEntries(VARIANTS.map((variant) => [variant, make(variant)])) as Record<Variant, T>;

  const firstQueued = each((variant) => implementations[variant].queue.sent.length);
  const payment = await interleaved(
    services,
    counts.warmup,
    each((variant) =>
      Array.from({ length: total }, (_, i) => stripePaymentEvent(`warm_${variant}_${i}`, target(i), 100)),
    ),
    each((variant) => async (event) => accepted(await implementations[variant].payment(event, context))),
  );
  const tickets = Array.from({ length: total }, (_, i) => zendeskResolutionEvent(10_000 + i));
  const ticket = await interleaved(
    services,
    counts.warmup,
    each(() => tickets),
    each((variant) => async (event) => accepted(await implementations[variant].ticket(event, context))),
  );
  // Each worker drains messages its own ingress queued (the payment series above queued them).
  const records = each((variant) =>
    implementations[variant].queue.sent
      .slice(firstQueued[variant], firstQueued[variant] + total)
      .map((message: QueuedBody, i): SQSEvent => ({ Records: [sqsRecord(message, i)] })),
  );
  const workers = each((variant) => implementations[variant].worker());
  const worker = await interleaved(
    services,
    counts.warmup,
    records,
    each((variant) => async (event) => applied(await workers[variant](event, context))),
  );
  await services.clearRequests();
  // The same messages again, through a fresh container whose ledger knows none of them.
  const memoryWorker = implementations.ours.worker({ ledger: createMemoryLedger() });
  const memory = await interleaved(
    services,
    counts.warmup,
    { ours: records.ours },
    { ours: async (event) => applied(await memoryWorker(event, context)) },
  );
  await services.clearRequests();
  return {
    'payment-received': payment,
    'ticket-resolved': ticket,
    'wolkvox-sync': { ...worker, oursMemoryLedger: memory.ours },
  } as WarmResults;
}

// Events per turn: the variants take turns in blocks this long, so a machine that slows down or
// speeds up mid-run weighs on all of them alike.
const BLOCK = 50;

/**
 * Every order of the variants, taken in turn, so each follows each other one equally often: what a
 * block leaves behind (garbage to collect, caches filled with its own code) weighs on the next. A
 * plain rotation (ours fair naive, fair naive ours, …) put ours after the naive baseline in two
 * turns of three, and fair in one.
 */
function orders<V>(variants: readonly V[]): V[][] {
  if (variants.length <= 1) return [[...variants]];
  return variants.flatMap((first, i) =>
    orders(variants.filter((_, j) => j !== i)).map((rest) => [first, ...rest]),
  );
}

/** One series per variant, measured in interleaved blocks. */
async function interleaved<E, V extends Variant>(
  services: Services,
  warmup: number,
  events: Record<V, E[]>,
  handle: Record<V, (event: E) => Promise<boolean>>,
): Promise<Record<V, WarmSeries>> {
  const variants = Object.keys(events) as V[];
  const turns = orders(variants);
  const samples = new Map(
    variants.map((v) => [v, { wall: [] as number[], cpu: [] as number[], secrets: 0, connections: 0 }]),
  );
  const length = Math.max(...variants.map((v) => events[v].length));
  for (let from = 0, turn = 0; from < length; from += BLOCK, turn++) {
    for (const variant of turns[turn % turns.length] ?? variants) {
      const sample = samples.get(variant);
      if (!sample) continue;
      const secretsBefore = await services.secretsCalls();
      const connectionsBefore = (await services.stats()).connectionsOpened;
      for (let i = from; i < Math.min(from + BLOCK, events[variant].length); i++) {
        const cpuStart = process.cpuUsage();
        const wallStart = performance.now();
        const ok = await handle[variant](events[variant][i] as E);
        const wallUs = (performance.now() - wallStart) * 1000;
        const { user, system } = process.cpuUsage(cpuStart);
        if (!ok) throw new Error(`warm event ${i} of ${variant} was not handled`);
        if (i < warmup) continue;
        sample.wall.push(wallUs);
        sample.cpu.push(user + system);
      }
      sample.secrets += (await services.secretsCalls()) - secretsBefore;
      sample.connections += (await services.stats()).connectionsOpened - connectionsBefore;
    }
  }
  const results = {} as Record<V, WarmSeries>;
  for (const variant of variants) {
    const { wall, cpu, secrets, connections } = samples.get(variant) ?? {
      wall: [],
      cpu: [],
      secrets: 0,
      connections: 0,
    };
    const per1000 = (n: number) => round((n * 1000) / events[variant].length, 1);
    results[variant] = {
      events: wall.length,
      wallUs: { p50: round(percentile(wall, 50), 0), p99: round(percentile(wall, 99), 0) },
      cpuUs: { p50: round(percentile(cpu, 50), 0), p99: round(percentile(cpu, 99), 0) },
      secretsCallsPer1000: per1000(secrets),
      wolkvoxConnectionsPer1000: per1000(connections),
      secretsCalls: secrets,
      wolkvoxConnections: connections,
    };
  }
  return results;
}
