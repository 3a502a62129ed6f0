// Runs a built ingress bundle with X-Ray tracing on, as Lambda runs it: `node
// test/support/run-traced-bundle.ts <dir with payment-received/>`. Two invocations, each under its
// own trace header, against loopback Secrets Manager and SQS fakes and a loopback X-Ray daemon.
// Prints one JSON report: the answers, the subsegments the daemon received, and how many async
// hooks were created in the process (the bundle's X-Ray context needs none: lib/xray-context.ts).
// test/bundle.test.ts runs it in a child process, so the tracer's state stays out of the test runner.
import asyncHooks from 'node:async_hooks';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { LOCAL_SECRETS } from '#lib/local/defaults.ts';
import { localContext } from '#lib/local/runtime.ts';
import { apiGatewayEvent, signSample } from '#lib/local/sign.ts';
import { startLocalSqs } from '#lib/local/sqs.ts';
import { startFakeSecretsManager } from './fake-secrets-manager.ts';
import { deployedEnv } from './deployed-env.ts';

type Ingress = (
  event: APIGatewayProxyEventV2,
  context: unknown,
) => Promise<APIGatewayProxyStructuredResultV2>;
interface Sent {
  name: string;
  id: string;
  trace_id: string;
  parent_id?: string;
  type?: string;
}

// Counted from here on: the bundle reaches node:async_hooks through require(), this same object.
let hooksCreated = 0;
const createHook = asyncHooks.createHook;
asyncHooks.createHook = (callbacks) => {
  hooksCreated++;
  return createHook(callbacks);
};

const dir = process.argv[2] ?? '.esbuild';
const daemon = createSocket('udp4');
const sent: Sent[] = [];
daemon.on('message', (datagram) => {
  const [, body] = datagram.toString('utf8').split('\n');
  if (body) sent.push(JSON.parse(body) as Sent);
});
daemon.bind(0, '127.0.0.1');
await once(daemon, 'listening');
const sqs = await startLocalSqs();
const secretsManager = await startFakeSecretsManager();
try {
  secretsManager.setSecret('wolkvox-webhooks/traced', JSON.stringify(LOCAL_SECRETS));
  const traceHeader = (n: number) =>
    `Root=1-67a0c1d2-00000000000000000000000${n};Parent=000000000000000${n};Sampled=1`;
  Object.assign(
    process.env,
    deployedEnv({
      name: 'traced',
      // Ingress never calls wolkvox (nor the ledger, named for the configuration).
      wolkvoxServer: 'http://127.0.0.1:9',
      queueUrl: sqs.createQueue('work.fifo'),
      parkedQueueUrl: sqs.createQueue('parked.fifo'),
      endpoints: { sqs: sqs.endpoint, secretsManager: secretsManager.endpoint },
    }),
    {
      POWERTOOLS_METRICS_DISABLED: 'true',
      // Tracing as a stage with `tracing: 'true'` deploys it, in Lambda's environment.
      POWERTOOLS_TRACE_ENABLED: 'true',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
      LAMBDA_TASK_ROOT: tmpdir(),
      _HANDLER: 'functions/payment-received.handler',
      _X_AMZN_TRACE_ID: traceHeader(1),
      AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${(daemon.address() as AddressInfo).port}`,
    },
  );
  const { handler } = (await import(pathToFileURL(join(dir, 'payment-received', 'index.mjs')).href)) as {
    handler: Ingress;
  };
  const body = await readFile(
    join(import.meta.dirname, '..', '..', 'events', 'stripe', 'payment_intent.succeeded.json'),
    'utf8',
  );
  const answers: unknown[] = [];
  for (const n of [1, 2]) {
    // Lambda sets each invocation's trace header in the environment before calling the handler.
    process.env._X_AMZN_TRACE_ID = traceHeader(n);
    const signed = signSample('stripe', body.replaceAll('pi_', `pi_traced${n}_`), LOCAL_SECRETS);
    const answer = await handler(
      apiGatewayEvent({ provider: 'stripe', ...signed }),
      localContext('paymentReceived'),
    );
    answers.push(answer.statusCode);
  }
  // Subsegments go out over UDP as they close: give the last ones a moment to arrive.
  for (let waited = 0; waited < 2000 && sent.length < 5; waited += 20) await sleep(20);
  await sleep(50);
  console.log(
    JSON.stringify({
      answers,
      hooksCreated,
      subsegments: sent.map(({ name, id, trace_id, parent_id }) => ({ name, id, trace_id, parent_id })),
    }),
  );
} finally {
  daemon.close();
  await Promise.all([sqs.close(), secretsManager.close()]);
}
// Keep-alive sockets of the bundle's clients would hold the process open.
process.exit(0);
