import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { queuedMessageSchema, type QueuedMessage } from '#lib/dispatch/message.ts';
import type { ParkedEvent } from '#lib/dispatch/types.ts';
import type { Logger } from '#lib/log.ts';
import { MissingSecretError } from '#lib/secrets/errors.ts';
import { stackFrames } from '#lib/stack-traces.ts';
import { count, flushMetrics, type Metrics } from '#lib/telemetry.ts';
import { deadlineSignal } from '#lib/wolkvox/client.ts';
import { WolkvoxError } from '#lib/wolkvox/errors.ts';
import { CommandRejectedError, failureKind, failureReason, isOwnError } from '#lib/errors.ts';
import { isOutage, type OutageBreaker, outageBreaker } from './breaker.ts';
import type { Intake } from './intake.ts';
import { type ApplyDeps, EventBusyError } from './apply.ts';
import { batchApplier } from './apply-run.ts';
import {
  DEFAULT_RETRY_POLICY,
  MAX_VISIBILITY_SECONDS,
  type RetryPolicy,
  retryDelaySeconds,
} from './retry.ts';

/** A received message, as SQS names it in a batch call. */
export interface MessageHandle {
  messageId: string;
  receiptHandle: string;
}

export interface SyncDeps extends ApplyDeps {
  park: (event: ParkedEvent) => Promise<void>;
  /**
   * Sets how long failed messages stay invisible (one SQS ChangeMessageVisibilityBatch); answers
   * the ids SQS could not change.
   */
  delayMessages: (messages: MessageHandle[], seconds: number) => Promise<string[]>;
  logger: Logger;
  /** Outcomes, retries and quota holds (lib/telemetry.ts), flushed once per invocation. */
  metrics?: Metrics;
  retry?: RetryPolicy;
  /** Paused while wolkvox is down (intake.ts); none in local runs. */
  intake?: Intake;
  /** Default: 5 outage failures in a row open it for 60 s (breaker.ts). */
  breaker?: OutageBreaker;
  /** MERGE_OBLIGATION_PAYMENTS: a batch's payments to one obligation in one read and one write. */
  mergePayments?: boolean;
}

/**
 * wolkvoxSync: drains the FIFO queue in order. A retryable failure fails the record and, through
 * Powertools' FIFO processor with skipGroupOnError, every later record of its group in the batch
 * (other groups go on); the record and those skipped behind it come back together after a backoff
 * that grows with the record's receive count, or, when the token's daily quota is spent, after the
 * reset. A permanent failure is parked with its reason and acknowledged: retrying it would only
 * repeat it.
 */
