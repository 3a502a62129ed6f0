import { WolkvoxError } from '#lib/wolkvox/errors.ts';

/**
 * A container-wide circuit breaker for wolkvox outages. Retrying each message with backoff spends
 * its receives: a long outage would walk every queued command into the dead-letter queue, and
 * backoff long enough to outlast one would leave the backlog waiting hours after wolkvox returns.
 * So after `threshold` outage failures in a row the worker stops calling wolkvox (messages are put
 * back without a call) and pauses its intake (intake.ts), which stops receives altogether; the
 * intake probe resumes it once wolkvox answers, and the backlog drains at once. After `cooldownMs`
 * one call goes through as a trial: its success closes the breaker, its failure opens it again.
 * Calls that arrive during the trial wait for its outcome instead of being put back: after an
 * outage the first batch drains at full speed, not one message per cool-down.
 */
export interface OutageBreaker {
  /** Whether a call may go to wolkvox now: closed, or the trial after the cool-down, or after a trial that succeeded. */
  admit(): Promise<boolean>;
  /** wolkvox answered (whatever it said). */
  succeeded(): void;
  /** The attempt failed for a reason that says nothing about wolkvox (the ledger, a bug). */
  inconclusive(): void;
  /** An outage failure; true when it opens the breaker (time to pause the intake). */
  failed(): boolean;
}

export interface BreakerOptions {
  /** Outage failures in a row that open it (default 5). */
  threshold?: number;
  /** How long it stays open before a trial call (default 60 s). */
  cooldownMs?: number;
  now?: () => number;
}

/**
 * wolkvox down rather than refusing this one command: no answer (refused, reset, timeout), 5xx, an
 * HTML error page, maintenance — its transient failures. Quota, auth and permanent answers mean
 * wolkvox is up.
 */
export function isOutage(error: unknown): boolean {
  return error instanceof WolkvoxError && error.kind === 'transient';
}

export function outageBreaker(options: BreakerOptions = {}): OutageBreaker {
  const { threshold = 5, cooldownMs = 60_000, now = Date.now } = options;
  let failures = 0;
  let openUntil = 0;
  let trial: PromiseWithResolvers<void> | undefined;
  const open = () => failures >= threshold;
  const settleTrial = () => {
    trial?.resolve();
    trial = undefined;
  };
  return {
    async admit() {
      for (;;) {
        if (!open()) return true;
        if (!trial && now() < openUntil) return false;
        if (!trial) {
          trial = Promise.withResolvers();
          return true;
        }
        await trial.promise;
      }
    },
    succeeded() {
      failures = 0;
      settleTrial();
    },
    inconclusive() {
      settleTrial();
    },
    failed() {
      // Calls already waiting for a slot when it opened fail too: only the first one opens it.
      const alreadyOpen = open() && !trial && now() < openUntil;
      settleTrial();
      failures += 1;
      if (!open()) return false;
      openUntil = now() + cooldownMs;
      return !alreadyOpen;
    },
  };
}
