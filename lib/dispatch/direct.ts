import { failureKind, failureReason } from '#lib/errors.ts';
import { recordKey, type WolkvoxCommand } from '#lib/events.ts';
import { keyedSerializer } from './serialize.ts';
import { type ApplyDeps, applyCommand } from '#lib/worker/apply.ts';
import type { Dispatch, ParkedEvent } from './types.ts';

export interface DirectDispatch extends Dispatch {
  /** Events parked in this process (local runs: the demo and `npm start` list them). */
  parked(): readonly ParkedEvent[];
}

/**
 * Local runs: the worker's code applied in the same process. A failure that may pass (wolkvox or
 * the ledger unavailable, a busy lease) goes back to ingress, which answers 503 so the provider
 * retries; a permanent one is parked with its reason and answered 2xx.
 */
export function directDispatch(
  deps: ApplyDeps & { now?: () => Date; onPark?: (e: ParkedEvent) => void },
): DirectDispatch {
  const parked: ParkedEvent[] = [];
  const serialize = keyedSerializer();
  const now = deps.now ?? (() => new Date());
  const dispatch: DirectDispatch = {
    mode: 'direct',
    parked: () => parked,

    async submit(command: WolkvoxCommand, meta, signal) {
      try {
        const applied = await serialize(recordKey(command), () => applyCommand(command, deps, { signal }));
        if (applied.outcome === 'skipped') return { status: 'skipped', reason: applied.reason ?? 'skipped' };
        return { status: 'applied', applied };
      } catch (error) {
        if (failureKind(error) !== 'permanent') throw error;
        const reason = failureReason(error);
        await dispatch.park({
          provider: meta.provider,
          eventId: meta.eventId,
          reason,
          command,
          summary: { identity: command.identity },
          parkedAt: now().toISOString(),
        });
        return { status: 'parked', reason };
      }
    },

    async park(event: ParkedEvent) {
      parked.push(event);
      deps.onPark?.(event);
    },
  };
  return dispatch;
}
