// npm run status: the story of one event, told from a ledger in dynalite, the parked queue and the
// DLQ in the fake SQS, and log lines in the fake CloudWatch Logs. Ledger entries are written by the
// real DynamoDB ledger, parked messages by the real queue dispatcher and dead letters by the fake's
// redrive policy, so what is read is what a deployment holds. Log lines are Powertools-shaped JSON.
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deduplicationId, messageGroupId } from '#lib/dispatch/message.ts';
import { queueDispatch, sqsOnDemand } from '#lib/dispatch/queue.ts';
import type { ApplyPaymentCommand, UpdateCaseCommand } from '#lib/events.ts';
import { createDynamoLedger, type LedgerEntry } from '#lib/ledger/index.ts';
import { parseStatusArgs, statusMain, USAGE } from '#lib/ops/status-cli.ts';
import { correlationQuery, linesQuery, stageResources } from '#lib/ops/status.ts';
import { loopbackClientConfig } from '#lib/local/aws.ts';
import { type Dynalite, startDynalite } from '#lib/local/dynalite.ts';
import { type FakeCloudWatchLogs, startFakeCloudWatchLogs } from './support/fake-cloudwatch-logs.ts';
import { type LocalSqs, startLocalSqs } from '#lib/local/sqs.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..');
const STAGE = 'test';
const NAMES = stageResources(STAGE);
const T0 = Date.parse('2026-03-01T15:00:00.000Z');
const MAX_RECEIVE_COUNT = 3;
const group = (fn: string) => `/aws/lambda/wolkvox-webhooks-${STAGE}-${fn}`;

function payment(id: string): ApplyPaymentCommand {
  return {
    kind: 'applyPayment',
    identity: `stripe:${id}`,
    target: { operation: 'demo', wolkvoxId: '65f0c0ffee', obligation: '6669999 API' },
    payment: {
      provider: 'stripe',
      paymentId: id,
      amount: { minor: 150_000, currency: 'COP', exponent: 2 },
      paidAt: '2026-03-01T14:59:00Z',
    },
  };
}

const caseUpdate: UpdateCaseCommand = {
  kind: 'updateCase',
  identity: 'zendesk:4321:2026-03-01T14:00:00Z',
  provider: 'zendesk',
  resolvedAt: '2026-03-01T14:00:00Z',
  target: { operation: 'demo', wolkvoxId: '65f0aaaaaaaaaaaaaaaaaaaa' },
  update: { status: 'Closed', solution: 'Reset the password' },
  attachments: [],
};

const entryOf = (command: ApplyPaymentCommand | UpdateCaseCommand): LedgerEntry =>
  command.kind === 'applyPayment'
    ? {
        identity: command.identity,
        record: `demo:${command.target.wolkvoxId}:${command.target.obligation}`,
        kind: 'payment',
        eventTime: command.payment.paidAt,
      }
    : {
        identity: command.identity,
        record: `demo:case:${command.target.wolkvoxId}`,
        kind: 'case',
        eventTime: command.resolvedAt,
      };

let db: Dynalite;
let sqs: LocalSqs;
let logs: FakeCloudWatchLogs;
let urls: { work: string; parked: string; dlq: string };
let clock: number;
let out: string[];
let err: string[];

const ledger = () => createDynamoLedger({ tableName: NAMES.table, client: db.client, now: () => clock });
const dispatch = () =>
  queueDispatch({
    queueUrl: urls.work,
    parkedQueueUrl: urls.parked,
    sqs: sqsOnDemand(sqs.client),
    now: () => new Date(clock),
  });

async function status(...argv: string[]): Promise<number> {
  return statusMain(['--stage', STAGE, ...argv], {
    // New clients per run: the command destroys its clients when it ends.
    createClients: () => ({
      dynamodb: new DynamoDBClient(loopbackClientConfig(db.endpoint)),
      sqs: new SQSClient(loopbackClientConfig(sqs.endpoint)),
      logs: new CloudWatchLogsClient(loopbackClientConfig(logs.endpoint)),
    }),
    out: (line) => out.push(...line.split('\n')),
    err: (line) => err.push(...line.split('\n')),
    now: () => new Date(T0 + 3_600_000),
    sleep: async () => undefined,
  });
}

