// More than one wolkvox token (issue 19 §2): the token list, the record → shard routing, and the
// whole path (ingress's dispatch → one FIFO queue per token → 2 workers per token → the sandbox).
import { ReceiveMessageCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '#lib/config.ts';
import { loadSqs, queueDispatch } from '#lib/dispatch/queue.ts';
import { messageGroupId } from '#lib/dispatch/message.ts';
import type { ApplyPaymentCommand } from '#lib/events.ts';
import { createEnvStore } from '#lib/secrets/index.ts';
import { TokenListError, wolkvoxTokenFrom } from '#lib/wolkvox/token.ts';
import { parseTokens, shardOf, tokenLabel } from '#lib/wolkvox/tokens.ts';
import { queueNames, redriveMessage, resolveQueueUrls, type ListedMessage } from '#lib/ops/redrive.ts';
import { measureTokens } from '../bench/tokens.ts';
import { startLocalSqs } from '#lib/local/sqs.ts';

const minimal = { WOLKVOX_SERVER: 'crm0001.wolkvox.com', WOLKVOX_OPERATION: 'acme' };

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

function payment(obligation: string, id = 'p1'): ApplyPaymentCommand {
  return {
    kind: 'applyPayment',
    identity: `stripe:${id}`,
    target: { operation: 'acme', wolkvoxId: '64cb0000000000000000abcd', obligation },
    payment: {
      provider: 'stripe',
      paymentId: id,
      amount: { minor: 100, currency: 'COP', exponent: 2 },
      paidAt: '2026-01-31T12:00:00Z',
    },
  };
}

describe('WOLKVOX_TOKEN with several tokens', () => {
  it('reads one token as before, and several separated by commas', () => {
    expect(parseTokens('abc123')).toEqual({ ok: true, tokens: ['abc123'] });
    expect(parseTokens(' abc , def,ghi ')).toEqual({ ok: true, tokens: ['abc', 'def', 'ghi'] });
    expect(tokenLabel(0)).toBe('token#1');
  });

  it('lists every problem at once, naming tokens by position, never by value', () => {
    const parsed = parseTokens('secret-a,,secret-a,sec ret');
    expect(parsed).toEqual({
      ok: false,
      problems: [
        'token#2 is empty (WOLKVOX_TOKEN holds tokens separated by commas)',
        'token#3 repeats token#1',
        'token#4 contains whitespace',
      ],
    });
    expect(JSON.stringify(parsed)).not.toContain('secret-a');
  });

  it('reports a bad token list with the other configuration problems (local runs)', () => {
    const problems = problemsOf({
      ...minimal,
      WOLKVOX_TOKEN: 'aa,,aa',
      WOLKVOX_TIMEOUTMS: '5',
      TOKEN_SHARD: '2',
      QUEUE_URLS: 'q0,q1',
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'WOLKVOX_TOKEN: token#2 is empty (WOLKVOX_TOKEN holds tokens separated by commas)',
        'WOLKVOX_TOKEN: token#3 repeats token#1',
        'TOKEN_SHARD: 2 has no queue in QUEUE_URLS (2 shards, numbered from 0)',
      ]),
    );
    expect(problems.some((p) => p.startsWith('WOLKVOX_TIMEOUTMS: is not a setting'))).toBe(true);
    expect(problems.join('\n')).not.toContain('aa,,aa');
  });

  it('reads the shard and every queue URL (QUEUE_URL alone: one shard)', () => {
    const one = loadConfig({ ...minimal, QUEUE_URL: 'q0' });
    expect([one.queue.urls, one.wolkvox.tokenShard]).toEqual([['q0'], 0]);
    const two = loadConfig({ ...minimal, QUEUE_URL: 'q1', QUEUE_URLS: 'q0, q1', TOKEN_SHARD: '1' });
    expect([two.queue.url, two.queue.urls, two.wolkvox.tokenShard]).toEqual(['q1', ['q0', 'q1'], 1]);
  });

  it("gives each worker its shard's token; too few tokens is an auth failure naming the shard", async () => {
    const secrets = createEnvStore({ env: { WOLKVOX_TOKEN: 'tok-a,tok-b' }, cwd: '/nonexistent' });
    expect(await wolkvoxTokenFrom(secrets).get()).toBe('tok-a');
    expect(await wolkvoxTokenFrom(secrets, 1).get()).toBe('tok-b');
    const missing = wolkvoxTokenFrom(secrets, 2).get();
    await expect(missing).rejects.toThrow(TokenListError);
    await expect(missing).rejects.toMatchObject({ kind: 'auth' });
    await expect(missing).rejects.toThrow('holds 2 token(s); this worker (TOKEN_SHARD=2) uses token#3');
  });
});

