// Runs built bundles as Lambda runs them in a deployment (DISPATCH=queue, secrets from Secrets
// Manager, the DynamoDB ledger, credentials and endpoints from the environment), against loopback
// fakes and the sandbox: `node test/support/run-bundles.ts <dir with payment-received/ and
// wolkvox-sync/>`. Prints one JSON report; test/bundle.test.ts runs it in a child process so the
// environment and the bundles' module state stay out of the test runner.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  SQSEvent,
  SQSRecord,
} from 'aws-lambda';
import { LOCAL_SECRETS } from '#lib/local/defaults.ts';
import { localContext } from '#lib/local/runtime.ts';
import { apiGatewayEvent, signSample } from '#lib/local/sign.ts';
import { SEED_OBLIGATION_IDS, SEED_RECORD_IDS, startSandbox } from '#lib/sandbox/index.ts';
import { startDynalite } from '#lib/local/dynalite.ts';
import { startFakeSecretsManager } from './fake-secrets-manager.ts';
import { startFakeLambda } from './fake-lambda.ts';
import { deployedEnv } from './deployed-env.ts';
import { startLocalSqs } from '#lib/local/sqs.ts';

type Ingress = (
  event: APIGatewayProxyEventV2,
  context: unknown,
) => Promise<APIGatewayProxyStructuredResultV2>;
type Worker = (event: SQSEvent, context: unknown) => Promise<{ batchItemFailures: unknown[] }>;

const dir = process.argv[2] ?? '.esbuild';
const sandbox = await startSandbox({ operation: 'demo', tokens: [LOCAL_SECRETS.WOLKVOX_TOKEN] });
const sqs = await startLocalSqs();
const secretsManager = await startFakeSecretsManager();
const dynamo = await startDynalite();
const QUEUE_ARN = 'arn:aws:sqs:us-east-1:000000000000:work.fifo';
const lambda = await startFakeLambda([
  {
    UUID: 'esm-1',
    FunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:wolkvoxSync',
    EventSourceArn: QUEUE_ARN,
    State: 'Enabled',
  },
]);
try {
  secretsManager.setSecret('wolkvox-webhooks/bundles', JSON.stringify(LOCAL_SECRETS));
  await dynamo.createTable('ledger');
  const work = sqs.createQueue('work.fifo');
  const parked = sqs.createQueue('parked.fifo');
  Object.assign(
    process.env,
    deployedEnv({
      name: 'bundles',
      wolkvoxServer: sandbox.url,
      queueUrl: work,
      parkedQueueUrl: parked,
      endpoints: { sqs: sqs.endpoint, secretsManager: secretsManager.endpoint },
    }),
    {
      LOG_LEVEL: process.env.BUNDLE_LOG_LEVEL ?? 'ERROR',
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint,
    },
  );
  const load = async (name: string) =>
    ((await import(pathToFileURL(join(dir, name, 'index.mjs')).href)) as { handler: unknown }).handler;
  const ingress = (await load('payment-received')) as Ingress;
  const worker = (await load('wolkvox-sync')) as Worker;
  const probe = (await load('wolkvox-sync')) as (event: object, context: unknown) => Promise<unknown>;

  const answers: unknown[] = [];
  for (const file of ['payment_intent.succeeded.json', 'payment_intent.succeeded.no-metadata.json']) {
    const body = await readFile(join(import.meta.dirname, '..', '..', 'events', 'stripe', file), 'utf8');
    const signed = signSample('stripe', body, LOCAL_SECRETS);
    const event = apiGatewayEvent({ provider: 'stripe', ...signed });
    const answer = await ingress(event, localContext('paymentReceived'));
    answers.push({ statusCode: answer.statusCode, body: JSON.parse(String(answer.body)) as unknown });
  }

  const received = await sqs.client.send(
    new ReceiveMessageCommand({
      QueueUrl: work,
      MaxNumberOfMessages: 10,
      MessageSystemAttributeNames: ['All'],
    }),
  );
  const records = (received.Messages ?? []).map(
    (m) =>
      ({
        messageId: m.MessageId ?? '',
        receiptHandle: m.ReceiptHandle ?? '',
        body: m.Body ?? '',
        attributes: m.Attributes ?? {},
        messageAttributes: {},
        md5OfBody: m.MD5OfBody ?? '',
        eventSource: 'aws:sqs',
        eventSourceARN: QUEUE_ARN,
        awsRegion: 'us-east-1',
      }) as SQSRecord,
  );
  sandbox.failNext('error500');
  const failed = await worker({ Records: records }, localContext('wolkvoxSync'));
  const applied = await worker({ Records: records }, localContext('wolkvoxSync'));
  const replayed = await worker({ Records: records }, localContext('wolkvoxSync'));

  // wolkvox goes down: five failures in a row pause the intake; the schedule's probe resumes it
  // once wolkvox answers (a context with no time left: no wait for the paused invocations to end).
  const tick = { version: '0', source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} };
  const noWait = { ...localContext('wolkvoxSync'), getRemainingTimeInMillis: () => 0 };
  const probes = [await probe(tick, noWait)];
  sandbox.setFaults({ down: 'reset' });
  const fresh = records.map((r) => ({ ...r, body: r.body.replaceAll('pi_', 'pi_outage_') }));
  for (let i = 0; i < 5; i++) await worker({ Records: fresh }, localContext('wolkvoxSync'));
  const mappingWhileDown = lambda.mappings[0]?.State;
  probes.push(await probe(tick, noWait));
  sandbox.setFaults({ down: false });
  probes.push(await probe(tick, noWait));

  const obligation = sandbox
    .state()
    .records.find((r) => r.wolkvox_id === SEED_RECORD_IDS.carlosRamirez)
    ?.obligations.find((o) => o.id === SEED_OBLIGATION_IDS.carlosLibreInversion);

  console.log(
    JSON.stringify({
      answers,
      received: records.length,
      failures: [failed, applied, replayed].map((r) => r.batchItemFailures.length),
      obligation: { total_balance: obligation?.total_balance, last_pay: obligation?.last_pay },
      sqsActions: sqs.actions,
      parked: sqs.messages(parked).length,
      secretFetches: secretsManager.calls.count,
      wolkvox: sandbox.requests().map((r) => r.endpoint),
      intake: {
        probes,
        mappingWhileDown,
        lambdaCalls: lambda.calls,
        mappingAfter: lambda.mappings[0]?.State,
      },
    }),
  );
} finally {
  await Promise.all([sandbox.close(), sqs.close(), secretsManager.close(), dynamo.close(), lambda.close()]);
}
