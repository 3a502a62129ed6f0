import type { Config } from '#lib/config.ts';
import { sqsOnDemand } from '#lib/dispatch/queue.ts';
import type { DirectDispatcher } from '#lib/dispatch/direct.ts';
import type { ParkedEvent } from '#lib/dispatch/types.ts';
import { createBase, createQueueDispatcher } from './common.ts';
import type { IngressRuntime, RuntimeOverrides } from './types.ts';

/**
 * An ingress function's runtime, built once per container (cold start). Deployments enqueue, so
 * the bundle holds no wolkvox client, ledger or worker: DISPATCH=direct (local runs) loads them on
 * the first event that needs them.
 */
export function createIngressRuntime(config: Config, overrides: RuntimeOverrides = {}): IngressRuntime {
  const base = createBase(config, overrides);
  const dispatcher =
    config.dispatch === 'queue'
      ? createQueueDispatcher(config, sqsOnDemand(overrides.sqs), base.now)
      : lazyDirectDispatcher(async () => {
          const { createApplySide, createDirectDispatcher } = await import('./apply.ts');
          const side = createApplySide(config, overrides, base.secrets);
          return createDirectDispatcher(config, overrides, side, base.now, base.logger);
        });
  return { ...base, dispatcher };
}

/** A direct dispatcher whose code is imported on first use; until then nothing has been parked. */
function lazyDirectDispatcher(load: () => Promise<DirectDispatcher>): DirectDispatcher {
  let loaded: DirectDispatcher | undefined;
  let loading: Promise<DirectDispatcher> | undefined;
  const get = () =>
    (loading ??= load().then(
      (dispatcher) => (loaded = dispatcher),
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