/** A Powertools line: the keys the functions log, with the Lambda context and correlation id. */
function line(
  fn: string,
  at: number,
  correlationId: string,
  message: string,
  fields: Record<string, unknown>,
) {
  logs.log(group(fn), at, {
    level: fields.level ?? 'INFO',
    message,
    timestamp: new Date(at).toISOString(),
    service: 'wolkvox-webhooks',
    cold_start: false,
    function_name: `wolkvox-webhooks-${STAGE}-${fn}`,
    function_request_id: `req-${correlationId}`,
    correlation_id: correlationId,
    ...fields,
  });
}

beforeEach(async () => {
  [db, sqs, logs] = await Promise.all([startDynalite(), startLocalSqs(), startFakeCloudWatchLogs()]);
  await db.createTable(NAMES.table);
  const dlq = sqs.createQueue(NAMES.dlq);
  urls = {
    dlq,
    parked: sqs.createQueue(NAMES.parkedQueue),
    work: sqs.createQueue(`wolkvox-webhooks-${STAGE}.fifo`, {
      visibilityTimeout: 360,
      redrive: { deadLetterQueue: NAMES.dlq, maxReceiveCount: MAX_RECEIVE_COUNT },
    }),
  };
  for (const fn of ['paymentReceived', 'ticketResolved', 'wolkvoxSync']) logs.createLogGroup(group(fn));
  clock = T0;
  out = [];
  err = [];
});

afterEach(async () => {
  await Promise.all([db.close(), sqs.close(), logs.close()]);
});

