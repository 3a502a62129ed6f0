import { loopbackClientConfig } from './aws.ts';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SQSClient } from '@aws-sdk/client-sqs';

/**
 * A loopback, in-memory SQS speaking the AWS JSON 1.0 protocol the v3 SDK uses
 * (`X-Amz-Target: AmazonSQS.<Action>`): SendMessage, ReceiveMessage, DeleteMessage,
 * ChangeMessageVisibility(Batch), GetQueueUrl and GetQueueAttributes.
 *
 * FIFO queues (names ending in `.fifo`) behave like the real ones where tools depend on it:
 * deduplication within 5 minutes, and a message group with a message in flight delivers nothing
 * more until that message is deleted or visible again (so a receive loop cannot see past the head
 * of a group). A queue created with a redrive policy moves a message to its dead-letter queue when
 * a receive would exceed maxReceiveCount, keeping its group, attributes and receive count.
 *
 * The SDK checks `MD5OfMessageBody` on send and `MD5OfBody` on receive (middleware-sdk-sqs), not the
 * attributes' MD5, so only those are computed. Time is the fake's own clock (`advance`), so tests
 * of visibility timeouts do not sleep.
 *
 * SendMessage to a queue nobody created creates it (tests hand arbitrary queue URLs to the code under
 * test); every other action on an unknown queue answers QueueDoesNotExist, as SQS does. `sent`
 * records every SendMessage input, duplicates included.
 *
 * One model for the tests, the bench and `npm start -- --queue` (lib/local/queue-mode.ts), which
 * serves it on a fixed port so `npm run redrive` and `npm run status` reach it like a deployed stage.
 */
export interface MessageAttribute {
  DataType: string;
  StringValue?: string;
}

export interface SentMessage {
  QueueUrl: string;
  MessageBody: string;
  MessageGroupId?: string;
  MessageDeduplicationId?: string;
  MessageAttributes?: Record<string, MessageAttribute>;
}

/** A message as the fake holds it. */
export interface StoredMessage {
  messageId: string;
  body: string;
  groupId: string | undefined;
  deduplicationId: string | undefined;
  attributes: Record<string, MessageAttribute>;
  /** Epoch ms on the fake's clock. */
  sentAt: number;
  receiveCount: number;
  firstReceivedAt: number | undefined;
  /** Epoch ms from which the message can be received again; 0 = never received. */
  visibleAt: number;
  receiptHandle: string | undefined;
  sequenceNumber: string;
}

export interface QueueOptions {
  /** Seconds; SQS's default is 30. */
  visibilityTimeout?: number;
  redrive?: { deadLetterQueue: string; maxReceiveCount: number };
}

/** What the model does, for a console that narrates it (queue-mode.ts). */
export type SqsObservation =
  | { action: 'sent'; queue: string; message: StoredMessage }
  | { action: 'dead-lettered'; queue: string; deadLetterQueue: string; message: StoredMessage };

export interface LocalSqsOptions {
  /** Default 0: a free port. */
  port?: number;
  /** Called after each send that was not deduplicated, and each move to a dead-letter queue. */
  observe?: (observation: SqsObservation) => void;
  /** Actions of other AWS JSON-protocol services answered on the same port, by X-Amz-Target. */
  otherTargets?: Record<string, (input: unknown) => unknown>;
}

export interface LocalSqs {
  endpoint: string;
  client: SQSClient;
  sent: SentMessage[];
  /** The next `count` requests (of `action` only, when given) answer 500. */
  failNext(count?: number, action?: string): void;
  /** Creates (or reconfigures) a queue by name; returns its URL. */
  createQueue(name: string, options?: QueueOptions): string;
  /** The URL GetQueueUrl answers for a queue name. */
  queueUrl(name: string): string;
  /** A copy of what a queue holds (by name or URL), oldest first; empty for an unknown queue. */
  messages(queue: string): (StoredMessage & { visible: boolean })[];
  /** Every action requested, in order (`SendMessage`, `ReceiveMessage`, …). */
  actions: string[];
  /** Moves the fake's clock forward. */
  advance(ms: number): void;
  close(): Promise<void>;
}

interface Queue {
  name: string;
  fifo: boolean;
  options: QueueOptions;
  messages: StoredMessage[];
  /** Deduplication id → the message id it produced and when (FIFO: 5-minute window). */
  dedup: Map<string, { messageId: string; at: number }>;
}

class SqsError extends Error {
  readonly type: string;
  readonly queryCode: string;
  constructor(type: string, message: string, queryCode = type) {
    super(message);
    this.type = type;
    this.queryCode = queryCode;
  }
}

