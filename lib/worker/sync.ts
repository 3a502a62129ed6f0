import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { queuedMessageSchema, type QueuedMessage } from '#lib/dispatch/message.ts';
import type { ParkedEvent } from '#lib/dispatch/types.ts';
import type { Logger } from '#lib/log.ts';
import { deadlineSignal } from '#lib/wolkvox/client.ts';
import { type ApplyDeps, applyCommand, failureKind, failureReason } from './apply.ts';

export interface SyncDeps extends ApplyDeps {
  park: (event: ParkedEvent) => Promise<void>;
  logger: Logger;
  now?: () => Date;
}

/**
 * wolkvoxSync: drains the FIFO queue in order. A retryable failure fails the record and, through
 * Powertools' FIFO processor with skipGroupOnError, every later record of its group in the batch
 * (other records' groups go on); SQS redelivers them after the visibility timeout. A permanent
 * failure is parked with its reason and acknowledged: retrying it would only repeat it.
 */
export function wolkvoxSyncHandler(deps: SyncDeps) {
  const processor = new SqsFifoPartialProcessorAsync();
  const now = deps.now ?? (() => new Date());

  async function handleRecord(record: SQSRecord, context: Context): Promise<void> {
    let message: QueuedMessage;
    try {
      message = queuedMessageSchema.parse(JSON.parse(record.body));
    } catch {
      const reason = 'unreadable queue message (not a wolkvox command)';
      await deps.park({
        provider: 'unknown',
        eventId: record.messageId,
        reason,
        summary: {},
        parkedAt: now().toISOString(),
      });
      deps.logger.error('parked', { messageId: record.messageId, reason });
      return;
    }
    const { command, meta } = message;
    const ids = { provider: meta.provider, eventId: meta.eventId, identity: command.identity };
    try {
      const applied = await applyCommand(command, deps, {
        signal: deadlineSignal(context.getRemainingTimeInMillis()),
      });
      deps.logger.info('applied', { ...ids, record: applied.record });
    } catch (error) {
      const kind = failureKind(error);
      const reason = failureReason(error);
      if (kind !== 'permanent') {
        deps.logger.warn('will retry', {
          ...ids,
          kind,
          reason,
          receiveCount: record.attributes.ApproximateReceiveCount,
        });
        throw error;
      }
      await deps.park({
        ...meta,
        reason,
        command,
        summary: { identity: command.identity },
        parkedAt: now().toISOString(),
      });
      deps.logger.error('parked', { ...ids, reason });
    }
  }

  return (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
    processPartialResponse(event, (record: SQSRecord) => handleRecord(record, context), processor, {
      context,
      skipGroupOnError: true,
      // A wolkvox outage fails whole batches; report them as item failures like any other (SQS
      // redelivers the same way) and keep Lambda errors for real crashes, which alarms watch.
      throwOnFullBatchFailure: false,
    });
}
