import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { join, relative } from 'node:path';
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWS_CLIENT_CONFIG, newAwsClient, readyAwsClient } from '#lib/aws-client.ts';
import { SQSClient } from '@aws-sdk/client-sqs';
import { sqsOnDemand } from '#lib/dispatch/queue.ts';
import { ledgerTableClient } from '#lib/ledger/table-client.ts';
import { loopbackClientConfig } from '#lib/local/aws.ts';
import { type Dynalite, startDynalite } from '#lib/local/dynalite.ts';

const ROOT = join(import.meta.dirname, '..');

function sourcesUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => join(dir, file));
}

const middlewareNames = (client: { middlewareStack: { identify(): string[] } }) =>
  client.middlewareStack.identify().map((entry) => entry.split(' - ')[0]);

describe('the deployed AWS SDK clients (lib/aws-client.ts)', () => {
  it('are made one way: request timeouts, the middleware stack resolved once, no logger middleware', async () => {
    const { client: sqs } = await sqsOnDemand()();
    for (const client of [ledgerTableClient(), sqs, newAwsClient(DynamoDBClient)]) {
      expect(client.config.cacheMiddleware).toBe(true);
      expect(middlewareNames(client)).not.toContain('loggerMiddleware');
      // The SDK's own middleware otherwise stays: signing, retries, the user agent.
      expect(middlewareNames(client)).toEqual(
        expect.arrayContaining(['retryMiddleware', 'getUserAgentMiddleware', 'serializerMiddleware']),
      );
    }
    // SQS' own: no MD5 of each message body in JavaScript (SigV4 already covers the body), no
    // QueueUrl parsed on every send, and the middleware that parsed it gone from the stack.
    expect(sqs.config).toMatchObject({ md5: false, useQueueUrlAsEndpoint: false });
    // (A relative entry, which identify() does not list: removing it again finds nothing.)
    expect(sqs.middlewareStack.remove('queueUrlMiddleware')).toBe(false);
    expect(new SQSClient({}).middlewareStack.remove('queueUrlMiddleware')).toBe(true);
    expect(AWS_CLIENT_CONFIG.requestHandler).toMatchObject({
      connectionTimeout: 1_000,
      requestTimeout: 3_000,
    });
  });

  it('gives up on a request that gets no answer after requestTimeout, rather than waiting on', async () => {
    // Accepts the connection, reads the request and never answers: a hung AWS endpoint.
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.resume();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const client = readyAwsClient(
      new DynamoDBClient({
        ...loopbackClientConfig(endpoint),
        requestHandler: AWS_CLIENT_CONFIG.requestHandler,
      }),
    );
    const started = Date.now();
    try {
      const error = await client.send(new GetItemCommand({ TableName: 'hung', Key: key(0) })).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ name: 'TimeoutError' });
      const waited = Date.now() - started;
      expect(waited).toBeGreaterThanOrEqual(AWS_CLIENT_CONFIG.requestHandler.requestTimeout - 100);
      expect(waited).toBeLessThan(AWS_CLIENT_CONFIG.requestHandler.requestTimeout + 2_000);
    } finally {
      client.destroy();
      for (const socket of sockets) socket.destroy();
      server.close();
    }
  }, 10_000);

  it('every client a function makes comes from newAwsClient (a client made otherwise would miss the settings)', () => {
    const makers = [...sourcesUnder('lib'), ...sourcesUnder('functions')]
      // The local tools' clients talk to loopback fakes (lib/local/aws.ts), never to AWS.
      .filter((file) => !file.startsWith(join('lib', 'local')) && file !== join('lib', 'aws-client.ts'))
      .filter((file) => /new\s+(?:\w+\.)?\w+Client\s*\(/.test(readFileSync(join(ROOT, file), 'utf8')));
    expect(makers.map((file) => relative(ROOT, join(ROOT, file)))).toEqual([]);
  });
});

const key = (i: number) => ({ pk: { S: `item-${i}` }, sk: { S: 'ITEM' } });

