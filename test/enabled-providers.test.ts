import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '#lib/config.ts';
import { LOCAL_SECRETS } from '#lib/local/defaults.ts';
import { localContext } from '#lib/local/runtime.ts';
import { apiGatewayEvent, signSample } from '#lib/local/sign.ts';
import { enabledProviders } from '#lib/providers/loader.ts';
import { providersOf } from '#lib/providers/registry.ts';
import { createEnvStore } from '#lib/secrets/index.ts';
import { createRuntime, paymentReceivedHandler } from '#lib/wiring.ts';
import { useSandboxAndSqs } from './support/harness.ts';
import { capturingLogger } from './support/logs.ts';

const harness = useSandboxAndSqs();

/** The payments function with only `secrets` in its secret, and PROVIDERS as given. */
function payments(secrets: Record<string, string>, env: Record<string, string> = {}) {
  const logs = capturingLogger();
  const config = loadConfig({
    ...harness.providerApis.env,
    WOLKVOX_SERVER: harness.sandbox.url,
    WOLKVOX_OPERATION: 'demo',
    DISPATCH: 'direct',
    ...env,
  });
  const runtime = createRuntime(config, {
    secrets: createEnvStore({
      env: { WOLKVOX_TOKEN: LOCAL_SECRETS.WOLKVOX_TOKEN, ...secrets },
      cwd: '/nonexistent',
    }),
    logger: logs.logger,
  });
  return { handler: paymentReceivedHandler(runtime), logs };
}

async function stripeDelivery() {
  const signed = signSample(
    'stripe',
    await readFile('events/stripe/payment_intent.succeeded.json', 'utf8'),
    LOCAL_SECRETS,
  );
  return apiGatewayEvent({ provider: 'stripe', ...signed });
}
async function wompiDelivery() {
  const signed = signSample(
    'wompi',
    await readFile('events/wompi/transaction.updated.declined.json', 'utf8'),
    LOCAL_SECRETS,
  );
  return apiGatewayEvent({ provider: 'wompi', ...signed });
}

describe('enabled providers', () => {
  it('serves a provider whose required secret keys are present, and answers 404 for one whose keys are not', async () => {
    const { handler, logs } = payments({ STRIPE_WEBHOOK_SECRET: LOCAL_SECRETS.STRIPE_WEBHOOK_SECRET });
    expect((await handler(await stripeDelivery(), localContext('p'))).statusCode).toBe(200);
    const wompi = await handler(await wompiDelivery(), localContext('p'));
    expect([wompi.statusCode, JSON.parse(wompi.body ?? '{}')]).toEqual([
      404,
      { error: 'unknown provider "wompi"; known: stripe' },
    ]);
    // The first request of a container says which providers it serves, once.
    const enabled = logs.lines.filter((line) => line.message === 'providers enabled');
    // Each line also carries the request's correlation id.
    expect(enabled).toMatchObject([
      {
        level: 'info',
        message: 'providers enabled',
        attributes: { family: 'payments', enabled: ['stripe'], by: 'secret keys present' },
      },
    ]);
  });

  it('with PROVIDERS, serves only those listed; a listed one without its key is a 503 and an ERROR naming the key', async () => {
    const { handler, logs } = payments(
      { STRIPE_WEBHOOK_SECRET: LOCAL_SECRETS.STRIPE_WEBHOOK_SECRET },
      { PROVIDERS: 'payments/wompi' },
    );
    expect((await handler(await stripeDelivery(), localContext('p'))).statusCode).toBe(404);
    const wompi = await handler(await wompiDelivery(), localContext('p'));
    expect([wompi.statusCode, JSON.parse(wompi.body ?? '{}')]).toEqual([
      503,
      { error: 'temporarily unavailable', code: 'secrets' },
    ]);
    expect(logs.lines.filter((line) => line.level === 'error').map((line) => line.attributes)).toContainEqual(
      {
        family: 'payments',
        provider: 'wompi',
        missing: ['WOMPI_EVENTS_SECRET'],
      },
    );
    expect(harness.sandbox.requests()).toEqual([]);
  });

  it('counts a blank key as missing, and an optional key as not needed', () => {
    const entries = providersOf('payments');
    const { enabled } = enabledProviders(
      entries,
      { STRIPE_WEBHOOK_SECRET: ' ', WOMPI_EVENTS_SECRET: 'x' },
      undefined,
    );
    expect(enabled.map((entry) => entry.slug)).toEqual(['wompi']);
  });
});
