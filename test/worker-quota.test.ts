// Issue 19 §3: the token's quota read at most once per QUOTA_CHECK_SECONDS and published as metrics.
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Dynalite, startDynalite } from '#lib/local/dynalite.ts';
import type { Logger } from '#lib/log.ts';
import type { TokenQuota } from '#lib/wolkvox/client.ts';
import { WolkvoxError } from '#lib/wolkvox/errors.ts';
import { intakeProbe } from '#lib/worker/probe.ts';
import { powertoolsQuotaMetrics } from '#lib/worker/quota-metrics.ts';
import { type QuotaReading, quotaTurns, quotaWatch } from '#lib/worker/quota.ts';
import { loadConfig } from '#lib/config.ts';
import { quotaLabel } from '#lib/runtime/quota.ts';

const silent = { debug() {}, info() {}, warn() {}, error() {} } as unknown as Logger;

function setup(answer: () => Promise<TokenQuota>, token?: string) {
  let clock = Date.parse('2026-11-30T15:00:00Z');
  const published: Array<{ reading: QuotaReading; token: string | undefined }> = [];
  const client = { tokenInformation: vi.fn(answer) };
  const watch = quotaWatch({
    client,
    metrics: { publish: (reading, label) => published.push({ reading, token: label }) },
    logger: silent,
    checkMs: 300_000,
    token,
    now: () => new Date(clock),
  });
  return { watch, client, published, advance: (ms: number) => (clock += ms) };
}

const quota = { limit: 4800, usedToday: 3900, remaining: 900, hoursToRestart: 9 };

afterEach(() => vi.restoreAllMocks());

describe('quotaWatch', () => {
  it('calls wolkvox once per window, concurrent readers included, and publishes each reading once', async () => {
    const { watch, client, published, advance } = setup(async () => quota);
    const [a, b] = await Promise.all([watch.read(), watch.read()]);
    advance(299_000);
    const c = await watch.read();

    expect(client.tokenInformation).toHaveBeenCalledTimes(1);
    expect(a).toBe(b);
    expect(c).toBe(a);
    expect(a).toMatchObject({ usedPercent: 81.3, remaining: 900 });
    expect(published).toHaveLength(1);

    advance(1_000);
    await watch.read();
    expect(client.tokenInformation).toHaveBeenCalledTimes(2);
    expect(published).toHaveLength(2);
  });

  it('a failed reading waits for the next window; a spent quota reads as 100% used', async () => {
    const { watch, client, published, advance } = setup(async () => {
      throw new WolkvoxError('HTTP 403: TOKEN LIMIT EXCEEDED', {
        kind: 'quota',
        endpoint: 'token/tokenInformation.php',
      });
    }, 'token-2');
    expect(await watch.read()).toMatchObject({ usedPercent: 100, remaining: 0 });
    advance(60_000);
    await watch.read();
    expect(client.tokenInformation).toHaveBeenCalledTimes(1);
    expect(published).toEqual([{ reading: expect.objectContaining({ usedPercent: 100 }), token: 'token-2' }]);
  });

  it('rides on the minute probe: five probes in five minutes, one reading', async () => {
    const { watch, client, advance } = setup(async () => quota);
    const probe = intakeProbe({ intake: undefined, client: {} as never, logger: silent, quota: watch });
    for (let minute = 0; minute < 5; minute++) {
      expect(await probe({ getRemainingTimeInMillis: () => 30_000 })).toEqual({ intake: 'none' });
      advance(59_000);
    }
    expect(client.tokenInformation).toHaveBeenCalledTimes(1);
  });
});