describe('npm run status', () => {
  it('tells the story of an applied payment: ledger entry and its lines across functions, in order', async () => {
    const entry = entryOf(payment('pi_1'));
    const claim = await ledger().claim(entry, 60_000);
    if (claim.status !== 'claimed') throw new Error('not claimed');
    clock += 1_200;
    await ledger().settle(entry, claim.token);
    // Ingress: the request's lines; one names only the event id, and the batch's other event is not ours.
    line('paymentReceived', T0 - 100, 'api-1', 'verified', { provider: 'stripe', eventId: 'evt_1' });
    line('paymentReceived', T0, 'api-1', 'accepted', {
      provider: 'stripe',
      eventId: 'evt_1',
      identity: 'stripe:pi_1',
    });
    line('paymentReceived', T0 + 1, 'api-1', 'accepted', {
      provider: 'stripe',
      eventId: 'evt_9',
      identity: 'stripe:pi_9',
    });
    line('wolkvoxSync', T0 + 1_200, 'api-1', 'applied', {
      provider: 'stripe',
      eventId: 'evt_1',
      identity: 'stripe:pi_1',
      outcome: 'applied',
    });
    line('wolkvoxSync', T0 + 1_300, 'api-2', 'applied', {
      provider: 'stripe',
      eventId: 'evt_2',
      identity: 'stripe:pi_2',
    });

    expect(await status('stripe', 'pi_1')).toBe(0);
    const text = out.join('\n');
    expect(text).toContain(`Ledger (${NAMES.table}, GetItem EVENT#stripe:pi_1):`);
    expect(text).toContain('  stripe:pi_1: applied at 2026-03-01T15:00:01.200Z, after 1 attempt(s)');
    expect(text).toContain(
      '    wolkvox record demo:65f0c0ffee:6669999 API (payment), event time 2026-03-01T14:59:00.000Z',
    );
    expect(out.filter((l) => l.startsWith('  2026-'))).toEqual([
      '  2026-03-01 14:59:59.900  paymentReceived  INFO   verified  provider=stripe eventId=evt_1',
      '  2026-03-01 15:00:00.000  paymentReceived  INFO   accepted  provider=stripe eventId=evt_1 identity=stripe:pi_1',
      '  2026-03-01 15:00:01.200  wolkvoxSync      INFO   applied  provider=stripe eventId=evt_1 identity=stripe:pi_1 outcome=applied',
    ]);
    expect(text).toContain('  1 request(s): api-1');
    // The two Insights queries sent, over the three groups and the last 7 days.
    expect(logs.queries.map((q) => q.queryString)).toEqual([
      [
        'fields @timestamp, correlation_id',
        '| filter identity = "stripe:pi_1" or (provider = "stripe" and eventId in ["pi_1"])',
        '| stats count(*) as lines by correlation_id',
        '| limit 20',
      ].join('\n'),
      [
        'fields @timestamp, @log, @message',
        '| filter correlation_id in ["api-1"]',
        '| sort @timestamp asc',
        '| limit 1000',
      ].join('\n'),
    ]);
    expect(logs.queries[0]?.logGroupNames).toEqual(NAMES.logGroups);
    expect(logs.queries[0]?.endTime).toBe((T0 + 3_600_000) / 1000);
    expect(logs.queries[0]?.startTime).toBe((T0 + 3_600_000 - 7 * 86_400_000) / 1000);
  });

  it('tells the story of a parked payment, found in the logs by the parked message’s event id', async () => {
    const command = payment('pi_3');
    const entry = entryOf(command);
    const claim = await ledger().claim(entry, 60_000);
    if (claim.status !== 'claimed') throw new Error('not claimed');
    await ledger().park(entry, claim.token, 'wolkvox: 400 SOME PARAMETERS ARE REQUIRED');
    await dispatch().park({
      provider: 'stripe',
      eventId: 'evt_3',
      reason: 'wolkvox: 400 SOME PARAMETERS ARE REQUIRED',
      command,
      summary: { identity: command.identity },
      parkedAt: new Date(T0).toISOString(),
    });
    await dispatch().park({
      provider: 'stripe',
      eventId: 'evt_4',
      reason: 'another event',
      summary: { paymentId: 'pi_4' },
      parkedAt: new Date(T0).toISOString(),
    });
    line('wolkvoxSync', T0, 'api-3', 'parked', {
      level: 'WARN',
      provider: 'stripe',
      eventId: 'evt_3',
      reason: 'wolkvox: 400 SOME PARAMETERS ARE REQUIRED',
    });

    expect(await status('stripe', 'pi_3')).toBe(0);
    const text = out.join('\n');
    expect(text).toContain('  stripe:pi_3: parked at 2026-03-01T15:00:00.000Z, after 1 attempt(s)');
    expect(text).toMatch(
      /Parked queue \(.*-parked\.fifo, 2 message\(s\) looked at\):\n {2}\S+ {2}parked {2}event evt_3 {2}stripe:pi_3\n {4}reason: wolkvox: 400 SOME PARAMETERS ARE REQUIRED\n {4}received 1 time\(s\); can be redriven/,
    );
    expect(text).not.toContain('evt_4');
    expect(text).toContain(
      '  2026-03-01 15:00:00.000  wolkvoxSync      WARN   parked  provider=stripe eventId=evt_3 reason=wolkvox: 400 SOME PARAMETERS ARE REQUIRED',
    );
    expect(logs.queries[0]?.queryString).toContain('eventId in ["pi_3", "evt_3"]');
    // Peeked, not consumed: both parked messages are still there, visible.
    expect(sqs.messages(urls.parked).map((m) => m.visible)).toEqual([true, true]);
  });

  it('tells the story of a dead-lettered ticket found by its id alone (a bounded scan)', async () => {
    const entry = entryOf(caseUpdate);
    const claim = await ledger().claim(entry, 60_000);
    if (claim.status !== 'claimed') throw new Error('not claimed');
    await ledger().endLease(entry, claim.token, clock);
    // As the ingress queues it, with its request's correlation id (lib/dispatch/message.ts).
    await sqs.client.send(
      new SendMessageCommand({
        QueueUrl: urls.work,
        MessageBody: JSON.stringify({
          command: caseUpdate,
          meta: { provider: 'zendesk', eventId: 'zd-delivery-1', receivedAt: new Date(T0).toISOString() },
          correlationId: 'api-5',
        }),
        MessageGroupId: messageGroupId(caseUpdate),
        MessageDeduplicationId: deduplicationId(caseUpdate.identity),
      }),
    );
    for (let attempt = 0; attempt <= MAX_RECEIVE_COUNT; attempt += 1) {
      await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: urls.work, VisibilityTimeout: 30 }));
      sqs.advance(31_000);
    }
    expect(sqs.messages(urls.dlq)).toHaveLength(1);
    line('ticketResolved', T0 - 50, 'api-5', 'request received', { provider: 'zendesk' });
    line('ticketResolved', T0, 'api-5', 'accepted', {
      provider: 'zendesk',
      eventId: 'zd-delivery-1',
      identity: caseUpdate.identity,
    });
    line('wolkvoxSync', T0 + 5, 'api-5', 'retrying', {
      level: 'WARN',
      provider: 'zendesk',
      eventId: 'zd-delivery-1',
      identity: caseUpdate.identity,
      failure: 'unreachable',
    });

    expect(await status('zendesk', '4321')).toBe(0);
    const text = out.join('\n');
    expect(text).toMatch(/Scan for EVENT#zendesk:4321:… \(no index on ticket ids: \d+ items read\)/);
    expect(text).toContain('  zendesk:4321:2026-03-01T14:00:00Z: pending, after 1 attempt(s)');
    expect(text).toContain('    in progress or awaiting a retry; lease until 2026-03-01T15:00:00.000Z');
    expect(text).toMatch(
      /Dead-letter queue \(.*-dlq\.fifo, 1 message\(s\) looked at\):\n {2}\S+ {2}dead-lettered {2}event zd-delivery-1 {2}zendesk:4321:2026-03-01T14:00:00Z\n {4}reason: exhausted retries \(receive count \d+\)/,
    );
    expect(text).toContain('    correlation id api-5');
    expect(text).toContain('ticketResolved   INFO   request received  provider=zendesk');
    expect(text).toContain(
      'wolkvoxSync      WARN   retrying  provider=zendesk eventId=zd-delivery-1 identity=zendesk:4321:2026-03-01T14:00:00Z failure=unreachable',
    );
    expect(logs.queries[0]?.queryString).toContain('identity like /^zendesk:4321:/');
    expect(sqs.messages(urls.dlq).map((m) => m.visible)).toEqual([true]);
  });

  it('says where it looked when nothing names the event (exit 1)', async () => {
    expect(await status('--since', '12h', 'wompi', '12345-1610641025-49201')).toBe(1);
    const text = out.join('\n');
    expect(text).toContain(
      `Ledger (${NAMES.table}, GetItem EVENT#wompi:12345-1610641025-49201):\n  no entry`,
    );
    expect(text).toMatch(
      /Parked queue \(.*parked\.fifo, 0 message\(s\) looked at\):\n {2}nothing for this event/,
    );
    expect(text).toMatch(
      /Dead-letter queue \(.*dlq\.fifo, 0 message\(s\) looked at\):\n {2}nothing for this event/,
    );
    expect(text).toContain(
      `Logs (/aws/lambda/wolkvox-webhooks-${STAGE}-{paymentReceived,ticketResolved,wolkvoxSync}, last 0.5 d):\n  no lines about this event`,
    );
    expect(text).toContain('Not found:');
  });

  it('stops a ticket scan at --scan-limit and says so', async () => {
    for (let i = 0; i < 5; i += 1) {
      const entry = entryOf({ ...caseUpdate, identity: `zendesk:${9000 + i}:2026-03-01T14:00:00Z` });
      const claim = await ledger().claim(entry, 60_000);
      if (claim.status !== 'claimed') throw new Error('not claimed');
    }
    expect(await status('--scan-limit', '2', 'zendesk', '4321')).toBe(1);
    expect(out.join('\n')).toContain(
      '2 items read, stopped at 2 (raise --scan-limit, or give <ticket id>:<resolved at>)',
    );
  });

  it(
    "runs as a script, pointed at the fakes by the SDK's endpoint variables",
    { timeout: 30_000 },
    async () => {
      const entry = entryOf(payment('pi_1'));
      const claim = await ledger().claim(entry, 60_000);
      if (claim.status !== 'claimed') throw new Error('not claimed');
      await ledger().settle(entry, claim.token);
      line('paymentReceived', Date.now() - 60_000, 'api-1', 'accepted', {
        provider: 'stripe',
        eventId: 'evt_1',
        identity: 'stripe:pi_1',
      });
      const env = {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
        AWS_ENDPOINT_URL_SQS: sqs.endpoint,
        AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: logs.endpoint,
        // Any other service would go here, a closed port: never AWS.
        AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_CONFIG_FILE: '/nonexistent',
        AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
      };
      const { stdout } = await run(
        process.execPath,
        ['scripts/status.ts', '--stage', STAGE, 'stripe', 'pi_1'],
        {
          cwd: ROOT,
          env,
        },
      );
      expect(stdout).toContain('  stripe:pi_1: applied at 2026-03-01T15:00:00.000Z, after 1 attempt(s)');
      expect(stdout).toMatch(
        /paymentReceived {2}INFO {3}accepted {2}provider=stripe eventId=evt_1 identity=stripe:pi_1/,
      );

      const usage = await run(process.execPath, ['scripts/status.ts', 'stripe', 'pi_1'], {
        cwd: ROOT,
        env,
      }).catch((error: unknown) => error as { code: number; stderr: string });
      expect(usage).toMatchObject({ code: 2, stderr: expect.stringContaining('--stage is required') });
    },
  );

  it('reports a stage that is not deployed as a configuration error (exit 2)', async () => {
    expect(
      await statusMain(['--stage', 'nope', 'stripe', 'pi_1'], {
        createClients: () => ({
          dynamodb: new DynamoDBClient(loopbackClientConfig(db.endpoint)),
          sqs: new SQSClient(loopbackClientConfig(sqs.endpoint)),
          logs: new CloudWatchLogsClient(loopbackClientConfig(logs.endpoint)),
        }),
        out: (l) => out.push(l),
        err: (l) => err.push(l),
      }),
    ).toBe(2);
    expect(err.join('\n')).toContain(
      "No queue wolkvox-webhooks-nope-parked.fifo in us-east-1: is stage 'nope' deployed there?",
    );
    expect(err.join('\n')).toContain(USAGE);
  });
});