const DEDUP_WINDOW_MS = 5 * 60_000;
const md5 = (text: string) => createHash('md5').update(text).digest('hex');

/** The queue name from a queue URL: its last path segment. */
function nameOf(queueUrl: string): string {
  try {
    return new URL(queueUrl).pathname.split('/').pop() ?? queueUrl;
  } catch {
    return queueUrl;
  }
}

export async function startLocalSqs(options: LocalSqsOptions = {}): Promise<LocalSqs> {
  const sent: SentMessage[] = [];
  const actions: string[] = [];
  const queues = new Map<string, Queue>();
  const issuedHandles = new Set<string>();
  const failures: { count: number; action: string | undefined }[] = [];
  let offset = 0;
  let sequence = 0;
  let endpoint = '';
  const clock = () => Date.now() + offset;

  function create(name: string, options: QueueOptions = {}): Queue {
    const existing = queues.get(name);
    if (existing) {
      existing.options = options;
      return existing;
    }
    const queue: Queue = { name, fifo: name.endsWith('.fifo'), options, messages: [], dedup: new Map() };
    queues.set(name, queue);
    return queue;
  }

  function find(queueUrl: unknown): Queue {
    const queue = typeof queueUrl === 'string' ? queues.get(nameOf(queueUrl)) : undefined;
    if (!queue) {
      throw new SqsError(
        'QueueDoesNotExist',
        'The specified queue does not exist.',
        'AWS.SimpleQueueService.NonExistentQueue',
      );
    }
    return queue;
  }

  function byHandle(handle: unknown): { queue: Queue; index: number } | undefined {
    for (const queue of queues.values()) {
      const index = queue.messages.findIndex((m) => m.receiptHandle === handle);
      if (index >= 0) return { queue, index };
    }
    return undefined;
  }

  function sendMessage(input: SentMessage) {
    sent.push(input);
    const queue = queues.get(nameOf(input.QueueUrl)) ?? create(nameOf(input.QueueUrl));
    const now = clock();
    if (queue.fifo) {
      if (!input.MessageGroupId) throw new SqsError('MissingParameter', 'MessageGroupId is required');
      if (!input.MessageDeduplicationId) {
        throw new SqsError(
          'InvalidParameterValue',
          'The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly',
        );
      }
      const seen = queue.dedup.get(input.MessageDeduplicationId);
      // A duplicate within the window is accepted and dropped, with the first message's id.
      if (seen && now - seen.at < DEDUP_WINDOW_MS) {
        return { MessageId: seen.messageId, MD5OfMessageBody: md5(input.MessageBody) };
      }
    }
    sequence += 1;
    const message: StoredMessage = {
      messageId: crypto.randomUUID(),
      body: input.MessageBody,
      groupId: input.MessageGroupId,
      deduplicationId: input.MessageDeduplicationId,
      attributes: input.MessageAttributes ?? {},
      sentAt: now,
      receiveCount: 0,
      firstReceivedAt: undefined,
      visibleAt: 0,
      receiptHandle: undefined,
      sequenceNumber: String(sequence).padStart(20, '0'),
    };
    queue.messages.push(message);
    options.observe?.({ action: 'sent', queue: queue.name, message });
    if (input.MessageDeduplicationId) {
      queue.dedup.set(input.MessageDeduplicationId, { messageId: message.messageId, at: now });
    }
    return {
      MessageId: message.messageId,
      MD5OfMessageBody: md5(input.MessageBody),
      ...(queue.fifo ? { SequenceNumber: message.sequenceNumber } : {}),
    };
  }

  function receiveMessage(input: {
    QueueUrl?: string;
    MaxNumberOfMessages?: number;
    VisibilityTimeout?: number;
    MessageAttributeNames?: string[];
    MessageSystemAttributeNames?: string[];
    AttributeNames?: string[];
  }) {
    const queue = find(input.QueueUrl);
    const now = clock();
    const max = input.MaxNumberOfMessages ?? 1;
    const timeout = input.VisibilityTimeout ?? queue.options.visibilityTimeout ?? 30;
    // Groups with a message in flight before this call deliver nothing (FIFO ordering).
    const blocked = new Set(
      queue.messages.filter((m) => m.visibleAt > now && m.groupId !== undefined).map((m) => m.groupId),
    );
    const picked: StoredMessage[] = [];
    for (const message of [...queue.messages]) {
      if (picked.length >= max) break;
      if (message.visibleAt > now) continue;
      if (queue.fifo && blocked.has(message.groupId)) continue;
      const redrive = queue.options.redrive;
      if (redrive && message.receiveCount >= redrive.maxReceiveCount) {
        const target = find(redrive.deadLetterQueue);
        queue.messages.splice(queue.messages.indexOf(message), 1);
        const moved = { ...message, visibleAt: 0, receiptHandle: undefined };
        target.messages.push(moved);
        options.observe?.({
          action: 'dead-lettered',
          queue: queue.name,
          deadLetterQueue: target.name,
          message: moved,
        });
        continue;
      }
      message.receiveCount += 1;
      message.firstReceivedAt ??= now;
      message.visibleAt = now + timeout * 1000;
      message.receiptHandle = crypto.randomUUID();
      issuedHandles.add(message.receiptHandle);
      picked.push(message);
    }
    const systemNames = [...(input.MessageSystemAttributeNames ?? []), ...(input.AttributeNames ?? [])];
    const wantsSystem = (name: string) => systemNames.includes('All') || systemNames.includes(name);
    const attributeNames = input.MessageAttributeNames ?? [];
    const wantsAttribute = (name: string) =>
      attributeNames.some(
        (wanted) =>
          wanted === 'All' ||
          wanted === '.*' ||
          wanted === name ||
          (wanted.endsWith('.*') && name.startsWith(wanted.slice(0, -1))),
      );
    return {
      Messages: picked.map((m) => {
        const system: Record<string, string | undefined> = {
          SenderId: 'AIDAFAKESQS',
          SentTimestamp: String(m.sentAt),
          ApproximateReceiveCount: String(m.receiveCount),
          ApproximateFirstReceiveTimestamp: String(m.firstReceivedAt ?? now),
          MessageGroupId: m.groupId,
          MessageDeduplicationId: m.deduplicationId,
          SequenceNumber: queue.fifo ? m.sequenceNumber : undefined,
        };
        const attributes = Object.fromEntries(
          Object.entries(system).filter(([name, value]) => value !== undefined && wantsSystem(name)),
        );
        const messageAttributes = Object.fromEntries(
          Object.entries(m.attributes).filter(([name]) => wantsAttribute(name)),
        );
        return {
          MessageId: m.messageId,
          ReceiptHandle: m.receiptHandle,
          MD5OfBody: md5(m.body),
          Body: m.body,
          ...(Object.keys(attributes).length > 0 ? { Attributes: attributes } : {}),
          ...(Object.keys(messageAttributes).length > 0 ? { MessageAttributes: messageAttributes } : {}),
        };
      }),
    };
  }

  function deleteMessage(input: { QueueUrl?: string; ReceiptHandle?: string }) {
    find(input.QueueUrl);
    const found = byHandle(input.ReceiptHandle);
    if (found) {
      found.queue.messages.splice(found.index, 1);
      return {};
    }
    // SQS accepts the handle of a message already deleted; one it never issued is an error.
    if (typeof input.ReceiptHandle === 'string' && issuedHandles.has(input.ReceiptHandle)) return {};
    throw new SqsError('ReceiptHandleIsInvalid', 'The input receipt handle is invalid.');
  }

  function changeMessageVisibility(input: {
    QueueUrl?: string;
    ReceiptHandle?: string;
    VisibilityTimeout?: number;
  }) {
    find(input.QueueUrl);
    const found = byHandle(input.ReceiptHandle);
    if (!found) throw new SqsError('ReceiptHandleIsInvalid', 'The input receipt handle is invalid.');
    const message = found.queue.messages[found.index];
    const now = clock();
    if (!message || message.visibleAt <= now) {
      throw new SqsError(
        'MessageNotInflight',
        'The message referred to is not in flight.',
        'AWS.SimpleQueueService.MessageNotInflight',
      );
    }
    message.visibleAt = now + (input.VisibilityTimeout ?? 0) * 1000;
    return {};
  }

  function changeMessageVisibilityBatch(input: {
    QueueUrl?: string;
    Entries?: Array<{ Id?: string; ReceiptHandle?: string; VisibilityTimeout?: number }>;
  }) {
    find(input.QueueUrl);
    const Successful: Array<{ Id?: string }> = [];
    const Failed: Array<{ Id?: string; Code: string; SenderFault: boolean; Message: string }> = [];
    for (const entry of input.Entries ?? []) {
      try {
        changeMessageVisibility({ ...entry, QueueUrl: input.QueueUrl });
        Successful.push({ Id: entry.Id });
      } catch (error) {
        if (!(error instanceof SqsError)) throw error;
        Failed.push({ Id: entry.Id, Code: error.type, SenderFault: true, Message: error.message });
      }
    }
    return { Successful, Failed };
  }

  function getQueueUrl(input: { QueueName?: string }) {
    const queue = find(input.QueueName);
    return { QueueUrl: `${endpoint}/000000000000/${queue.name}` };
  }

  function getQueueAttributes(input: { QueueUrl?: string; AttributeNames?: string[] }) {
    const queue = find(input.QueueUrl);
    const now = clock();
    const visible = queue.messages.filter((m) => m.visibleAt <= now).length;
    const all: Record<string, string> = {
      QueueArn: `arn:aws:sqs:us-east-1:000000000000:${queue.name}`,
      ApproximateNumberOfMessages: String(visible),
      ApproximateNumberOfMessagesNotVisible: String(queue.messages.length - visible),
      VisibilityTimeout: String(queue.options.visibilityTimeout ?? 30),
      ...(queue.fifo ? { FifoQueue: 'true' } : {}),
    };
    const names = input.AttributeNames ?? [];
    return {
      Attributes: Object.fromEntries(
        Object.entries(all).filter(([name]) => names.includes('All') || names.includes(name)),
      ),
    };
  }

  const handlers: Record<string, (input: never) => unknown> = {
    SendMessage: sendMessage,
    ReceiveMessage: receiveMessage,
    DeleteMessage: deleteMessage,
    ChangeMessageVisibility: changeMessageVisibility,
    ChangeMessageVisibilityBatch: changeMessageVisibilityBatch,
    GetQueueUrl: getQueueUrl,
    GetQueueAttributes: getQueueAttributes,
  };

  // The handler's promise settles on its own (every path replies): node:http ignores a return value.
  const server = createServer((req, res) => void serve(req, res));
  async function serve(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const reply = (status: number, body: unknown, queryCode?: string) => {
      const headers: Record<string, string> = { 'content-type': 'application/x-amz-json-1.0' };
      // SQS's JSON protocol keeps the old query API's error code in this header (awsQueryCompatible).
      if (queryCode) headers['x-amzn-query-error'] = `${queryCode};${status >= 500 ? 'Receiver' : 'Sender'}`;
      res.writeHead(status, headers).end(JSON.stringify(body));
    };
    const target = String(req.headers['x-amz-target'] ?? '');
    const action = target.startsWith('AmazonSQS.') ? target.slice('AmazonSQS.'.length) : target;
    actions.push(action);
    const failure = failures.find((f) => f.action === undefined || f.action === action);
    if (failure) {
      failure.count -= 1;
      if (failure.count <= 0) failures.splice(failures.indexOf(failure), 1);
      reply(500, { __type: 'com.amazonaws.sqs#InternalError', message: 'injected' }, 'InternalError');
      return;
    }
    const other = options.otherTargets ?? {};
    const handler = Object.hasOwn(handlers, action)
      ? handlers[action]
      : Object.hasOwn(other, target)
        ? other[target]
        : undefined;
    if (!handler) {
      reply(400, { __type: 'com.amazonaws.sqs#InvalidAction', message: `unsupported: ${target}` });
      return;
    }
    try {
      reply(200, handler(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as never));
    } catch (error) {
      if (error instanceof SqsError) {
        reply(400, { __type: `com.amazonaws.sqs#${error.type}`, message: error.message }, error.queryCode);
      } else {
        // A bug in the fake or a malformed request: answer like SQS would rather than crash the server.
        reply(500, { __type: 'com.amazonaws.sqs#InternalError', message: String(error) }, 'InternalError');
      }
    }
  }
  server.listen(options.port ?? 0, '127.0.0.1');
  await once(server, 'listening');
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new SQSClient(loopbackClientConfig(endpoint));
  return {
    endpoint,
    client,
    sent,
    actions,
    failNext: (count = 1, action) => {
      if (count > 0) failures.push({ count, action });
    },
    createQueue(name, options) {
      create(name, options);
      return `${endpoint}/000000000000/${name}`;
    },
    queueUrl: (name) => `${endpoint}/000000000000/${name}`,
    messages(queue) {
      const now = clock();
      const found = queues.get(nameOf(queue)) ?? queues.get(queue);
      return (found?.messages ?? []).map((m) => ({
        ...m,
        attributes: { ...m.attributes },
        visible: m.visibleAt <= now,
      }));
    },
    advance(ms) {
      offset += ms;
    },
    close: async () => {
      client.destroy();
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
