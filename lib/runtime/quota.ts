import { powertoolsQuotaMetrics } from '#lib/worker/quota-metrics.ts';
import { ledgerTableClient } from '#lib/ledger/table-client.ts';
import { type QuotaWatch, quotaTurns, quotaWatch } from '#lib/worker/quota.ts';
import { tokenLabel } from '#lib/wolkvox/tokens.ts';
import type { Runtime } from './types.ts';

// One watch per runtime (per container): the worker and the probe it also serves share the cache.
const watches = new WeakMap<Runtime, QuotaWatch | undefined>();

/** Several tokens (shards): a worker's readings also go out under its token's label; one: none. */
export function quotaLabel(config: Runtime['config']): string | undefined {
  return config.queue.urls.length > 1 ? tokenLabel(config.wolkvox.tokenShard) : undefined;
}

/**
 * The container's quota watch (lib/worker/quota.ts), only inside Lambda: local runs and the bench
 * have no CloudWatch to publish to, and their sandbox calls would skew what they count.
 */
export function quotaWatchOf(runtime: Runtime): QuotaWatch | undefined {
  if (!watches.has(runtime)) {
    const { config } = runtime;
    const on = config.inLambda && config.wolkvox.quotaCheckMs > 0;
    watches.set(
      runtime,
      on
        ? quotaWatch({
            client: runtime.client,
            metrics: powertoolsQuotaMetrics(),
            logger: runtime.logger,
            checkMs: config.wolkvox.quotaCheckMs,
            token: quotaLabel(config),
            // Deployed, one container of the token reads per window (the others' turn is taken).
            turn: config.queue.ledgerTable
              ? quotaTurns({
                  tableName: config.queue.ledgerTable,
                  shard: config.wolkvox.tokenShard,
                  dynamo: ledgerTableClient,
                  everyMs: config.wolkvox.quotaCheckMs,
                  now: runtime.now,
                })
              : undefined,
            now: runtime.now,
          })
        : undefined,
    );
  }
  return watches.get(runtime);
}
