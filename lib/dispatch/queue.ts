import { randomUUID } from 'node:crypto';
import type { SendMessageCommandInput, SendMessageCommandOutput, SQSClient } from '@aws-sdk/client-sqs';
import { ServiceError } from '#lib/errors.ts';
import { newAwsClient, readyAwsClient } from '#lib/aws-client.ts';
import type { WolkvoxCommand } from '#lib/events.ts';
import { shardOf } from '#lib/wolkvox/tokens.ts';
import { deduplicationId, messageGroupId, type QueuedMessage } from './message.ts';
import type { Dispatch, ParkedEvent } from './types.ts';

export interface QueueDispatchOptions {
  queueUrl: string;
  /**
   * Every shard's work queue (one per wolkvox token), in shard order: a record's commands all go
   * to the queue of shardOf(its group), so its order holds. Default: [queueUrl].
   */
  queueUrls?: readonly string[];
  parkedQueueUrl: string;
  /** The container's SQS client, made on first use (sqsOnDemand). */
  sqs: SqsOnDemand;
  now?: () => Date;
}

/**
 * The SQS client's module, loaded on first use: the worker needs it only to delay or park a
 * message, which most invocations never do; ingress starts loading it (prepare) while the
 * request's secrets are fetched, so the two overlap instead of adding up on a cold start.
 */
export const loadSqs = () => import('@aws-sdk/client-sqs');

type LoadedSqs = { sqs: Awaited<ReturnType<typeof loadSqs>>; client: SQSClient };

export type SqsOnDemand = (() => Promise<LoadedSqs>) & {
  /** The client once made, without a promise (the warm path); optional for stand-ins. */
  loaded?: () => LoadedSqs | undefined;
};

/**
 * SQS' settings beside AWS_CLIENT_CONFIG, both documented switches of the SDK (its UPGRADING.md,
 * "Amazon SQS"):
 * - `md5: false`: no check that SQS' MD5 of each message body matches one the SDK computes in
 *   JavaScript (@smithy/md5-js). What it guards is guarded already: the request is SigV4-signed over
 *   its body's SHA-256, so SQS refuses a body changed on the way in, and the answer comes over TLS.
 * - `useQueueUrlAsEndpoint: false`: the request goes to the client's regional endpoint, not to the
 *   host of each QueueUrl, parsed twice per send to compare. The queues are the stack's own, in the
 *   functions' region (serverless.yml): the same host.
 */
export const SQS_CLIENT_OPTIONS = { md5: false, useQueueUrlAsEndpoint: false } as const;

/**
 * The middleware the second switch leaves idle: the SDK keeps it in the client's stack, an async
 * frame around every send (two promises, two microtask turns). The MD5 check's frame cannot be
 * removed: each SendMessage command adds its own.
 */
const IDLE_SQS_MIDDLEWARE = ['queueUrlMiddleware'];

/** One SQS client per container, with its module, made on first use; `given` in tests and the bench. */
export function sqsOnDemand(given?: SQSClient): SqsOnDemand {
  let ready: Promise<LoadedSqs> | undefined;
  let made: LoadedSqs | undefined;
  const make = async () => {
    const sqs = await loadSqs();
    // A given client (the bench's in-memory SQS) is readied too, as a deployed one is.
    const client = given
      ? readyAwsClient(given, IDLE_SQS_MIDDLEWARE)
      : newAwsClient(sqs.SQSClient, SQS_CLIENT_OPTIONS, IDLE_SQS_MIDDLEWARE);
    return (made = { sqs, client });
  };
  const onDemand: SqsOnDemand = () =>
    (ready ??= make().catch((error: unknown) => {
      // Not cached: the next message tries again.
      ready = undefined;
      throw error;
    }));
  onDemand.loaded = () => made;
  return onDemand;
}

/** Deployments: ingress enqueues to the SQS FIFO queue that wolkvoxSync drains 2 at a time. */
export function queueDispatch(options: QueueDispatchOptions): Dispatch {
  const now = options.now ?? (() => new Date());
  const queueUrls = options.queueUrls?.length ? options.queueUrls : [options.queueUrl];

  /** Sends, and turns the output into `answer`'s value, or a failure into a ServiceError. */
  function send<T>(
    input: SendMessageCommandInput,
    answer: (sent: SendMessageCommandOutput) => T,
  ): Promise<T> {
    const failure = (cause: unknown) => {
      // The provider retries on a 503: nothing was taken in, so nothing is lost.
      const what = input.QueueUrl === options.parkedQueueUrl ? 'park' : 'send';
      return new ServiceError('queue', 'transient', `SQS ${what} failed`, { cause });
    };
    const call = ({ sqs, client }: LoadedSqs) => client.send(new sqs.SendMessageCommand(input));
    try {
      // Warm, the client is made: call it without awaiting its promise first, and answer in the
      // same `then` that catches (each await or `then` is a promise and a microtask turn, on every
      // message).
      const loaded = options.sqs.loaded?.();
      return (loaded ? call(loaded) : options.sqs().then(call)).then(answer, (cause: unknown) => {
        throw failure(cause);
      });
    } catch (cause) {
      return Promise.reject(failure(cause));
    }
  }

  return {
    mode: 'queue',

    prepare() {
      // Once made, nothing to start (and no promise to make on every request). A failed load is
      // reported by the submit that awaits it, not here.
      if (options.sqs.loaded?.()) return;
      options.sqs().catch(() => undefined);
    },

    // A promise chain rather than an async function around send's: one promise fewer per message
    // (see send). A failure before sending still rejects, as it would from an async function.
    // No abort signal on the send: the client's request timeout (3 s) bounds it, and a send that
    // still lands after an answer of 5xx is the same message the provider's retry sends again,
    // which SQS' deduplication (and the ledger) drop. Listening for it cost every message.
    submit(command: WolkvoxCommand, meta) {
      let input: SendMessageCommandInput;
      try {
        const { correlationId, ...ids } = meta;
        const body: QueuedMessage = {
          command,
          meta: { ...ids, receivedAt: now().toISOString() },
          correlationId,
        };
        const groupId = messageGroupId(command);
        input = {
          QueueUrl: queueUrls[shardOf(groupId, queueUrls.length)],
          MessageBody: JSON.stringify(body),
          MessageGroupId: groupId,
          MessageDeduplicationId: deduplicationId(command.identity),
        };
      } catch (error) {
        return Promise.reject(error as Error);
      }
      return send(input, (sent) => ({ status: 'queued', messageId: sent.MessageId ?? '' }) as const);
    },

    async park(event: ParkedEvent) {
      await send(
        {
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
        },
        () => undefined,
      );
    },
  };
}
