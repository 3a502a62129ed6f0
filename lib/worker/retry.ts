import { wallClock } from '#lib/time-zone.ts';
import type { FailureKind } from '#lib/wolkvox/errors.ts';

/** SQS caps a message's visibility timeout at 12 hours. */
export const MAX_VISIBILITY_SECONDS = 43_200;

export interface RetryPolicy {
  /** First transient backoff; doubled per receive. */
  baseSeconds: number;
  maxSeconds: number;
  /** wolkvox resets token quotas daily, by the look of its hours-to-restart counter at local midnight. */
  quotaTimeZone: string;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  baseSeconds: 10,
  maxSeconds: 900,
  quotaTimeZone: 'America/Bogota',
};

/**
 * How long a message stays invisible after a retryable failure on its `receiveCount`-th receive:
 * exponential with "equal jitter" (half fixed, half random) so retries of a burst spread out; an
 * auth failure waits longer (someone must rotate the token); quota waits for the daily reset.
 */
export function retryDelaySeconds(
  kind: Exclude<FailureKind, 'permanent'>,
  receiveCount: number,
  now: Date,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  random: () => number = Math.random,
): number {
  if (kind === 'quota')
    return Math.min(
      MAX_VISIBILITY_SECONDS,
      secondsUntilMidnight(now, policy.quotaTimeZone) + Math.floor(random() * 300),
    );
  const base = kind === 'auth' ? Math.max(policy.baseSeconds, 60) : policy.baseSeconds;
  const ceiling = Math.min(policy.maxSeconds, base * 2 ** Math.max(0, receiveCount - 1));
  return Math.max(1, Math.round(ceiling / 2 + (random() * ceiling) / 2));
}

export function secondsUntilMidnight(now: Date, timeZone: string): number {
  const { hour, minute, second } = wallClock(now, timeZone);
  return 86_400 - (hour * 3_600 + minute * 60 + second);
}
