import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { queuedMessageSchema, type QueuedMessage } from '#lib/dispatch/message.ts';
import type { ParkedEvent } from '#lib/dispatch/types.ts';
import type { Logger } from '#lib/log.ts';
import { stackFrames } from '#lib/stack-traces.ts';
import { deadlineSignal } from '#lib/wolkvox/client.ts';
import { WolkvoxError } from '#lib/wolkvox/errors.ts';
import { failureKind, failureReason, isOwnError } from '#lib/errors.ts';
import { type ApplyDeps, applyCommand, EventBusyError } from './apply.ts';
import { DEFAULT_RETRY_POLICY, type RetryPolicy, retryDelaySeconds } from './retry.ts';

export interface SyncDeps extends ApplyDeps {
  park: (event: ParkedEvent) => Promise<void>;
  /** Sets how long a failed message stays invisible (SQS ChangeMessageVisibility). */
  delayMessage: (receiptHandle: string, seconds: number) => Promise<void>;
  logger: Logger;
  retry?: RetryPolicy;
  now?: () => Date;
}

/**
 * wolkvoxSync: drains the FIFO queue in order. A retryable failure fails the record and, through
 * Powertools' FIFO processor with skipGroupOnError, every later record of its group in the batch
 * (other groups go on); the record comes back after a backoff that grows with its receive count,
 * or, when the token's daily quota is spent, after the reset. A permanent failure is parked with
 * its reason and acknowledged: retrying it would only repeat it.
 */
export function syncHandler(deps: SyncDeps) {
  const now = deps.now ?? (() => new Date());
  const policy = deps.retry ?? DEFAULT_RETRY_POLICY;
  // Once wolkvox says the quota is spent, this container stops spending calls until the reset.
  let quotaHeldUntil = 0;

  async function handleRecord(record: SQSRecord, context: Context): Promise<void> {
    const message = parse(record.body);
    if (!message)
      return park(
        record,
        { provider: 'unknown', eventId: record.messageId },
        'unreadable queue message (not a wolkvox command)',
      );
    const { command, meta } = message;
    const ids = { provider: meta.provider, eventId: meta.eventId, identity: command.identity };
    const receiveCount = Number(record.attributes.ApproximateReceiveCount) || 1;
    if (now().getTime() < quotaHeldUntil) {
      await retryLater(record, Math.ceil((quotaHeldUntil - now().getTime()) / 1000));
      throw new WolkvoxError('held: the token quota is spent until the daily reset', {
        kind: 'quota',
        endpoint: 'none',
      });
    }
    try {
      const applied = await applyCommand(command, deps, {
        signal: deadlineSignal(context.getRemainingTimeInMillis()),
      });
      const { overpaidBy } = applied.details;
      deps.logger.info(applied.outcome, {
        ...ids,
        record: applied.record,
        reason: applied.reason,
        ...(typeof overpaidBy === 'string' ? { overpaidBy } : {}),
      });
    } catch (error) {
      const kind = failureKind(error);
      const reason = failureReason(error);
      if (kind === 'permanent') return park(record, meta, reason, message);
      const seconds =
        error instanceof EventBusyError
          ? Math.max(1, Math.ceil((Date.parse(error.leaseUntil) - now().getTime()) / 1000))
          : retryDelaySeconds(kind, receiveCount, now(), policy);
      if (kind === 'quota') quotaHeldUntil = now().getTime() + seconds * 1000;
      // An auth failure after the token refresh means someone must rotate it: ERROR raises the alarm.
      deps.logger[kind === 'auth' ? 'error' : 'warn']('will retry', {
        ...ids,
        kind,
        reason,
        receiveCount,
        retryInSeconds: seconds,
        // Not a failure we classify (a bug, an SDK error): where it came from.
        ...(isOwnError(error) ? {} : { at: stackFrames(error) }),
      });
      await retryLater(record, seconds);
      throw error;
    }
  }

  async function retryLater(record: SQSRecord, seconds: number): Promise<void> {
    try {
      await deps.delayMessage(record.receiptHandle, seconds);
    } catch (error) {
      // The queue's own visibility timeout still brings the message back; only the spacing is lost.
      deps.logger.warn('could not delay the message', {
        messageId: record.messageId,
        reason: failureReason(error),
      });
    }
  }

  async function park(
    record: SQSRecord,
    meta: Pick<ParkedEvent, 'provider' | 'eventId'>,
    reason: string,
    message?: QueuedMessage,
  ) {
    await deps.park({
      provider: meta.provider,
      eventId: meta.eventId,
      reason,
      command: message?.command,
      summary: message ? { identity: message.command.identity } : { messageId: record.messageId },
      parkedAt: now().toISOString(),
    });
    deps.logger.error('parked', { provider: meta.provider, eventId: meta.eventId, reason });
  }

  /**
   * Records of one message group (one wolkvox record) go in order through Powertools' FIFO
   * processor; the groups of a batch go side by side, so one group's ledger round trips overlap
   * another's wolkvox call. The client's slots (WOLKVOX_MAX_IN_FLIGHT) keep wolkvox's limit.
   */
  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const groups = Map.groupBy(
      event.Records,
      (record) => record.attributes.MessageGroupId ?? record.messageId,
    );
    const answers = await Promise.all(
      [...groups.values()].map(async (Records, i) => {
        // The first group's ledger calls leave before the others are built: the sooner its claim
        // is answered, the sooner the batch's first wolkvox call starts.
        if (i > 0) await new Promise(setImmediate);
        return processPartialResponse(
          { Records },
          (record: SQSRecord) => handleRecord(record, context),
          new SqsFifoPartialProcessorAsync(),
          {
            context,
            skipGroupOnError: true,
            // A wolkvox outage fails whole batches; report them as item failures like any other (SQS
            // redelivers the same way) and keep Lambda errors for real crashes, which alarms watch.
            throwOnFullBatchFailure: false,
          },
        );
      }),
    );
    return { batchItemFailures: answers.flatMap((answer) => answer.batchItemFailures) };
  };
}

function parse(body: string): QueuedMessage | undefined {
  try {
    return queuedMessageSchema.parse(JSON.parse(body));
  } catch {
    return undefined;
  }
}
