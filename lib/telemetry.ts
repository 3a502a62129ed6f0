import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Family } from '#lib/providers/types.ts';
import type { CallRecord } from '#lib/wolkvox/client.ts';

export type { Metrics };

/** The `service` dimension every metric carries (and the only default one). */
export const SERVICE = 'wolkvox-webhooks';

/**
 * CloudWatch EMF metrics (Powertools), in the namespace serverless.yml sets
 * (POWERTOOLS_METRICS_NAMESPACE = `<service>/<stage>`). Outside Lambda (npm start, the demo, tests,
 * `osls invoke local`) EMF lines would only clutter the terminal: they are off unless
 * POWERTOOLS_METRICS_DISABLED says otherwise. That is Powertools' own switch; POWERTOOLS_DEV would
 * also turn the JSON log lines into indented text.
 */
export function createMetrics(inLambda: boolean): Metrics {
  if (!inLambda) process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  return new Metrics({
    serviceName: SERVICE,
    namespace: process.env.POWERTOOLS_METRICS_NAMESPACE || `${SERVICE}/local`,
  });
}

/** The contract's metric names (README, Operations): alarms and the dashboard use these. */
export type CountName =
  | 'Deliveries'
  | 'Unauthorized'
  | 'Applied'
  | 'Skipped'
  | 'Parked'
  | 'Recovered'
  | 'Retried'
  | 'WolkvoxCalls'
  | 'WolkvoxAuthFailures'
  | 'QuotaHolds'
  | 'SecretKeyMissing';

/**
 * One count. With dimensions of its own it is written at once on its own EMF line (the metrics of
 * one line share their dimensions); with only `service` it is stored and flushed with the
 * invocation's others (flushMetrics).
 */
export function count(
  metrics: Metrics | undefined,
  name: CountName,
  dimensions?: Record<string, string>,
): void {
  if (!metrics) return;
  if (!dimensions) return void metrics.addMetric(name, MetricUnit.Count, 1);
  withDimensions(metrics, dimensions).addMetric(name, MetricUnit.Count, 1);
}

const singles = new WeakMap<Metrics, Map<string, Metrics>>();

/**
 * A single-metric instance (each metric written at once) carrying these dimensions, kept per
 * dimension set: making one per count costs a Metrics constructor on every wolkvox call. The sets
 * are few (endpoints × outcomes, providers × outcomes): the path's slug is never one (errorResponses).
 */
function withDimensions(metrics: Metrics, dimensions: Record<string, string>): Metrics {
  let byKey = singles.get(metrics);
  if (!byKey) singles.set(metrics, (byKey = new Map()));
  const key = JSON.stringify(dimensions);
  let single = byKey.get(key);
  if (!single) {
    single = metrics.singleMetric();
    // Default dimensions survive each write; added ones would be cleared by it.
    single.setDefaultDimensions(dimensions);
    byKey.set(key, single);
  }
  return single;
}

/** A count written at once with only `service`: for ingress, which has nothing stored to flush. */
export function countNow(metrics: Metrics | undefined, name: CountName): void {
  if (metrics) withDimensions(metrics, {}).addMetric(name, MetricUnit.Count, 1);
}

export function milliseconds(
  metrics: Metrics | undefined,
  name: 'WolkvoxLatency',
  value: number,
  dimensions: Record<string, string>,
): void {
  if (metrics) withDimensions(metrics, dimensions).addMetric(name, MetricUnit.Milliseconds, value);
}

/** An ingress answer's outcome: what became of the event, or the error status it got. */
export type DeliveryOutcome =
  'accepted' | 'applied' | 'skipped' | 'ignored' | 'parked' | '400' | '401' | '404' | '413' | '503';

/** One per webhook answer (one per item of a batch); a 401 also counts as Unauthorized, per provider. */
export function countDelivery(
  metrics: Metrics | undefined,
  family: Family,
  provider: string,
  outcome: DeliveryOutcome,
): void {
  count(metrics, 'Deliveries', { family, provider, outcome });
  if (outcome === '401') count(metrics, 'Unauthorized', { family, provider });
}

/**
 * Writes the invocation's stored metrics. Not Powertools' logMetrics middleware: it warns on every
 * invocation that stored none, which is most ingress ones (their counts carry dimensions).
 */
export function flushMetrics(metrics: Metrics | undefined): void {
  if (metrics?.hasStoredMetrics()) metrics.publishStoredMetrics();
}

/** A wolkvox call (the client's onCall): by endpoint and outcome, its latency, and a rejected token. */
export function countWolkvoxCall(metrics: Metrics | undefined, call: CallRecord): void {
  count(metrics, 'WolkvoxCalls', { endpoint: call.endpoint, outcome: call.outcome });
  milliseconds(metrics, 'WolkvoxLatency', call.ms, { endpoint: call.endpoint });
  if (call.outcome === 'auth') count(metrics, 'WolkvoxAuthFailures');
}
