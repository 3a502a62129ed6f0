// Runs a built ingress bundle as deployed (no NODE_OPTIONS) and makes it fail in an unexpected way:
// `node test/support/bundle-stack.ts <dir with payment-received/>`. The bundle logs the failure to
// stderr; stdout gets one line with the answer. test/bundle.test.ts runs it in a child process, so
// the stack-trace formatter the bundle installs stays out of the test runner.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { localContext } from '#lib/local/runtime.ts';

type Ingress = (event: APIGatewayProxyEventV2, context: unknown) => Promise<{ statusCode?: number }>;

const dir = process.argv[2] ?? '.esbuild';
Object.assign(process.env, {
  WOLKVOX_SERVER: 'http://127.0.0.1:9',
  WOLKVOX_OPERATION: 'demo',
  LOG_LEVEL: 'ERROR',
});
const { handler } = (await import(pathToFileURL(join(dir, 'payment-received', 'index.mjs')).href)) as {
  handler: Ingress;
};
// A body that is not a string: Buffer.from() throws a TypeError inside the request reader.
const event = {
  rawPath: '/webhooks/payments/stripe',
  pathParameters: { provider: 'stripe' },
  headers: {},
  isBase64Encoded: false,
  body: 42,
} as unknown as APIGatewayProxyEventV2;
const answer = await handler(event, localContext('paymentReceived'));
console.log(JSON.stringify({ answer: answer.statusCode }));