describe('sharding by wolkvox record', () => {
  it('is stable: the same record always maps to the same shard, in any process', () => {
    // Fixed values: a change of hash would move records between queues mid-flight (docs/delivery.md).
    expect([0, 1, 2, 3].map((n) => shardOf('acme%3A64cb%3AOB-1', n + 1))).toEqual([0, 0, 2, 0]);
    expect(shardOf('anything', 1)).toBe(0);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) {
      const shard = shardOf(`acme:rec:${i}`, 4);
      counts[shard] = (counts[shard] ?? 0) + 1;
    }
    // Spread evenly enough that no token carries much more than its share.
    for (const count of counts) expect(Math.abs(count - 1000)).toBeLessThan(100);
  });

  it("ingress sends each record's commands to its shard's queue, keeping the FIFO group", async () => {
    const sent: { QueueUrl: string; MessageGroupId: string }[] = [];
    const client = {
      send: async (command: { input: (typeof sent)[number] }) => (
        sent.push(command.input),
        { MessageId: 'm' }
      ),
    };
    const sqs = async () => ({ sqs: await loadSqs(), client: client as unknown as SQSClient });
    const urls = ['q0', 'q1', 'q2'];
    const dispatch = queueDispatch({ queueUrl: 'q0', queueUrls: urls, parkedQueueUrl: 'parked', sqs });
    for (let i = 0; i < 60; i++)
      await dispatch.submit(payment(`OB-${i % 30}`, `p${i}`), { provider: 'stripe', eventId: `e${i}` });
    for (const message of sent) expect(message.QueueUrl).toBe(urls[shardOf(message.MessageGroupId, 3)]);
    expect(new Set(sent.map((m) => m.QueueUrl)).size).toBe(3);
    expect(sent[0]?.MessageGroupId).toBe(messageGroupId(payment('OB-0')));
  });

  it('keeps each record in order and each token at ≤ 2 in flight, with 2 shards under load', async () => {
    // Not timed (speed is the bench's): every queue backlogged, 2 workers per token racing.
    const run = await measureTokens({ tokens: 2, latencyMs: 5, events: 120, groups: 24, timeoutMs: 60_000 });
    expect(run).toMatchObject({
      applied: 120,
      completed: true,
      concurrencyRejections: 0,
      wrongBalances: 0,
      outOfOrder: 0,
      splitRecords: 0,
    });
    expect(run.perShard.every((n) => n > 0)).toBe(true);
    const inFlight = Object.values(run.maxInFlight);
    expect(inFlight).toHaveLength(2);
    for (const max of inFlight) expect(max).toBeLessThanOrEqual(2);
    // Both tokens did use their two slots: the load was there.
    expect(inFlight).toEqual([2, 2]);
  });

  it("npm run redrive sends a parked command to its record's shard", async () => {
    const sqs = await startLocalSqs();
    try {
      const names = queueNames('test');
      const work = sqs.createQueue(names.work);
      const shard1 = sqs.createQueue(names.work.replace(/\.fifo$/, '-shard1.fifo'));
      const parked = sqs.createQueue(names.parked);
      const urls = await resolveQueueUrls(sqs.client, { stage: 'test' });
      expect(urls).toEqual({ work, parked, shards: [work, shard1] });

      // A record that lives in shard 1.
      const obligation = Array.from({ length: 50 }, (_, i) => `OB-${i}`).find(
        (o) => shardOf(messageGroupId(payment(o)), 2) === 1,
      );
      const command = payment(obligation ?? '');
      await sqs.client.send(
        new SendMessageCommand({
          QueueUrl: parked,
          MessageBody: '{}',
          MessageGroupId: 'g',
          MessageDeduplicationId: 'd',
        }),
      );
      const { Messages = [] } = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: parked }));
      const listed = {
        number: 1,
        messageId: Messages[0]?.MessageId ?? '',
        receiptHandle: Messages[0]?.ReceiptHandle ?? '',
        redrive: { command, meta: { provider: 'stripe', eventId: 'e1', receivedAt: '2026-01-31T12:00:00Z' } },
        unredrivable: undefined,
      } as unknown as ListedMessage;
      await redriveMessage(sqs.client, urls, listed);
      expect(sqs.messages(shard1)).toHaveLength(1);
      expect(sqs.messages(work)).toHaveLength(0);
    } finally {
      await sqs.close();
    }
  });
});
