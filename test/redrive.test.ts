// npm run redrive: the parked queue (the work queue's DLQ) listed and redriven against an in-memory
// FIFO SQS on loopback. Parked events are produced by the real queue dispatcher and dead letters by
// the fake's redrive policy, so the bodies and attributes are the ones a deployment holds.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deduplicationId, messageGroupId, queuedMessageSchema } from '#lib/dispatch/message.ts';
import { queueDispatch, sqsOnDemand } from '#lib/dispatch/queue.ts';
import type { ParkedEvent } from '#lib/dispatch/types.ts';
import type { ApplyPaymentCommand, UpdateCaseCommand } from '#lib/events.ts';
import { parseRedriveArgs, redriveMain, regionOf } from '#lib/ops/redrive-cli.ts';
import {
  describeMessage,
  formatAge,
  OpsError,
  queueNames,
  type RedriveOptions,
  runRedrive,
  UsageError,
} from '#lib/ops/redrive.ts';
import { type LocalSqs, startLocalSqs } from '#lib/local/sqs.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..');
const STAGE = 'test';
const NAMES = queueNames(STAGE);
const MAX_RECEIVE_COUNT = 5;

function payment(id: string, obligation = '6669999 API'): ApplyPaymentCommand {
  return {
    kind: 'applyPayment',
    identity: `stripe:${id}`,
    target: { operation: 'demo', wolkvoxId: '65f0c0ffee', obligation },
    payment: {
      provider: 'stripe',
      paymentId: id,
      amount: { minor: 150_000, currency: 'COP', exponent: 2 },
      paidAt: '2025-03-01T15:00:00Z',
    },
  };
}

const caseUpdate: UpdateCaseCommand = {
  kind: 'updateCase',
  identity: 'zendesk:4321:2025-03-01T16:00:00Z',
  provider: 'zendesk',
  resolvedAt: '2025-03-01T16:00:00Z',
  target: { operation: 'demo', wolkvoxId: '65f0aaaaaaaaaaaaaaaaaaaa' },
  update: { status: 'Closed', solution: 'Reset the password' },
  attachments: [],
};

let sqs: LocalSqs;
let urls: { work: string; parked: string };
let lines: string[];
let clock: number;

const now = () => new Date(clock);
const out = (line: string) => lines.push(line);
const dispatch = () =>
  queueDispatch({ queueUrl: urls.work, parkedQueueUrl: urls.parked, sqs: sqsOnDemand(sqs.client), now });
const options = (extra: Partial<RedriveOptions>): RedriveOptions => ({
  workQueueUrl: urls.work,
  parkedQueueUrl: urls.parked,
  dryRun: false,
  selection: { kind: 'none' },
  now,
  ...extra,
});
const parkedQueue = () => sqs.messages(urls.parked);
const workQueue = () => sqs.messages(urls.work);
/** Advances both the fake queue's clock and the tool's. */
const advance = (ms: number) => {
  sqs.advance(ms);
  clock += ms;
};

/**
 * Messages sharing one FIFO group, as dead-lettered commands of one wolkvox record do (parked
 * events each get their own group): SQS hands out 10 of a group until those are deleted.
 */
async function parkInOneGroup(event: ParkedEvent): Promise<void> {
  await sqs.client.send(
    new SendMessageCommand({
      QueueUrl: urls.parked,
      MessageBody: JSON.stringify(event),
      MessageGroupId: 'one-record',
      MessageDeduplicationId: deduplicationId(event.eventId),
    }),
  );
}

function parkedEvent(eventId: string, reason: string, command?: ApplyPaymentCommand): ParkedEvent {
  return {
    provider: 'stripe',
    eventId,
    reason,
    ...(command ? { command } : {}),
    summary: command ? { identity: command.identity } : { paymentId: eventId.replace('evt_', 'pi_') },
    parkedAt: now().toISOString(),
  };
}