describe('a readied client with the cached middleware stack, against dynalite', () => {
  let dynalite: Dynalite;
  let client: DynamoDBClient;
  const TableName = 'readied';

  beforeAll(async () => {
    dynalite = await startDynalite();
    await dynalite.createTable(TableName);
    client = readyAwsClient(new DynamoDBClient(loopbackClientConfig(dynalite.endpoint)));
  });
  afterAll(async () => {
    client?.destroy();
    await dynalite?.close();
  });

  it("writes the SDK's own user-agent headers on every call, working them out once per command type", async () => {
    // Each client records the headers its requests leave with; the SDK's user-agent work is counted
    // through the provider of its default user agent, which that middleware calls on every call.
    const recorded = (readied: boolean) => {
      const sdkClient = new DynamoDBClient(loopbackClientConfig(dynalite.endpoint));
      const provider = sdkClient.config.defaultUserAgentProvider;
      const made = { count: 0, headers: [] as (string | undefined)[][] };
      sdkClient.config.defaultUserAgentProvider = (...args) => {
        made.count += 1;
        return provider(...args);
      };
      const client = readied ? readyAwsClient(sdkClient) : sdkClient;
      client.middlewareStack.add(
        (next) => (args) => {
          const { headers } = args.request as { headers: Record<string, string> };
          made.headers.push([headers['user-agent'], headers['x-amz-user-agent']]);
          return next(args);
        },
        { step: 'finalizeRequest', name: 'recordUserAgent' },
      );
      return { client, made };
    };
    const sdk = recorded(false);
    const ours = recorded(true);
    try {
      for (const { client } of [sdk, ours]) {
        for (let i = 100; i < 103; i++) {
          await client.send(new PutItemCommand({ TableName, Item: { ...key(i), value: { N: '1' } } }));
          await client.send(new GetItemCommand({ TableName, Key: key(i) }));
        }
      }
      expect(ours.made.headers).toEqual(sdk.made.headers);
      expect(ours.made.headers[0]?.[0]).toMatch(/^aws-sdk-js\/\S+ .*api\/dynamodb#/);
      expect(sdk.made.count).toBe(6);
      // PutItem once, GetItem once: later calls write what the first of their type worked out.
      expect(ours.made.count).toBe(2);
    } finally {
      sdk.client.destroy();
      ours.client.destroy();
    }
  });

  it('keeps each of many calls at once to its own input and its own answer', async () => {
    expect(client.config.cacheMiddleware).toBe(true);
    const indexes = Array.from({ length: 40 }, (_, i) => i);
    await Promise.all(
      indexes.map((i) =>
        client.send(new PutItemCommand({ TableName, Item: { ...key(i), value: { N: String(i * 7) } } })),
      ),
    );
    const read = await Promise.all(
      indexes.map((i) => client.send(new GetItemCommand({ TableName, Key: key(i), ConsistentRead: true }))),
    );
    expect(read.map((output) => output.Item?.value?.N)).toEqual(indexes.map((i) => String(i * 7)));

    // Conditional writes side by side (settle makes two at once): only the odd ones' conditions
    // fail, and each failure comes back to its own call.
    const updated = await Promise.allSettled(
      indexes.map((i) =>
        client.send(
          new UpdateItemCommand({
            TableName,
            Key: key(i),
            ConditionExpression: '#value = :was',
            UpdateExpression: 'SET #value = :now',
            ExpressionAttributeNames: { '#value': 'value' },
            ExpressionAttributeValues: {
              ':was': { N: String(i % 2 ? -1 : i * 7) },
              ':now': { N: String(i) },
            },
            ReturnValues: 'UPDATED_NEW',
          }),
        ),
      ),
    );
    updated.forEach((outcome, i) => {
      if (i % 2) {
        expect(outcome.status).toBe('rejected');
        expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(ConditionalCheckFailedException);
      } else {
        expect(outcome.status === 'fulfilled' && outcome.value.Attributes?.value?.N).toBe(String(i));
      }
    });
  });
});
