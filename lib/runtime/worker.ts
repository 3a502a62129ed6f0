import type { Config } from '#lib/config.ts';
import { sqsOnDemand } from '#lib/dispatch/queue.ts';
import type { OutageBreaker } from '#lib/worker/breaker.ts';
import { awsIntake } from '#lib/worker/intake.ts';
import { intakeProbe } from '#lib/worker/probe.ts';
import { syncHandler } from '#lib/worker/sync.ts';
import { deadlineSignal } from '#lib/wolkvox/client.ts';
import { quotaWatchOf } from './quota.ts';
import { createWorkerSide, createDirectDispatch } from './worker-side.ts';
import { createBase, createQueueDispatch } from './common.ts';
import type { Runtime, RuntimeOverrides } from './types.ts';

/**
 * Everything built once per container (cold start): cheap objects, no network until a request
 * needs it. The worker's runtime is the whole one; tests and local tools build theirs with it too
 * (lib/wiring.ts). Ingress functions build less (ingress.ts).
 */
export function createRuntime(config: Config, overrides: RuntimeOverrides = {}): Runtime {
  const base = createBase(config, overrides);
  const side = createWorkerSide(config, overrides, base.secrets, base.metrics);
  // One client delays and parks messages: most containers never make it.
  const sqs = sqsOnDemand(overrides.sqs);
  const dispatch =
    config.dispatch === 'queue'
      ? createQueueDispatch(config, sqs, base.now)
      : createDirectDispatch(config, overrides, side, base.now, base.logger);
  const intake =
    overrides.intake ??
    (config.dispatch === 'queue' && config.queue.ledgerTable
      ? awsIntake({ tableName: config.queue.ledgerTable, shard: config.wolkvox.tokenShard, now: base.now })
      : undefined);
  return { ...base, ...side, dispatch, sqs, intake };
}

/** SQS FIFO → wolkvox: the worker's handler over a runtime (the bench gives a breaker already open). */
export function wolkvoxSyncHandler(runtime: Runtime, options: { breaker?: OutageBreaker } = {}) {
  const quota = quotaWatchOf(runtime);
  const sync = syncHandler({
    breaker: options.breaker,
    mergePayments: runtime.config.wolkvox.mergePayments,
    client: runtime.client,
    rules: runtime.config.obligations,
    attachments: runtime.attachments,
    ledger: runtime.ledger,
    delayMessages: async (messages, seconds) => {
      const { sqs, client } = await runtime.sqs();
      // A FIFO batch holds at most 10 messages: one call.
      const { Failed = [] } = await client.send(
        new sqs.ChangeMessageVisibilityBatchCommand({
          QueueUrl: runtime.config.queue.url,
          Entries: messages.map((m) => ({
            Id: m.messageId,
            ReceiptHandle: m.receiptHandle,
            // Capped at SQS's 12 hours by the sync handler.
            VisibilityTimeout: seconds,
          })),
        }),
      );
      return Failed.map((f) => f.Id ?? '');
    },
    park: (event) => runtime.dispatch.park(event),
    intake: runtime.intake,
    logger: runtime.logger,
    metrics: runtime.metrics,
    now: runtime.now,
  });
  if (!quota) return sync;
  // After the batch, when this container's reading is stale: the probe may run elsewhere.
  return async (...[event, context]: Parameters<typeof sync>) => {
    const answer = await sync(event, context);
    await quota.read({ signal: deadlineSignal(context.getRemainingTimeInMillis()) });
    return answer;
  };
}

/** The scheduled probe (every minute): resumes a paused intake once wolkvox answers again. */
export function intakeProbeHandler(runtime: Runtime) {
  const { intake } = runtime;
  return intakeProbe({
    intake,
    client: runtime.client,
    logger: runtime.logger,
    now: runtime.now,
    quota: quotaWatchOf(runtime),
  });
}