export function syncHandler(deps: SyncDeps) {
  const now = deps.now ?? (() => new Date());
  const policy = deps.retry ?? DEFAULT_RETRY_POLICY;
  // Once wolkvox says the quota is spent, this container stops spending calls until the reset.
  let quotaHeldUntil = 0;
  const breaker = deps.breaker ?? outageBreaker({ now: () => now().getTime() });

  async function handleRecord(
    record: SQSRecord,
    context: Context,
    retryIn: (seconds: number) => void,
    apply: ReturnType<typeof batchApplier>,
  ): Promise<void> {
    const message = parse(record.body);
    if (!message)
      return park(
        record,
        { provider: 'unknown', eventId: record.messageId },
        'unreadable queue message (not a wolkvox command)',
      );
    const { command, meta } = message;
    const ids = { provider: meta.provider, eventId: meta.eventId, identity: command.identity };
    // This record's lines carry its ingress request's id; groups run side by side, so a child
    // logger per record rather than the shared one's key (which the next record would overwrite).
    const logger = deps.logger.createChild();
    logger.setCorrelationId(message.correlationId);
    const receives = receiveCount(record);
    if (now().getTime() < quotaHeldUntil) {
      count(deps.metrics, 'QuotaHolds');
      retryIn(Math.ceil((quotaHeldUntil - now().getTime()) / 1000));
      throw new WolkvoxError('held: the token quota is spent until the daily reset', {
        kind: 'quota',
        endpoint: 'none',
      });
    }
    if (!(await breaker.admit())) {
      retryIn(retryDelaySeconds('transient', receives, now(), policy));
      throw new WolkvoxError('held: wolkvox is unreachable (the circuit is open)', {
        kind: 'transient',
        endpoint: 'none',
      });
    }
    try {
      const applied = await apply(
        record,
        command,
        { signal: deadlineSignal(context.getRemainingTimeInMillis()) },
        logger,
      );
      breaker.succeeded();
      count(deps.metrics, applied.outcome === 'applied' ? 'Applied' : 'Skipped');
      if (applied.outcome === 'applied' && receives > 1) count(deps.metrics, 'Recovered');
      const { overpaidBy } = applied.details;
      logger.info(applied.outcome, {
        ...ids,
        record: applied.record,
        reason: applied.reason,
        ...(typeof overpaidBy === 'string' ? { overpaidBy } : {}),
      });
    } catch (error) {
      const kind = failureKind(error);
      const reason = failureReason(error);
      if (isOutage(error)) {
        if (breaker.failed()) await pauseIntake(record, context, reason, logger);
      } else if (error instanceof WolkvoxError || error instanceof CommandRejectedError) {
        breaker.succeeded(); // wolkvox answered
      } else {
        breaker.inconclusive();
      }
      if (kind === 'permanent') return park(record, meta, reason, message, logger);
      const seconds =
        error instanceof EventBusyError
          ? Math.max(1, Math.ceil((Date.parse(error.leaseUntil) - now().getTime()) / 1000))
          : retryDelaySeconds(kind, receives, now(), policy);
      if (kind === 'quota') {
        quotaHeldUntil = now().getTime() + seconds * 1000;
        count(deps.metrics, 'QuotaHolds');
      }
      count(deps.metrics, 'Retried', { failure: kind });
      if (error instanceof MissingSecretError) count(deps.metrics, 'SecretKeyMissing');
      // An auth failure after the token refresh means someone must rotate it: ERROR raises the alarm.
      logger[kind === 'auth' ? 'error' : 'warn']('will retry', {
        ...ids,
        kind,
        reason,
        receiveCount: receives,
        retryInSeconds: seconds,
        // Not a failure we classify (a bug, an SDK error): where it came from.
        ...(isOwnError(error) ? {} : { at: stackFrames(error) }),
      });
      retryIn(seconds);
      throw error;
    }
  }

  /** wolkvox looks down: stop receiving until the probe sees it answer (breaker.ts, intake.ts). */
  async function pauseIntake(
    record: SQSRecord,
    context: Context,
    reason: string,
    logger: Logger,
  ): Promise<void> {
    logger.warn('wolkvox unreachable: pausing the intake', { reason, paused: !!deps.intake });
    if (!deps.intake) return;
    try {
      await deps.intake.pause(
        { functionName: context.functionName, queueArn: record.eventSourceARN },
        reason,
      );
    } catch (error) {
      // Retries go on with backoff and spend receives: someone should look.
      logger.error('could not pause the intake', { reason: failureReason(error) });
    }
  }

  /**
   * The failed record and the ones Powertools skipped behind it in its group come back together,
   * after the failed record's delay: left alone, the skipped ones would sit out the queue's whole
   * visibility timeout (6 minutes) and hold the group back with them.
   */
  async function retryLater(failed: MessageHandle[], seconds: number): Promise<void> {
    let unchanged: string[];
    try {
      unchanged = await deps.delayMessages(failed, Math.min(MAX_VISIBILITY_SECONDS, seconds));
    } catch (error) {
      unchanged = failed.map((m) => m.messageId);
      deps.logger.warn('could not delay the messages', { reason: failureReason(error) });
    }
    // The queue's own visibility timeout still brings them back; only the spacing is lost.
    if (unchanged.length > 0) deps.logger.warn('messages not delayed', { messageIds: unchanged });
  }

  async function park(
    record: SQSRecord,
    meta: Pick<ParkedEvent, 'provider' | 'eventId'>,
    reason: string,
    message?: QueuedMessage,
    logger = deps.logger,
  ) {
    await deps.park({
      provider: meta.provider,
      eventId: meta.eventId,
      reason,
      command: message?.command,
      summary: message ? { identity: message.command.identity } : { messageId: record.messageId },
      parkedAt: now().toISOString(),
    });
    count(deps.metrics, 'Parked');
    // The identity too: `npm run status` and the local console find the event's lines by it.
    const identity = message ? { identity: message.command.identity } : {};
    logger.warn('parked', { provider: meta.provider, eventId: meta.eventId, ...identity, reason });
  }

  /**
   * Records of one message group (one wolkvox record) go in order through Powertools' FIFO
   * processor; the groups of a batch go side by side, so one group's ledger round trips overlap
   * another's wolkvox call. The client's slots (WOLKVOX_MAX_IN_FLIGHT) keep wolkvox's limit.
   */
  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    try {
      return await handleBatch(event, context);
    } finally {
      flushMetrics(deps.metrics);
    }
  };

  async function handleBatch(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
    const groups = Map.groupBy(
      event.Records,
      (record) => record.attributes.MessageGroupId ?? record.messageId,
    );
    const answers = await Promise.all(
      [...groups.values()].map(async (Records, i) => {
        // The first group's ledger calls leave before the others are built: the sooner its claim
        // is answered, the sooner the batch's first wolkvox call starts.
        if (i > 0) await new Promise(setImmediate);
        let delay: number | undefined;
        // Payments to one obligation side by side in the group: one read and one write (apply-run.ts).
        const apply = batchApplier(deps.mergePayments ? Records : [], deps);
        const answer = await processPartialResponse(
          { Records },
          (record: SQSRecord) => handleRecord(record, context, (seconds) => (delay = seconds), apply),
          new SqsFifoPartialProcessorAsync(),
          {
            context,
            skipGroupOnError: true,
            // A wolkvox outage fails whole batches; report them as item failures like any other (SQS
            // redelivers the same way) and keep Lambda errors for real crashes, which alarms watch.
            throwOnFullBatchFailure: false,
          },
        );
        const failed = new Set(answer.batchItemFailures.map((f) => f.itemIdentifier));
        const retried = Records.filter((r) => failed.has(r.messageId));
        const [head] = retried;
        // No delay chosen (parking itself failed): the transient backoff for the head's receive.
        if (head)
          await retryLater(
            retried,
            delay ?? retryDelaySeconds('transient', receiveCount(head), now(), policy),
          );
        return answer;
      }),
    );
    return { batchItemFailures: answers.flatMap((answer) => answer.batchItemFailures) };
  }
}

const receiveCount = (record: SQSRecord) => Number(record.attributes.ApproximateReceiveCount) || 1;

function parse(body: string): QueuedMessage | undefined {
  try {
    return queuedMessageSchema.parse(JSON.parse(body));
  } catch {
    return undefined;
  }
}