describe('quotaTurns', () => {
  let dynalite: Dynalite | undefined;
  beforeAll(async () => {
    dynalite = await startDynalite();
    await dynalite.createTable('ledger');
  });
  afterAll(async () => {
    await dynalite?.close();
  });

  it('one reading per token per window across its containers; each token on its own, and a turn that cannot be decided is taken', async () => {
    let clock = Date.parse('2026-11-30T15:00:00Z');
    const now = () => new Date(clock);
    const client = { tokenInformation: vi.fn(async () => quota) };
    const container = (shard: number, dynamo: () => DynamoDBClient) =>
      quotaWatch({
        client,
        metrics: { publish() {} },
        logger: silent,
        checkMs: 600_000,
        turn: quotaTurns({ tableName: 'ledger', shard, dynamo, everyMs: 600_000, now }),
        now,
      });
    const table = () => dynalite?.client as DynamoDBClient;
    // Three containers of token 0 (two on the queue, one probe) and one of token 1.
    const token0 = [container(0, table), container(0, table), container(0, table)];
    const token1 = container(1, table);
    for (let minute = 0; minute < 20; minute++) {
      for (const watch of token0) await watch.read();
      await token1.read();
      clock += 60_000;
    }
    // 20 minutes: two windows of token 0 and two of token 1, whichever container asked first.
    expect(client.tokenInformation).toHaveBeenCalledTimes(4);

    const down = container(0, () => {
      throw new Error('connect ECONNREFUSED');
    });
    await down.read();
    expect(client.tokenInformation).toHaveBeenCalledTimes(5);
  });
});

describe('powertoolsQuotaMetrics', () => {
  it('emits QuotaUsed (Percent) and QuotaRemaining (Count) by service, and by token label when there are several', () => {
    const lines: string[] = [];
    // Powertools writes EMF lines straight to stdout.
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(
        ...String(chunk)
          .split('\n')
          .filter((l) => l.startsWith('{')),
      );
      return true;
    });
    const metrics = new Metrics({ namespace: 'wolkvox-webhooks/test', serviceName: 'wolkvox-webhooks' });
    const reading = { ...quota, usedPercent: 81.3, at: 0 };
    powertoolsQuotaMetrics(metrics).publish(reading, 'token-2');

    const emitted = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const series = emitted.map((e) => {
      const [directive] = (
        e._aws as { CloudWatchMetrics: Array<{ Dimensions: string[][]; Metrics: unknown[] }> }
      ).CloudWatchMetrics;
      return { dimensions: directive?.Dimensions[0], metrics: directive?.Metrics, e };
    });
    const byService = series.filter((s) => s.dimensions?.join() === 'service');
    const byToken = series.filter((s) => s.dimensions?.join() === 'service,token');
    expect(byService.flatMap((s) => s.metrics)).toEqual(
      expect.arrayContaining([
        { Name: 'QuotaUsed', Unit: 'Percent' },
        { Name: 'QuotaRemaining', Unit: 'Count' },
      ]),
    );
    expect(byToken.flatMap((s) => s.metrics)).toHaveLength(2);
    expect(byService[0]?.e).toMatchObject({ service: 'wolkvox-webhooks' });
    expect(emitted.find((e) => 'QuotaUsed' in e)).toMatchObject({ QuotaUsed: 81.3 });
  });
});

describe('quotaLabel', () => {
  const base = {
    WOLKVOX_SERVER: 'crm0001.wolkvox.com',
    WOLKVOX_OPERATION: 'acme',
    DISPATCH: 'queue',
    QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/1/a.fifo',
    PARKED_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/1/parked.fifo',
    LEDGER_TABLE: 'ledger',
  };
  it("labels a sharded worker's readings with its token (never the token itself), and none with one token", () => {
    const urls = 'https://sqs.us-east-1.amazonaws.com/1/a.fifo,https://sqs.us-east-1.amazonaws.com/1/b.fifo';
    expect(quotaLabel(loadConfig({ ...base, QUEUE_URLS: urls, TOKEN_SHARD: '1' }))).toBe('token#2');
    expect(quotaLabel(loadConfig({ ...base, QUEUE_URLS: urls, TOKEN_SHARD: '0' }))).toBe('token#1');
    expect(
      quotaLabel(loadConfig({ ...base, QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/1/a.fifo' })),
    ).toBe(undefined);
  });
});
