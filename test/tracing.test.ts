import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readyAwsClient } from '#lib/aws-client.ts';
import { startTracing, type TraceHandler } from '#lib/tracing.ts';
import { localContext } from '#lib/local/runtime.ts';

/** What the X-Ray SDK sends the daemon: a header line, then one (sub)segment as JSON. */
interface Sent {
  name: string;
  id: string;
  parent_id?: string;
  start_time?: number;
  end_time?: number;
  in_progress?: boolean;
  fault?: boolean;
  annotations?: Record<string, unknown>;
  cause?: { exceptions?: { message?: string }[] };
  subsegments?: Sent[];
}

describe('startTracing (X-Ray through Powertools, as a Lambda with active tracing)', () => {
  let daemon: Socket;
  const sent: Sent[] = [];
  let trace: TraceHandler;
  const context = localContext('paymentReceived');

  beforeAll(async () => {
    // A loopback X-Ray daemon: the SDK streams each closed subsegment to it over UDP.
    daemon = createSocket('udp4');
    daemon.on('message', (datagram) => {
      const [, body] = datagram.toString('utf8').split('\n');
      if (body) sent.push(JSON.parse(body) as Sent);
    });
    daemon.bind(0, '127.0.0.1');
    await once(daemon, 'listening');
    Object.assign(process.env, {
      POWERTOOLS_TRACE_ENABLED: 'true',
      // Powertools' Tracer traces only where Lambda sets these.
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
      // Powertools counts a cold start only in an on-demand environment.
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      LAMBDA_TASK_ROOT: tmpdir(),
      _X_AMZN_TRACE_ID: 'Root=1-67a0c1d2-0123456789abcdef01234567;Parent=0123456789abcdef;Sampled=1',
      AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${(daemon.address() as AddressInfo).port}`,
      _HANDLER: 'functions/payment-received.handler',
    });
    const started = startTracing();
    if (!started) throw new Error('tracing should be on');
    trace = started;
  });
  afterAll(() => daemon?.close());

  const named = (name: string) => sent.filter((s) => s.name === name);
  const until = async (check: () => boolean) => {
    for (let i = 0; i < 100 && !check(); i++) await sleep(10);
  };

  it('wraps each invocation in a subsegment closed when the handler settles, and passes its answer on', async () => {
    const handler = trace(async (event: { n: number }) => {
      await sleep(5);
      return { doubled: event.n * 2 };
    });
    // The first invocation waits for the tracer to load; the second finds it loaded.
    expect(await handler({ n: 2 }, context)).toEqual({ doubled: 4 });
    expect(await handler({ n: 3 }, context)).toEqual({ doubled: 6 });
    expect(await trace(async () => 'no event')({}, context)).toBe('no event');
    await until(() => named('## functions/payment-received.handler').length >= 3);
    const subsegments = named('## functions/payment-received.handler');
    expect(subsegments).toHaveLength(3);
    for (const subsegment of subsegments) {
      expect(subsegment.in_progress).toBeUndefined();
      expect(subsegment.end_time).toEqual(expect.any(Number));
      expect(subsegment.annotations).toMatchObject({
        ColdStart: expect.any(Boolean),
        Service: 'wolkvox-webhooks',
      });
    }
    expect(subsegments.map((s) => s.annotations?.ColdStart)).toEqual([true, false, false]);
    // Closed when the handler settled (it waits 5 ms), not when it returned its promise.
    for (const subsegment of subsegments.slice(0, 2)) {
      expect((subsegment.end_time ?? 0) - (subsegment.start_time ?? 0)).toBeGreaterThanOrEqual(0.004);
    }
  });

  it('records a failure on its subsegment and rethrows it; the next invocation gets a subsegment of its own', async () => {
    sent.length = 0;
    const failing = trace(async () => {
      await sleep(1);
      throw new Error('the handler failed');
    });
    await expect(failing({}, context)).rejects.toThrow('the handler failed');
    // A handler that throws before its first await (a plain function returning a promise).
    const throwsAtOnce = trace((() => {
      throw new TypeError('thrown at once');
    }) as unknown as (event: unknown, context: Context) => Promise<unknown>);
    await expect(throwsAtOnce({}, context)).rejects.toThrow('thrown at once');
    await until(() => named('## functions/payment-received.handler').length >= 2);
    const [first, second] = named('## functions/payment-received.handler');
    expect(first?.cause?.exceptions?.[0]?.message).toBe('the handler failed');
    expect(second?.cause?.exceptions?.[0]?.message).toBe('thrown at once');
    expect(first?.id).not.toBe(second?.id);
  });

  it("traces a readied AWS SDK client's calls, which carry the SDK's user agent with Powertools' mark", async () => {
    sent.length = 0;
    const userAgents: (string | undefined)[] = [];
    const calls = trace(async () => {
      // Made inside the handler, as the functions make theirs: the tracer has loaded by then.
      const client = readyAwsClient(
        new DynamoDBClient({
          region: 'us-east-1',
          credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
          cacheMiddleware: true,
          requestHandler: {
            handle: async (request: { headers: Record<string, string> }) => {
              userAgents.push(request.headers['user-agent']);
              const body = new Uint8Array(Buffer.from('{}'));
              return {
                response: {
                  statusCode: 200,
                  headers: { 'content-type': 'application/x-amz-json-1.0' },
                  body,
                },
              };
            },
          },
        }),
      );
      for (let i = 0; i < 3; i++)
        await client.send(new GetItemCommand({ TableName: 'traced', Key: { pk: { S: `item-${i}` } } }));
    });
    await calls({}, context);
    // The same header on every call, worked out on the first: the SDK's, then Powertools' mark
    // (its middleware sits after the SDK's, which lib/aws-client.ts replaces under the same name).
    expect(userAgents).toHaveLength(3);
    expect(new Set(userAgents).size).toBe(1);
    expect(userAgents[0]).toMatch(/^aws-sdk-js\/\S+ .* PT\/tracer\/\S+ PTEnv\//);
    await until(() => named('DynamoDB').length >= 3);
    expect(named('DynamoDB').map((subsegment) => subsegment.parent_id)).toEqual(
      Array(3).fill(named('## functions/payment-received.handler')[0]?.id),
    );
  });
});
