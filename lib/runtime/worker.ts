import type { Config } from '#lib/config.ts';
import { sqsOnDemand } from '#lib/dispatch/queue.ts';
import { MAX_VISIBILITY_SECONDS } from '#lib/worker/retry.ts';
import { syncHandler } from '#lib/worker/sync.ts';
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
  const side = createWorkerSide(config, overrides, base.secrets);
  // One client delays and parks messages: most containers never make it.
  const sqs = sqsOnDemand(overrides.sqs);
  const dispatch =
    config.dispatch === 'queue'
      ? createQueueDispatch(config, sqs, base.now)
      : createDirectDispatch(config, overrides, side, base.now, base.logger);
  return { ...base, ...side, dispatch, sqs };
}

/** SQS FIFO → wolkvox: the worker's handler over a runtime. */
export function wolkvoxSyncHandler(runtime: Runtime) {
  return syncHandler({
    client: runtime.client,
    rules: runtime.config.obligations,
    attachments: runtime.attachments,
    ledger: runtime.ledger,
    delayMessage: async (receiptHandle, seconds) => {
      const { sqs, client } = await runtime.sqs();
      await client.send(
        new sqs.ChangeMessageVisibilityCommand({
          QueueUrl: runtime.config.queue.url,
          ReceiptHandle: receiptHandle,
          VisibilityTimeout: Math.min(MAX_VISIBILITY_SECONDS, seconds),
        }),
      );
    },
    park: (event) => runtime.dispatch.park(event),
    logger: runtime.logger,
    now: runtime.now,
  });
}
