// Runs a built ingress bundle as deployed (no NODE_OPTIONS): `node test/support/run-ingress-bundle.ts
// <dir with payment-received/>`. Prints one JSON line to stdout: the answer to an event that makes
// it fail in an unexpected way (it logs that failure to stderr). test/bundle.test.ts runs it in a child process, so the module state and the
// stack-trace formatter the bundle installs stay out of the test runner.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

type Ingress = (event: APIGatewayProxyEventV2, context: unknown) => Promise<{ statusCode?: number }>;

const dir = process.argv[2] ?? '.esbuild';
Object.assign(process.env, {
  WOLKVOX_SERVER: 'http://127.0.0.1:9',
  WOLKVOX_OPERATION: 'demo',
  LOG_LEVEL: 'ERROR',
  // Enables Stripe (a provider is served when its secret keys are present).
  STRIPE_WEBHOOK_SECRET: 'whsec_bundle_test',
});
const { handler } = (await import(pathToFileURL(join(dir, 'payment-received', 'index.mjs')).href)) as {
  handler: Ingress;
};
const { localContext } = await import('#lib/local/runtime.ts');
// Headers whose reading throws (an event shape checks cannot foresee): a TypeError inside the
// request reader, with a message that must not reach the log.
const event = {
  rawPath: '/webhooks/payments/stripe',
  pathParameters: { provider: 'stripe' },
  headers: {
    get 'stripe-signature'(): string {
      throw new TypeError('The first argument quotes the input');
    },
  },
  isBase64Encoded: false,
  body: '{}',
} as unknown as APIGatewayProxyEventV2;
const answer = await handler(event, localContext('paymentReceived'));
console.log(JSON.stringify({ answer: answer.statusCode }));
