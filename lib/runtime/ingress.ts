import type { Config } from '#lib/config.ts';
import { sqsOnDemand } from '#lib/dispatch/queue.ts';
import type { DirectDispatch } from '#lib/dispatch/direct.ts';
import type { ParkedEvent } from '#lib/dispatch/types.ts';
import { createBase, createQueueDispatch } from './common.ts';
import type { IngressRuntime, RuntimeOverrides } from './types.ts';

/**
 * An ingress function's runtime, built once per container (cold start). Deployments enqueue, so
 * the bundle holds no wolkvox client, ledger or worker: DISPATCH=direct (local runs) loads them on
 * the first event that needs them.
 */
export function createIngressRuntime(config: Config, overrides: RuntimeOverrides = {}): IngressRuntime {
  const base = createBase(config, overrides);
  const dispatch =
    config.dispatch === 'queue'
      ? createQueueDispatch(config, sqsOnDemand(overrides.sqs), base.now)
      : lazyDirectDispatch(async () => {
          const { createWorkerSide, createDirectDispatch } = await import('./worker-side.ts');
          const side = createWorkerSide(config, overrides, base.secrets, base.metrics);
          return createDirectDispatch(config, overrides, side, base.now, base.logger);
        });
  return { ...base, dispatch };
}

/** Direct dispatch whose code is imported on first use; until then nothing has been parked. */
function lazyDirectDispatch(load: () => Promise<DirectDispatch>): DirectDispatch {
  let loaded: DirectDispatch | undefined;
  let loading: Promise<DirectDispatch> | undefined;
  const get = () =>
    (loading ??= load().then(
      (dispatch) => (loaded = dispatch),
      (error: unknown) => {
        loading = undefined;
        throw error;
      },
    ));
  return {
    mode: 'direct',
    parked: (): readonly ParkedEvent[] => loaded?.parked() ?? [],
    submit: async (command, meta, signal) => (await get()).submit(command, meta, signal),
    park: async (event) => (await get()).park(event),
  };
}