describe('npm run status: usage', () => {
  it.each([
    [['stripe', 'pi_1'], '--stage is required'],
    [['--stage', 'prod', 'stripe'], 'two arguments'],
    [['--stage', 'prod', 'acme', 'pi_1'], "'acme' is not a provider"],
    [['--stage', 'prod', 'standard', 'pay_1'], 'add --family payments|tickets'],
    [['--stage', 'prod', '--family', 'tickets', 'stripe', 'pi_1'], "'stripe' is not a tickets provider"],
    [['--stage', 'prod', '--since', '7 days', 'stripe', 'pi_1'], '--since'],
    [['--stage', 'prod', 'stripe', 'pi\n1'], 'printable'],
    [['--stage', 'prod', '--bogus', 'stripe', 'pi_1'], "Unknown option '--bogus'"],
  ])('%j → exit 2 with the usage', async (argv, message) => {
    const lines: string[] = [];
    const code = await statusMain(argv, {
      createClients: () => {
        throw new Error('no client for a usage error');
      },
      out: (l) => lines.push(l),
      err: (l) => lines.push(l),
    });
    expect(code).toBe(2);
    expect(lines.join('\n')).toContain(message);
    expect(lines.join('\n')).toContain('Usage: npm run status');
  });

  it('takes --family for a slug in both families, and the overrides', () => {
    const parsed = parseStatusArgs([
      '--stage',
      'prod',
      '--family',
      'tickets',
      '--since',
      '30m',
      '--parked-queue',
      'https://sqs.eu-west-1.amazonaws.com/1/p.fifo',
      'standard',
      'tkt_1',
    ]);
    expect(parsed).toMatchObject({
      help: false,
      region: 'eu-west-1',
      options: { family: 'tickets', provider: 'standard', id: 'tkt_1', sinceMs: 1_800_000 },
    });
  });

  it('quotes ids in the Insights queries', () => {
    expect(correlationQuery({ prefix: 'zendesk:a.b/c:' }, 'zendesk', ['x"y'])).toContain(
      'identity like /^zendesk:a\\.b\\/c:/ or (provider = "zendesk" and eventId in ["x\\"y"])',
    );
    expect(linesQuery(['a', 'b'])).toContain('filter correlation_id in ["a", "b"]');
  });
});
