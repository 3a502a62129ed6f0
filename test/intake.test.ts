import {
  LambdaClient,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '#lib/config.ts';
import { createMemoryLedger } from '#lib/ledger/memory.ts';
import { localContext } from '#lib/local/runtime.ts';
import { createRuntime, intakeProbeHandler } from '#lib/wiring.ts';
import { outageBreaker } from '#lib/worker/breaker.ts';
import { awsIntake, memoryIntake } from '#lib/worker/intake.ts';
import { eventSourceMappings } from '#lib/worker/lambda-api.ts';
import { loopbackClientConfig } from '#lib/local/aws.ts';
import { type Dynalite, startDynalite } from '#lib/local/dynalite.ts';
import { FAKE_CREDENTIALS, type FakeLambda, startFakeLambda } from './support/fake-lambda.ts';
import { localSecretStore, useSandboxAndSqs } from './support/harness.ts';

const QUEUE_ARN = 'arn:aws:sqs:us-east-1:123456789012:wolkvox-webhooks-test.fifo';
const FUNCTION = 'wolkvox-webhooks-test-wolkvoxSync';
const FUNCTION_ARN = `arn:aws:lambda:us-east-1:123456789012:function:${FUNCTION}`;

let lambda: FakeLambda;
let dynalite: Dynalite;
beforeAll(async () => {
  dynalite = await startDynalite();
  await dynalite.createTable('ledger');
});
afterAll(async () => {
  await dynalite.close();
});
beforeEach(async () => {
  lambda = await startFakeLambda([
    {
      UUID: 'other-uuid',
      FunctionArn: FUNCTION_ARN,
      EventSourceArn: 'arn:aws:sqs:us-east-1:123456789012:other',
      State: 'Enabled',
    },
    { UUID: 'esm-uuid', FunctionArn: FUNCTION_ARN, EventSourceArn: QUEUE_ARN, State: 'Enabled' },
  ]);
  return () => lambda.close();
});

const mappingsApi = (secretAccessKey = FAKE_CREDENTIALS.secretAccessKey) =>
  eventSourceMappings({
    region: async () => 'us-east-1',
    credentials: async () => ({ ...FAKE_CREDENTIALS, secretAccessKey }),
    sha256: dynalite.client.config.sha256,
    endpoint: lambda.endpoint,
  });
const state = (uuid: string) => lambda.mappings.find((m) => m.UUID === uuid)?.State;

describe('the Lambda API calls (signed by hand with the SDK signer)', () => {
  it('match the official client: the fake checks each signature by signing the request again', async () => {
    const official = new LambdaClient(loopbackClientConfig(lambda.endpoint));
    const listed = await official.send(
      new ListEventSourceMappingsCommand({ FunctionName: FUNCTION, EventSourceArn: QUEUE_ARN }),
    );
    expect(listed.EventSourceMappings?.map((m) => m.UUID)).toEqual(['esm-uuid']);
    await official.send(new UpdateEventSourceMappingCommand({ UUID: 'esm-uuid', Enabled: false }));
    const ours = mappingsApi();
    expect(await ours.find(FUNCTION, QUEUE_ARN)).toBe('esm-uuid');
    await ours.setEnabled('esm-uuid', true);
    expect(lambda.calls).toEqual([
      'GET list',
      'PUT esm-uuid {"Enabled":false}',
      'GET list',
      'PUT esm-uuid {"Enabled":true}',
    ]);
  });

  it('say which error the API answered; a bad signature is refused', async () => {
    lambda.failNextUpdate('ResourceInUseException');
    await expect(mappingsApi().setEnabled('esm-uuid', false)).rejects.toMatchObject({
      name: 'LambdaApiError',
      type: 'ResourceInUseException',
      status: 409,
    });
    await expect(mappingsApi('wrong').find(FUNCTION, QUEUE_ARN)).rejects.toMatchObject({
      type: 'InvalidSignatureException',
    });
  });
});

describe('the intake (a DynamoDB record and the event source mapping)', () => {
  const intake = (at = '2026-11-28T10:00:00Z') =>
    awsIntake({
      tableName: 'ledger',
      dynamo: dynalite.client,
      mappings: mappingsApi(),
      now: () => new Date(at),
    });
  const source = { functionName: FUNCTION, queueArn: QUEUE_ARN };

  it('pauses its own mapping after recording why, and resumes it', async () => {
    const first = intake('2026-11-28T10:00:00Z');
    await first.pause(source, 'wolkvox: network error');
    expect([state('esm-uuid'), state('other-uuid')]).toEqual(['Disabled', 'Enabled']);
    const paused = await first.paused();
    expect(paused).toMatchObject({
      mappingId: 'esm-uuid',
      since: '2026-11-28T10:00:00.000Z',
      reason: 'wolkvox: network error',
    });
    // A second pause (a failed trial) keeps the outage's start and renews the rest.
    await intake('2026-11-28T11:00:00Z').pause(source, 'again');
    const renewed = await first.paused();
    expect(renewed).toMatchObject({
      since: '2026-11-28T10:00:00.000Z',
      latest: '2026-11-28T11:00:00.000Z',
      reason: 'again',
    });
    if (!paused || !renewed) throw new Error('not paused');
    expect(renewed.pauseId).not.toBe(paused.pauseId);
    // A resume that read the older pause enables the mapping but leaves the newer record: the next probe decides.
    await first.resume(paused);
    expect((await first.paused())?.pauseId).toBe(renewed.pauseId);
    await first.resume(renewed);
    expect(await first.paused()).toBeUndefined();
    expect(state('esm-uuid')).toBe('Enabled');
  });

  it('records nothing and disables nothing when the mapping cannot be found', async () => {
    await expect(intake().pause({ ...source, queueArn: `${QUEUE_ARN}-nope` }, 'x')).rejects.toMatchObject({
      name: 'IntakeError',
    });
    expect(await intake().paused()).toBeUndefined();
    expect(state('esm-uuid')).toBe('Enabled');
  });
});

describe('the outage breaker', () => {
  it('opens after 5 outage failures in a row, tries one call after the cool-down, and closes on its success', async () => {
    let now = 0;
    const breaker = outageBreaker({ now: () => now });
    for (let i = 0; i < 4; i++) expect(breaker.failed()).toBe(false);
    breaker.succeeded();
    for (let i = 0; i < 4; i++) breaker.failed();
    expect(await breaker.admit()).toBe(true);
    expect(breaker.failed(), 'the fifth in a row opens it').toBe(true);
    expect(breaker.failed(), 'a call that was already waiting does not open it twice').toBe(false);
    expect(await breaker.admit()).toBe(false);
    now += 60_000;
    expect(await breaker.admit(), 'the trial').toBe(true);
    // Calls during the trial wait for its outcome: a failure holds them…
    const waiting = breaker.admit();
    expect(breaker.failed(), 'a failed trial opens it again').toBe(true);
    expect(await waiting).toBe(false);
    now += 60_000;
    expect(await breaker.admit()).toBe(true);
    // …a success lets them all through.
    const behind = [breaker.admit(), breaker.admit()];
    breaker.succeeded();
    expect(await Promise.all(behind)).toEqual([true, true]);
    expect(await breaker.admit()).toBe(true);
  });
});

describe('the intake probe', () => {
  const harness = useSandboxAndSqs();
  let clock = Date.parse('2026-11-28T10:00:00Z');
  const now = () => new Date(clock);

  function probe() {
    const intake = memoryIntake(now);
    const config = loadConfig({
      WOLKVOX_SERVER: harness.sandbox.url,
      WOLKVOX_OPERATION: 'demo',
      DISPATCH: 'queue',
      QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/work.fifo',
      PARKED_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/parked.fifo',
      LEDGER_TABLE: 'ledger',
      // No request here is meant to time out (the faults answer at once): room for a busy CI machine.
      WOLKVOX_TIMEOUT_MS: '2000',
    });
    const runtime = createRuntime(config, {
      secrets: localSecretStore(),
      logLevel: 'SILENT',
      ledger: createMemoryLedger(),
      now,
      intake,
    });
    return { intake, run: () => intakeProbeHandler(runtime)(localContext('wolkvoxSync', 60_000)) };
  }

  it('costs no wolkvox call while the intake runs', async () => {
    expect(await probe().run()).toEqual({ intake: 'running' });
    expect(harness.sandbox.requests()).toEqual([]);
  });

  it('waits out the invocations running when it paused, probes while wolkvox is down, resumes once it answers', async () => {
    const { intake, run } = probe();
    await intake.pause({ functionName: FUNCTION, queueArn: QUEUE_ARN }, 'wolkvox: network error');
    harness.sandbox.setFaults({ down: 'reset' });
    expect(await run()).toEqual({ intake: 'paused' });
    expect(harness.sandbox.requests(), 'not within the worker timeout of the pause').toEqual([]);
    clock += 61_000;
    expect(await run()).toEqual({ intake: 'paused' });
    harness.sandbox.setFaults({ down: 'html502' });
    clock += 60_000;
    expect(await run()).toEqual({ intake: 'paused' });
    harness.sandbox.setFaults({ down: false });
    clock += 60_000;
    // wolkvox answers (the probe's record does not exist): that is enough.
    expect(await run()).toEqual({ intake: 'resumed' });
    expect(intake.state).toBeUndefined();
    expect(harness.sandbox.requests().map((r) => r.fault ?? 'answered')).toEqual([
      'reset',
      'html502',
      'answered',
    ]);
  });
});