/** A command that failed on every delivery until SQS moved it to the parked queue. */
async function deadLetter(command: UpdateCaseCommand): Promise<void> {
  await dispatch().submit(command, { provider: 'zendesk', eventId: 'zd-delivery-1' });
  for (let attempt = 0; attempt <= MAX_RECEIVE_COUNT; attempt += 1) {
    await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: urls.work, VisibilityTimeout: 30 }));
    advance(31_000);
  }
}

/** 1: parked with a command (a permanent wolkvox failure), 2: parked with none, 3: dead-lettered. */
async function seedThree(): Promise<void> {
  await dispatch().park(parkedEvent('evt_1', 'wolkvox: 400 SOME PARAMETERS ARE REQUIRED', payment('pi_1')));
  advance(1_000);
  await dispatch().park(parkedEvent('evt_2', 'no wolkvox obligation named in the payment metadata'));
  advance(1_000);
  await deadLetter(caseUpdate);
}

beforeEach(async () => {
  sqs = await startLocalSqs();
  clock = Date.now();
  lines = [];
  urls = {
    parked: sqs.createQueue(NAMES.parked),
    work: sqs.createQueue(NAMES.work, {
      visibilityTimeout: 360,
      redrive: { deadLetterQueue: NAMES.parked, maxReceiveCount: MAX_RECEIVE_COUNT },
    }),
  };
});

afterEach(async () => {
  await sqs.close();
});

