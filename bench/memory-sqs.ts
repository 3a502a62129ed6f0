/**
 * An in-memory SQS for the warm measurements: a real SDK client (serialization, signing, and the
 * MD5 check for clients that keep it on: the baselines') whose request handler answers SendMessage
 * from memory instead of the network, keeping what was sent. Every other action answers `{}` (the
 * worker's ChangeMessageVisibility).
 */
import { createHash } from 'node:crypto';
import { SQSClient } from '@aws-sdk/client-sqs';
import { AWS_CLIENT_CONFIG } from '#lib/aws-client.ts';
import { SQS_CLIENT_OPTIONS } from '#lib/dispatch/queue.ts';

export interface SentMessage {
  MessageBody: string;
  MessageGroupId: string;
  MessageDeduplicationId: string;
}

interface HttpRequestLike {
  headers: Record<string, string>;
  body?: unknown;
}

export interface MemorySqs {
  client: SQSClient;
  sent: SentMessage[];
  handler: { handle(request: HttpRequestLike): Promise<{ response: unknown }> };
}

// The SDK's JSON bodies are Uint8Array subclasses that warn when used as strings: decode the bytes.
const text = (body: unknown) =>
  typeof body === 'string' ? body : body instanceof Uint8Array ? new TextDecoder().decode(body) : '{}';

export function memorySqs(): MemorySqs {
  const sent: SentMessage[] = [];
  let sequence = 0;
  const handler = {
    async handle(request: HttpRequestLike) {
      const target = request.headers['x-amz-target'] ?? request.headers['X-Amz-Target'] ?? '';
      let output: Record<string, unknown> = {};
      if (target.endsWith('.SendMessage')) {
        const input = JSON.parse(text(request.body)) as SentMessage;
        sent.push(input);
        sequence += 1;
        output = {
          MessageId: `memory-${sequence}`,
          MD5OfMessageBody: createHash('md5').update(input.MessageBody).digest('hex'),
          SequenceNumber: String(sequence),
        };
      }
      const body = Buffer.from(JSON.stringify(output));
      return {
        response: {
          statusCode: 200,
          headers: { 'content-type': 'application/x-amz-json-1.0' },
          body: new Uint8Array(body),
        },
      };
    },
  };
  const client = new SQSClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    requestHandler: handler as never,
    // As a deployed client is made (lib/aws-client.ts, lib/dispatch/queue.ts): ours' SQS client in
    // the bench is this one; the baselines' are their own, pointed at this handler (redirect).
    cacheMiddleware: AWS_CLIENT_CONFIG.cacheMiddleware,
    ...SQS_CLIENT_OPTIONS,
  });
  return { client, sent, handler };
}

/** Points an SQS client built elsewhere (the naive module's, at its top level) at `memory`. */
export function redirect(client: SQSClient, memory: MemorySqs): void {
  (client.config as unknown as { requestHandler: unknown }).requestHandler = memory.handler;
}
