import { randomUUID } from 'node:crypto';
import type { SendMessageCommandInput, SQSClient } from '@aws-sdk/client-sqs';
import { UnavailableError } from '#lib/http/errors.ts';
import type { WolkvoxCommand } from '#lib/events.ts';
import { deduplicationId, messageGroupId, type QueuedMessage } from './message.ts';
import type { Dispatcher, ParkedEvent } from './types.ts';

export interface QueueDispatcherOptions {
  queueUrl: string;
  parkedQueueUrl: string;
  /** Created on first use when not given. */
  client?: SQSClient;
  now?: () => Date;
}

/**
 * The SQS client's module, loaded on first use: the worker needs it only to delay or park a
 * message, which most invocations never do; ingress starts loading it (prepare) while the
 * request's secrets are fetched, so the two overlap instead of adding up on a cold start.
 */
export const loadSqs = () => import('@aws-sdk/client-sqs');

/** Deployments: ingress enqueues to the SQS FIFO queue that wolkvoxSync drains 2 at a time. */
export function queueDispatcher(options: QueueDispatcherOptions): Dispatcher {
  const now = options.now ?? (() => new Date());
  // Created on first use: a cold start that fails verification never builds it.
  let client = options.client;
  let sqs: ReturnType<typeof loadSqs> | undefined;
  const sqsModule = () => (sqs ??= loadSqs());

  async function send(input: SendMessageCommandInput, signal?: AbortSignal) {
    try {
      const { SendMessageCommand, SQSClient } = await sqsModule();
      client ??= new SQSClient({ requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000 } });
      return await client.send(new SendMessageCommand(input), { abortSignal: signal });
    } catch (cause) {
      // The provider retries on a 503: nothing was taken in, so nothing is lost.
      throw new UnavailableError('queue unavailable, retry later', { cause });
    }
  }

  return {
    mode: 'queue',

    prepare() {
      // A failed load is reported by the submit that awaits it, not here.
      sqsModule().catch(() => undefined);
    },

    async submit(command: WolkvoxCommand, meta, signal) {
      const body: QueuedMessage = { command, meta: { ...meta, receivedAt: now().toISOString() } };
      const sent = await send(
        {
          QueueUrl: options.queueUrl,
          MessageBody: JSON.stringify(body),
          MessageGroupId: messageGroupId(command),
          MessageDeduplicationId: deduplicationId(command.identity),
        },
        signal,
      );
      return { status: 'queued', messageId: sent.MessageId ?? '' };
    },

    async park(event: ParkedEvent) {
      await send({
        QueueUrl: options.parkedQueueUrl,
        MessageBody: JSON.stringify(event),
        // One group per event: parked events are independent, and FIFO shows only 10 of a group at a time.
        MessageGroupId: `parked-${event.provider}-${deduplicationId(event.eventId).slice(0, 32)}`,
        // Never deduplicated: a re-park within 5 minutes of a redrive must not vanish.
        MessageDeduplicationId: randomUUID(),
        MessageAttributes: {
          disposition: { DataType: 'String', StringValue: 'parked' },
          reason: { DataType: 'String', StringValue: event.reason.slice(0, 256) },
        },
      });
    },
  };
}