describe('listing', () => {
  it('shows parked and dead-lettered events with their reasons, oldest first', async () => {
    await seedThree();
    expect(workQueue()).toEqual([]);
    const report = await runRedrive(sqs.client, options({ dryRun: true }), out);
    expect(
      report.listed.map((m) => [m.number, m.disposition, m.provider, m.eventId, m.summary, !!m.redrive]),
    ).toEqual([
      [1, 'parked', 'stripe', 'evt_1', 'stripe:pi_1', true],
      [2, 'parked', 'stripe', 'evt_2', 'paymentId=pi_2', false],
      [3, 'dead-lettered', 'zendesk', 'zd-delivery-1', caseUpdate.identity, true],
    ]);
    expect(report.listed.map((m) => m.reason)).toEqual([
      'wolkvox: 400 SOME PARAMETERS ARE REQUIRED',
      'no wolkvox obligation named in the payment metadata',
      // Five failed receives on the work queue, one by the listing.
      `exhausted retries (receive count ${MAX_RECEIVE_COUNT + 1})`,
    ]);
    const text = lines.join('\n');
    expect(text).toMatch(/#\s+disposition\s+reason\s+provider\s+event id\s+identity \/ summary\s+age/);
    expect(text).toMatch(/3\s+dead-lettered\s+exhausted retries/);
    expect(text).toContain('Nothing chosen');
  });

  it('changes nothing on a dry run and gives every message back at once', async () => {
    await seedThree();
    const before = sqs.sent.length;
    const report = await runRedrive(sqs.client, options({ dryRun: true, selection: { kind: 'all' } }), out);
    expect(report.redriven.map((m) => m.number)).toEqual([1, 3]);
    expect(report.skipped.map((m) => m.number)).toEqual([2]);
    const text = lines.join('\n');
    expect(text).toContain('would redrive #1 stripe evt_1');
    expect(text).toContain('cannot redrive #2 stripe evt_2: no command');
    expect(text).toContain('Dry run: nothing was changed.');
    expect(sqs.sent.length).toBe(before);
    expect(sqs.actions).not.toContain('DeleteMessage');
    expect(workQueue()).toEqual([]);
    // Visible again now, not after the listing's 60-second visibility timeout.
    expect(parkedQueue().map((m) => m.visible)).toEqual([true, true, true]);
  });

  it('says the queue is empty', async () => {
    const report = await runRedrive(sqs.client, options({ dryRun: true }), out);
    expect(report.listed).toEqual([]);
    expect(lines.join('\n')).toContain('The parked queue is empty.');
  });

  it('counts what a FIFO group hides behind the listed messages', async () => {
    for (let i = 1; i <= 12; i += 1) {
      await parkInOneGroup(parkedEvent(`evt_${i}`, 'wolkvox: 404', payment(`pi_${i}`)));
    }
    const report = await runRedrive(sqs.client, options({ dryRun: true }), out);
    // One group: SQS hands out 10, then nothing until those are deleted.
    expect(report.listed).toHaveLength(10);
    expect(report.hidden).toBe(2);
    expect(lines.join('\n')).toContain('About 2 more message(s) wait behind the listed ones');
    expect(parkedQueue().every((m) => m.visible)).toBe(true);
  });

  it('describes an unreadable body without offering to redrive it', () => {
    const listed = describeMessage({ MessageId: 'm-1', Body: 'not json', Attributes: {} });
    expect(listed).toMatchObject({ disposition: 'dead-lettered', provider: '?', redrive: undefined });
    expect(listed.unredrivable).toMatch(/unreadable/);
  });

  it('formats ages', () => {
    expect([formatAge(5_000), formatAge(120_000), formatAge(7_200_000), formatAge(3 * 86_400_000)]).toEqual([
      '5s',
      '2m',
      '2h',
      '3d',
    ]);
  });
});

describe('redrive', () => {
  it('--all puts the commands back in their record groups with new deduplication ids', async () => {
    await seedThree();
    const original = {
      payment: deduplicationId(payment('pi_1').identity),
      case: deduplicationId(caseUpdate.identity),
    };
    const report = await runRedrive(sqs.client, options({ selection: { kind: 'all' } }), out);
    expect(report.redriven.map((m) => m.eventId)).toEqual(['evt_1', 'zd-delivery-1']);

    // The dead letter went through the work queue with its dedup id less than 5 minutes ago: only a
    // new id gets it past SQS deduplication.
    const work = workQueue();
    expect(work.map((m) => m.groupId)).toEqual([messageGroupId(payment('pi_1')), messageGroupId(caseUpdate)]);
    expect(work.map((m) => m.deduplicationId)).not.toContain(original.payment);
    expect(work.map((m) => m.deduplicationId)).not.toContain(original.case);
    expect(work.every((m) => /^[0-9a-f]{64}$/.test(m.deduplicationId ?? ''))).toBe(true);
    expect(work.map((m) => queuedMessageSchema.parse(JSON.parse(m.body)))).toEqual([
      {
        command: payment('pi_1'),
        meta: { provider: 'stripe', eventId: 'evt_1', receivedAt: expect.any(String) },
      },
      {
        command: caseUpdate,
        meta: { provider: 'zendesk', eventId: 'zd-delivery-1', receivedAt: expect.any(String) },
      },
    ]);

    // Only the event with nothing to apply stays, visible for the next look.
    expect(parkedQueue().map((m) => [JSON.parse(m.body).eventId, m.visible])).toEqual([['evt_2', true]]);
    expect(lines.join('\n')).toContain('2 redriven, 1 could not be (still parked), 0 not chosen.');
  });

  it('--select redrives the listed numbers only', async () => {
    await seedThree();
    const report = await runRedrive(
      sqs.client,
      options({ selection: { kind: 'numbers', numbers: [3] } }),
      out,
    );
    expect(report.redriven.map((m) => m.number)).toEqual([3]);
    expect(workQueue().map((m) => m.groupId)).toEqual([messageGroupId(caseUpdate)]);
    expect(parkedQueue().map((m) => JSON.parse(m.body).eventId)).toEqual(['evt_1', 'evt_2']);
    expect(parkedQueue().every((m) => m.visible)).toBe(true);
  });

  it('--select of a number not in the listing changes nothing', async () => {
    await seedThree();
    await expect(
      runRedrive(sqs.client, options({ selection: { kind: 'numbers', numbers: [1, 7] } }), out),
    ).rejects.toThrow(new UsageError('No message #7 in the listing (1–3)'));
    expect(workQueue()).toEqual([]);
    expect(parkedQueue().map((m) => m.visible)).toEqual([true, true, true]);
  });

  it('--reason matches a part of the reason in any case', async () => {
    await seedThree();
    const report = await runRedrive(
      sqs.client,
      options({ selection: { kind: 'reason', text: 'EXHAUSTED' } }),
      out,
    );
    expect(report.redriven.map((m) => m.eventId)).toEqual(['zd-delivery-1']);
    expect(workQueue()).toHaveLength(1);
    expect(parkedQueue()).toHaveLength(2);
  });

  it('--all goes on in passes through what a FIFO group hid, past a message it cannot redrive', async () => {
    await parkInOneGroup(parkedEvent('evt_0', 'no wolkvox obligation named in the payment metadata'));
    for (let i = 1; i <= 11; i += 1) {
      await parkInOneGroup(parkedEvent(`evt_${i}`, 'wolkvox: 404', payment(`pi_${i}`, `obl-${i}`)));
    }
    const report = await runRedrive(sqs.client, options({ selection: { kind: 'all' } }), out);
    expect(report.redriven).toHaveLength(11);
    expect(report.listed.map((m) => m.number)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(lines.join('\n')).toContain('Uncovered by redriving (pass 2)');
    expect(workQueue()).toHaveLength(11);
    expect(parkedQueue().map((m) => [JSON.parse(m.body).eventId, m.visible])).toEqual([['evt_0', true]]);
    expect(report.hidden).toBe(0);
  });

  it('keeps a message parked when sending it back fails, and gives it back', async () => {
    await seedThree();
    sqs.failNext(1, 'SendMessage');
    await expect(runRedrive(sqs.client, options({ selection: { kind: 'all' } }), out)).rejects.toThrow(
      /injected/,
    );
    expect(workQueue()).toEqual([]);
    expect(parkedQueue().map((m) => m.visible)).toEqual([true, true, true]);
  });

  it('keeps the command on the work queue when the delete fails: a duplicate, never a loss', async () => {
    await seedThree();
    sqs.failNext(1, 'DeleteMessage');
    await expect(
      runRedrive(sqs.client, options({ selection: { kind: 'numbers', numbers: [1] } }), out),
    ).rejects.toThrow(/injected/);
    expect(workQueue()).toHaveLength(1);
    expect(parkedQueue().map((m) => m.visible)).toEqual([true, true, true]);
  });
});

describe('discard', () => {
  it('--discard deletes the chosen events, with or without a command', async () => {
    await seedThree();
    const report = await runRedrive(
      sqs.client,
      options({ discard: true, selection: { kind: 'numbers', numbers: [2, 3] } }),
      out,
    );
    expect(report.redriven.map((m) => m.eventId)).toEqual(['evt_2', 'zd-delivery-1']);
    expect(workQueue()).toEqual([]);
    expect(parkedQueue().map((m) => [JSON.parse(m.body).eventId, m.visible])).toEqual([['evt_1', true]]);
    expect(lines.join('\n')).toContain('2 discarded, 1 not chosen.');
  });

  it('--discard --dry-run deletes nothing', async () => {
    await seedThree();
    await runRedrive(sqs.client, options({ discard: true, dryRun: true, selection: { kind: 'all' } }), out);
    expect(lines.join('\n')).toContain('would discard #2 stripe evt_2');
    expect(sqs.actions).not.toContain('DeleteMessage');
    expect(parkedQueue().map((m) => m.visible)).toEqual([true, true, true]);
  });
});

describe('queue URLs', () => {
  it('finds the stage queues by their names', async () => {
    await seedThree();
    const report = await runRedrive(
      sqs.client,
      { stage: STAGE, dryRun: true, selection: { kind: 'none' } },
      out,
    );
    expect(report.urls).toEqual(urls);
    expect(report.listed).toHaveLength(3);
  });

  it('names the missing queue of a stage that is not deployed', async () => {
    await expect(
      runRedrive(sqs.client, { stage: 'nope', dryRun: true, selection: { kind: 'none' } }, out),
    ).rejects.toThrow(
      new OpsError(
        "No queue wolkvox-webhooks-nope.fifo in us-east-1: is stage 'nope' deployed there? (pass --region, or the URL with --work-queue-url)",
      ),
    );
  });

  it('takes the region from an AWS queue URL', () => {
    expect(regionOf('https://sqs.eu-west-1.amazonaws.com/123456789012/wolkvox-webhooks-prod.fifo')).toBe(
      'eu-west-1',
    );
    expect(regionOf('http://127.0.0.1:9324/000000000000/q.fifo')).toBeUndefined();
  });
});

describe('command line', () => {
  const cli = async (argv: string[]) => {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const code = await redriveMain(argv, {
      // The command destroys its client when done: a client of its own, on the fake.
      createClient: () =>
        new SQSClient({
          endpoint: sqs.endpoint,
          region: 'us-east-1',
          credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
          maxAttempts: 1,
        }),
      out: (line) => stdout.push(line),
      err: (line) => stderr.push(line),
      now,
    });
    return { code, stdout: stdout.join('\n'), stderr: stderr.join('\n') };
  };

  it.each([
    [[], '--stage is required'],
    [['--stage', 'test', '--all', '--reason', 'x'], 'Use only one of --all, --select and --reason'],
    [['--stage', 'test', '--select', 'two'], "--select: 'two' is not a listing number"],
    [['--stage', 'test', '--select', '0'], "--select: '0' is not a listing number"],
    [['--stage', 'test', '--reason', ' '], '--reason: give some text'],
    [['--stage', 'test', '--discard'], '--discard needs --all, --select or --reason'],
    [['--stage', 'a/b'], "--stage: 'a/b' is not a stage name"],
    [['--stage', 'test', '--region', 'mars'], "--region: 'mars' is not an AWS region"],
    [['--stage', 'test', '--bogus'], "Unknown option '--bogus'"],
    [['--stage', 'test', 'extra'], 'Unexpected argument'],
    [['--work-queue-url', 'nope', '--parked-queue-url', 'x'], "--work-queue-url: 'nope' is not a URL"],
  ])('%j is a usage error (exit 2)', async (argv, message) => {
    const { code, stderr } = await cli(argv);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
    expect(stderr).toContain('Usage: npm run redrive');
  });

  it('reads --select lists and ranges', () => {
    expect(parseRedriveArgs(['--stage', 'prod', '--select', '1, 3,5-7'])).toMatchObject({
      options: { stage: 'prod', selection: { kind: 'numbers', numbers: [1, 3, 5, 6, 7] } },
    });
  });

  it('--help prints the usage (exit 0)', async () => {
    const { code, stdout } = await cli(['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('--dry-run');
  });

  it('a number outside the listing is a usage error after listing, with nothing moved', async () => {
    await seedThree();
    const { code, stderr } = await cli(['--stage', STAGE, '--select', '9']);
    expect(code).toBe(2);
    expect(stderr).toContain('No message #9 in the listing (1–3)');
    expect(workQueue()).toEqual([]);
  });

  it('a missing stage exits 1 with the reason, no stack', async () => {
    const { code, stderr } = await cli(['--stage', 'nope']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^redrive failed: No queue wolkvox-webhooks-nope\.fifo/);
    expect(stderr).not.toContain('    at ');
  });

  it('redrives by stage (exit 0)', async () => {
    await seedThree();
    const { code, stdout } = await cli(['--stage', STAGE, '--select', '1']);
    expect(code).toBe(0);
    expect(stdout).toContain('redriven #1 stripe evt_1');
    expect(workQueue()).toHaveLength(1);
  });

  it('runs as a script: npm run redrive -- --stage test --dry-run', { timeout: 30_000 }, async () => {
    await seedThree();
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      AWS_ENDPOINT_URL_SQS: sqs.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: '/nonexistent',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
    };
    const { stdout } = await run(
      process.execPath,
      ['scripts/redrive.ts', '--stage', STAGE, '--dry-run', '--all'],
      {
        cwd: ROOT,
        env,
      },
    );
    expect(stdout).toContain('would redrive #1 stripe evt_1');
    expect(stdout).toContain('Dry run: nothing was changed.');
    expect(parkedQueue()).toHaveLength(3);

    const usage = await run(process.execPath, ['scripts/redrive.ts'], { cwd: ROOT, env }).catch(
      (error: unknown) => error as { code: number; stderr: string },
    );
    expect(usage).toMatchObject({ code: 2, stderr: expect.stringContaining('--stage is required') });
  });
});
