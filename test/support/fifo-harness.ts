import type { ChangeMessageVisibilityBatchRequest, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';

/**
 * An in-process SQS FIFO queue on a virtual clock, for the fault-injection test: message groups
 * (a group with a message in flight is blocked), visibility timeouts, receive counts, a 5-minute
 * deduplication window, and a DLQ after maxReceiveCount receives — the behaviours the worker's
 * guarantees rest on — and the end of a message's retention (14 days).
 */
interface Message {
  id: string;
  body: string;
  groupId: string;
  sentAt: number;
  receiveCount: number;
  visibleAt: number;
  receiptHandle: string | undefined;
}

export interface DeadLetter {
  body: string;
  reason: string;
}

export class FifoQueue {
  readonly deadLetters: DeadLetter[] = [];
  /** Messages SQS deleted at the end of their retention period, unprocessed. */
  readonly expired: string[] = [];
  /** The highest ApproximateReceiveCount any message reached. */
  maxReceiveCount = 0;
  readonly #messages: Message[] = [];
  readonly #dedup = new Map<string, number>();
  readonly #now: () => number;
  readonly #visibilityMs: number;
  readonly #maxReceiveCount: number;
  readonly #retentionMs: number;
  readonly #sameGroupFirst: boolean;
  #sequence = 0;

  constructor(
    now: () => number,
    options: {
      visibilityMs: number;
      maxReceiveCount: number;
      retentionMs?: number;
      /**
       * As SQS does ("returns as many messages with the same message group ID as possible", AWS
       * knowledge center, sqs-fifo-messages-not-returned): a batch takes a group's waiting messages
       * together, groups by their oldest message. Off: strictly in sending order across groups.
       */
      sameGroupFirst?: boolean;
    },
  ) {
    this.#now = now;
    this.#visibilityMs = options.visibilityMs;
    this.#maxReceiveCount = options.maxReceiveCount;
    // serverless.yml: 14 days on every queue.
    this.#retentionMs = options.retentionMs ?? 14 * 86_400_000;
    this.#sameGroupFirst = options.sameGroupFirst ?? false;
  }

  get pending(): number {
    return this.#messages.length;
  }

  /** false when deduplicated (same id within 5 minutes), as SQS does silently. */
  send(body: string, groupId: string, deduplicationId: string): boolean {
    const seen = this.#dedup.get(deduplicationId);
    if (seen !== undefined && this.#now() - seen < 300_000) return false;
    this.#dedup.set(deduplicationId, this.#now());
    this.#sequence++;
    this.#messages.push({
      id: `m${this.#sequence}`,
      body,
      groupId,
      sentAt: this.#now(),
      receiveCount: 0,
      visibleAt: 0,
      receiptHandle: undefined,
    });
    return true;
  }

  /** Up to `max` messages, in order, from groups with nothing in flight. */
  receive(max: number): SQSRecord[] {
    const now = this.#now();
    for (const message of this.#messages.filter((m) => m.sentAt + this.#retentionMs <= now)) {
      this.#remove(message);
      this.expired.push(message.body);
    }
    const blocked = new Set(
      this.#messages.filter((m) => m.visibleAt > now && m.receiptHandle).map((m) => m.groupId),
    );
    const taken: SQSRecord[] = [];
    const rank = new Map<string, number>();
    for (const [i, m] of this.#messages.entries()) if (!rank.has(m.groupId)) rank.set(m.groupId, i);
    const order = this.#sameGroupFirst
      ? this.#messages.toSorted((a, b) => (rank.get(a.groupId) ?? 0) - (rank.get(b.groupId) ?? 0))
      : [...this.#messages];
    for (const message of order) {
      if (taken.length >= max) break;
      if (blocked.has(message.groupId) || message.visibleAt > now) {
        blocked.add(message.groupId);
        continue;
      }
      if (message.receiveCount >= this.#maxReceiveCount) {
        this.#remove(message);
        this.deadLetters.push({
          body: message.body,
          reason: `exhausted retries (received ${message.receiveCount} times)`,
        });
        continue;
      }
      message.receiveCount++;
      this.maxReceiveCount = Math.max(this.maxReceiveCount, message.receiveCount);
      message.visibleAt = now + this.#visibilityMs;
      message.receiptHandle = `${message.id}#${message.receiveCount}`;
      taken.push(toRecord(message));
      // Later messages of this group may share the batch, in order; other batches wait for them.
    }
    return taken;
  }

  delete(receiptHandle: string): void {
    const message = this.#messages.find((m) => m.receiptHandle === receiptHandle);
    if (message) this.#remove(message);
  }

  /** false when the handle is stale (the message was deleted or received again), as SQS refuses it. */
  changeVisibility(receiptHandle: string, seconds: number): boolean {
    const message = this.#messages.find((m) => m.receiptHandle === receiptHandle);
    if (message) message.visibleAt = this.#now() + seconds * 1000;
    return !!message;
  }

  /** An SQS client for the worker: ChangeMessageVisibilityBatch, the one call it makes. */
  client(): SQSClient {
    const send = async (command: { input: ChangeMessageVisibilityBatchRequest }) => {
      const Failed = (command.input.Entries ?? [])
        .filter((e) => !this.changeVisibility(e.ReceiptHandle ?? '', e.VisibilityTimeout ?? 0))
        .map((e) => ({ Id: e.Id, Code: 'ReceiptHandleIsInvalid', SenderFault: true }));
      return { Successful: [], Failed };
    };
    return { send } as unknown as SQSClient;
  }

  /** When the next message becomes visible (for advancing the virtual clock). */
  nextVisibleAt(): number | undefined {
    // Messages behind a held message of their group are visible but blocked: only future times count.
    const times = this.#messages.map((m) => m.visibleAt).filter((t) => t > this.#now());
    return times.length > 0 ? Math.min(...times) : undefined;
  }

  #remove(message: Message): void {
    this.#messages.splice(this.#messages.indexOf(message), 1);
  }
}

function toRecord(message: Message): SQSRecord {
  return {
    messageId: message.id,
    receiptHandle: message.receiptHandle ?? '',
    body: message.body,
    attributes: {
      ApproximateReceiveCount: String(message.receiveCount),
      SentTimestamp: '0',
      SenderId: 'harness',
      ApproximateFirstReceiveTimestamp: '0',
      MessageGroupId: message.groupId,
      MessageDeduplicationId: message.id,
      SequenceNumber: message.id.slice(1),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:harness.fifo',
    awsRegion: 'us-east-1',
  };
}
