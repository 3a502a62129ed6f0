/**
 * The token's daily quota, read from wolkvox's token information page (§3.2) at most once per
 * QUOTA_CHECK_SECONDS per token — one container takes each window's turn (quotaTurns: a conditional
 * write shared by every container of the token) — and published as metrics, so an alarm fires at
 * `quotaAlarmPercent` used, hours before the reset holds the day's last payments. Every reading
 * costs one unit of that same quota: at the default 600 s, 144 a day (3% of wolkvox's example of
 * 4,800), however many containers the token has.
 */
import { type DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { errorName } from '#lib/ledger/errors.ts';
import { failureReason } from '#lib/errors.ts';
import type { Logger } from '#lib/log.ts';
import type { CallOptions, TokenQuota } from '#lib/wolkvox/client.ts';
import { WolkvoxError } from '#lib/wolkvox/errors.ts';

export interface QuotaReading extends TokenQuota {
  /** Share of the daily limit used, 0–100. */
  usedPercent: number;
  /** When it was read (epoch ms). */
  at: number;
}

/**
 * Where readings go: CloudWatch through Powertools Metrics (quota-metrics.ts) in Lambda; a test's
 * array. `token` is the token's non-secret label when there are several, else undefined.
 */
export interface QuotaMetrics {
  publish(reading: QuotaReading, token: string | undefined): void;
}

export interface QuotaWatchDeps {
  client: { tokenInformation(call?: CallOptions): Promise<TokenQuota> };
  metrics: QuotaMetrics;
  logger: Logger;
  checkMs: number;
  /** The token's label (several tokens, issue 19 §2); undefined with one. */
  token?: string;
  /**
   * Whether this container takes the token's reading for the window now starting (quotaTurns);
   * absent, it reads whenever its own window has passed.
   */
  turn?: () => Promise<boolean>;
  now?: () => Date;
}

export interface QuotaWatch {
  /** The cached reading when younger than checkMs, else a fresh one (published); undefined if it failed. */
  read(call?: CallOptions): Promise<QuotaReading | undefined>;
  /** The last reading, without a call. */
  last(): QuotaReading | undefined;
}

export function quotaWatch(deps: QuotaWatchDeps): QuotaWatch {
  const now = () => (deps.now?.() ?? new Date()).getTime();
  let last: QuotaReading | undefined;
  // A failed reading is not retried before the next window either: a quota spent on asking how
  // much quota is left would be the wrong economy.
  let triedAt = -Infinity;
  let pending: Promise<QuotaReading | undefined> | undefined;

  async function fetchReading(call: CallOptions): Promise<QuotaReading | undefined> {
    triedAt = now();
    if (deps.turn && !(await takeTurn(deps.turn, deps.logger))) return last;
    try {
      const quota = await deps.client.tokenInformation(call);
      const usedPercent = quota.limit > 0 ? Math.min(100, (100 * quota.usedToday) / quota.limit) : 100;
      last = { ...quota, usedPercent: Math.round(usedPercent * 10) / 10, at: now() };
      deps.metrics.publish(last, deps.token);
      return last;
    } catch (error) {
      deps.logger.warn('could not read the token quota', { reason: failureReason(error) });
      // Spent: the page itself is refused, and silence would let the alarm fall back to OK.
      if (error instanceof WolkvoxError && error.kind === 'quota') {
        const limit = last?.limit ?? 0;
        last = { limit, usedToday: limit, remaining: 0, hoursToRestart: 0, usedPercent: 100, at: now() };
        deps.metrics.publish(last, deps.token);
        return last;
      }
      return undefined;
    }
  }

  return {
    last: () => last,
    read(call = {}) {
      if (now() - triedAt < deps.checkMs) return pending ?? Promise.resolve(last);
      // Two records of one container asking at once share the one call.
      pending = fetchReading(call).finally(() => (pending = undefined));
      return pending;
    },
  };
}

/** A turn that cannot be decided (the table unreachable) is taken: a reading too many beats none. */
async function takeTurn(turn: () => Promise<boolean>, logger: Logger): Promise<boolean> {
  try {
    return await turn();
  } catch (error) {
    logger.warn('could not share the quota reading: reading anyway', { reason: failureReason(error) });
    return true;
  }
}

export interface QuotaTurnsOptions {
  /** The ledger's table (LEDGER_TABLE), which already holds the intake's per-shard item. */
  tableName: string;
  /** The token's shard (TOKEN_SHARD): each token has its own turns. */
  shard: number;
  dynamo: () => Promise<DynamoDBClient> | DynamoDBClient;
  everyMs: number;
  now?: () => Date;
}

/**
 * One reading per token per window, whichever container asks first: a conditional write of the
 * window's start on `QUOTA#<shard>`, which only the first asker of a new window wins. One
 * DynamoDB write buys a unit of the wolkvox quota the other containers would have spent.
 */
export function quotaTurns(options: QuotaTurnsOptions): () => Promise<boolean> {
  const now = () => (options.now?.() ?? new Date()).getTime();
  return async () => {
    const at = now();
    const dynamo = await options.dynamo();
    try {
      await dynamo.send(
        new UpdateItemCommand({
          TableName: options.tableName,
          Key: { pk: { S: `QUOTA#shard${options.shard}` }, sk: { S: 'QUOTA' } },
          UpdateExpression: 'SET readAt = :at',
          ConditionExpression: 'attribute_not_exists(readAt) OR readAt <= :due',
          ExpressionAttributeValues: {
            ':at': { N: String(at) },
            ':due': { N: String(at - options.everyMs) },
          },
        }),
      );
      return true;
    } catch (error) {
      if (errorName(error) === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  };
}
