import type { Context } from 'aws-lambda';
import { failureReason } from '#lib/errors.ts';
import type { Logger } from '#lib/log.ts';
import type { WolkvoxClient } from '#lib/wolkvox/client.ts';
import { isOutage } from './breaker.ts';
import type { Intake } from './intake.ts';
import type { QuotaWatch } from './quota.ts';

export interface ProbeDeps {
  intake: Intake | undefined;
  client: WolkvoxClient;
  logger: Logger;
  now?: () => Date;
  /** Read (at most once per QUOTA_CHECK_SECONDS) on every run, paused or not: quota.ts. */
  quota?: QuotaWatch;
}

export type ProbeResult = { intake: 'running' | 'paused' | 'resumed' | 'none' };

/** A record nobody has: the probe reads it, and any answer but an outage's means wolkvox is up. */
export const PROBE_TARGET = { wolkvoxId: 'wolkvox-webhooks-probe', obligation: 'probe' };

/**
 * Runs every minute in wolkvoxSync (a schedule beside its queue). While the breaker has the intake
 * paused it asks wolkvox one read; once wolkvox answers — whatever it says: not found, quota, auth —
 * it resumes the intake and the backlog drains in order. Otherwise it costs one DynamoDB read.
 */
export function intakeProbe(deps: ProbeDeps) {
  const now = deps.now ?? (() => new Date());
  const probe = async (context: Pick<Context, 'getRemainingTimeInMillis'>): Promise<ProbeResult> => {
    if (!deps.intake) return { intake: 'none' };
    const paused = await deps.intake.paused();
    if (!paused) return { intake: 'running' };
    // Invocations that were running when it paused end within the worker's timeout — this very
    // function's, so its own budget at start — and until then one more call could exceed 2 in flight.
    const settled = Date.parse(paused.latest) + context.getRemainingTimeInMillis();
    if (now().getTime() < settled) return { intake: 'paused' };
    try {
      await deps.client.queryObligation(PROBE_TARGET, { signal: AbortSignal.timeout(10_000) });
    } catch (error) {
      if (isOutage(error)) {
        deps.logger.info('wolkvox still unreachable', { since: paused.since, reason: failureReason(error) });
        return { intake: 'paused' };
      }
    }
    await deps.intake.resume(paused);
    deps.logger.warn('intake resumed: wolkvox answers again', { since: paused.since, reason: paused.reason });
    return { intake: 'resumed' };
  };
  return async (context: Pick<Context, 'getRemainingTimeInMillis'>): Promise<ProbeResult> => {
    await deps.quota?.read({ signal: AbortSignal.timeout(10_000) });
    return probe(context);
  };
}
