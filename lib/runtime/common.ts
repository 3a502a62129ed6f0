import type { Config } from '#lib/config.ts';
import { queueDispatch, type SqsOnDemand } from '#lib/dispatch/queue.ts';
import type { Dispatch } from '#lib/dispatch/types.ts';
import { createLogger } from '#lib/log.ts';
import { createSecretStore } from '#lib/secrets/index.ts';
import { createMetrics } from '#lib/telemetry.ts';
import type { IngressRuntime, RuntimeOverrides } from './types.ts';

/** The pieces every function has: logger, metrics, clock and secrets. Cheap objects, no network. */
export function createBase(
  config: Config,
  overrides: RuntimeOverrides,
): Pick<IngressRuntime, 'config' | 'secrets' | 'logger' | 'metrics' | 'now'> {
  const logger = overrides.logger ?? createLogger('wolkvox-webhooks', overrides.logLevel ?? config.logLevel);
  const metrics = overrides.metrics ?? createMetrics(config.inLambda);
  const now = overrides.now ?? (() => new Date());
  const secrets =
    overrides.secrets ??
    createSecretStore({
      secretId: config.secrets.secretId,
      ttlMs: config.secrets.ttlMs,
      inLambda: config.inLambda,
    });
  return { config, secrets, logger, metrics, now };
}

/** DISPATCH=queue: the SQS FIFO work queue, and the parking queue for events an operator must see. */
export function createQueueDispatch(config: Config, sqs: SqsOnDemand, now: () => Date): Dispatch {
  return queueDispatch({
    queueUrl: config.queue.url ?? '',
    queueUrls: config.queue.urls,
    parkedQueueUrl: config.queue.parkedUrl ?? '',
    sqs,
    now,
  });
}
