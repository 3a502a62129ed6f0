import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SQSClient } from '@aws-sdk/client-sqs';

/**
 * A loopback SQS answering SendMessage in the AWS JSON 1.0 protocol the v3 SDK speaks
 * (`X-Amz-Target: AmazonSQS.SendMessage`), with the body MD5 the SDK checks. Records what was sent.
 */
export interface SentMessage {
  QueueUrl: string;
  MessageBody: string;
  MessageGroupId?: string;
  MessageDeduplicationId?: string;
  MessageAttributes?: Record<string, { DataType: string; StringValue?: string }>;
}

export interface FakeSqs {
  endpoint: string;
  client: SQSClient;
  sent: SentMessage[];
  /** The next `count` requests answer 500. */
  failNext(count?: number): void;
  close(): Promise<void>;
}

export async function startFakeSqs(): Promise<FakeSqs> {
  const sent: SentMessage[] = [];
  let failures = 0;
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const reply = (status: number, body: unknown, type?: string) => {
      const headers: Record<string, string> = { 'content-type': 'application/x-amz-json-1.0' };
      if (type) headers['x-amzn-query-error'] = `${type};Sender`;
      res.writeHead(status, headers).end(JSON.stringify(body));
    };
    if (failures > 0) {
      failures--;
      reply(500, { __type: 'com.amazonaws.sqs#InternalError', message: 'injected' }, 'InternalError');
      return;
    }
    if (req.headers['x-amz-target'] !== 'AmazonSQS.SendMessage') {
      reply(400, { __type: 'com.amazonaws.sqs#InvalidAction', message: 'only SendMessage here' });
      return;
    }
    const input = JSON.parse(Buffer.concat(chunks).toString('utf8')) as SentMessage;
    sent.push(input);
    reply(200, {
      MessageId: crypto.randomUUID(),
      MD5OfMessageBody: createHash('md5').update(input.MessageBody).digest('hex'),
      SequenceNumber: String(sent.length).padStart(20, '0'),
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new SQSClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  return {
    endpoint,
    client,
    sent,
    failNext: (count = 1) => {
      failures += count;
    },
    close: async () => {
      client.destroy();
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
