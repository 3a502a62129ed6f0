import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createEnvStore,
  createSecretsManagerStore,
  createSecretStore,
  MalformedSecretError,
  MissingSecretError,
  requireSecret,
  type Secrets,
  SecretsError,
} from '#lib/secrets/index.ts';
import {
  type FakeSecretsManager,
  fakeClient,
  immediateRetries,
  startFakeSecretsManager,
} from './support/fake-secrets-manager.ts';

const SECRET_ID = 'wolkvox-webhooks/test';
// Distinctive values: any of them showing up in an error's text is a leak.
const VALUES = {
  WOLKVOX_TOKEN: 'tok_LEAKCHECK_wolkvox_7f3a',
  STRIPE_WEBHOOK_SECRET: 'whsec_LEAKCHECK_stripe_91c2',
  ZENDESK_WEBHOOK_SECRET: 'zd_LEAKCHECK_zendesk_44e0',
};
const SECRET_STRING = JSON.stringify(VALUES);

let fake: FakeSecretsManager;
const clients: SecretsManagerClient[] = [];

function client(maxAttempts = 3, strategy = immediateRetries(maxAttempts)): SecretsManagerClient {
  const c = fakeClient(fake.endpoint, maxAttempts, strategy);
  clients.push(c);
  return c;
}

async function rejection(promise: Promise<unknown>): Promise<SecretsError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SecretsError);
  return error as SecretsError;
}

/** Every rendering of an error a logger or a response could produce, down the cause chain. */
function renderings(error: unknown): string[] {
  const out = [String(error), JSON.stringify(error), inspect(error, { depth: 10, showHidden: true })];
  for (let e: unknown = error; e instanceof Error; e = e.cause) out.push(e.message, e.stack ?? '');
  return out;
}

function expectNoValues(error: unknown, values: string[] = Object.values(VALUES)): void {
  for (const text of renderings(error)) {
    for (const value of values) expect(text).not.toContain(value);
  }
}

beforeEach(async () => {
  fake = await startFakeSecretsManager({ secrets: { [SECRET_ID]: SECRET_STRING } });
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  vi.unstubAllEnvs();
  await fake.close();
});

describe('createSecretsManagerStore against a loopback Secrets Manager', () => {
  it('sends a signed JSON 1.1 GetSecretValue for the secret id and returns the frozen key/values', async () => {
    const source = createSecretsManagerStore({ secretId: SECRET_ID, client: client() });

    const secrets = await source.get();

    expect(secrets).toEqual(VALUES);
    expect(Object.isFrozen(secrets)).toBe(true);
    expect(source.kind).toBe('secrets-manager');
    expect(fake.calls.requests).toEqual([
      {
        target: 'secretsmanager.GetSecretValue',
        contentType: 'application/x-amz-json-1.1',
        secretId: SECRET_ID,
        signed: true,
        attempt: 'attempt=1; max=3',
      },
    ]);
  });

  it('serves from cache within the TTL and fetches once after it expires', async () => {
    let clock = 1_000_000;
    const source = createSecretsManagerStore({
      secretId: SECRET_ID,
      client: client(),
      ttlMs: 60_000,
      now: () => clock,
    });

    const first = await source.get();
    clock += 59_999;
    expect(await source.get()).toBe(first);
    expect(fake.calls.count).toBe(1);

    fake.setSecret(SECRET_ID, JSON.stringify({ ...VALUES, WOLKVOX_TOKEN: 'rotated' }));
    clock += 1;
    expect((await source.get()).WOLKVOX_TOKEN).toBe('rotated');
    expect(await source.get()).toBe(await source.get());
    expect(fake.calls.count).toBe(2);
    expect(source.fetchCount).toBe(2);
  });

  it('shares one fetch between 20 concurrent first calls', async () => {
    fake.latencyMs = 25;
    const source = createSecretsManagerStore({ secretId: SECRET_ID, client: client() });

    const results = await Promise.all(Array.from({ length: 20 }, () => source.get()));

    expect(fake.calls.count).toBe(1);
    expect(source.fetchCount).toBe(1);
    for (const result of results) expect(result).toBe(results[0]);
  });

  it('shares one fetch between concurrent calls after the TTL expired', async () => {
    let clock = 0;
    const source = createSecretsManagerStore({
      secretId: SECRET_ID,
      client: client(),
      ttlMs: 1_000,
      now: () => clock,
    });
    await source.get();
    fake.latencyMs = 25;
    clock = 1_000;

    await Promise.all(Array.from({ length: 10 }, () => source.get()));

    expect(fake.calls.count).toBe(2);
    expect(source.fetchCount).toBe(2);
  });

  it('refresh() fetches anew within the TTL, and concurrent refreshes share one fetch', async () => {
    const source = createSecretsManagerStore({ secretId: SECRET_ID, client: client() });
    await source.get();
    fake.setSecret(SECRET_ID, JSON.stringify({ WOLKVOX_TOKEN: 'new-token' }));
    fake.latencyMs = 25;

    const refreshed = await Promise.all(Array.from({ length: 10 }, () => source.refresh()));

    expect(fake.calls.count).toBe(2);
    expect(refreshed[0]).toEqual({ WOLKVOX_TOKEN: 'new-token' });
    expect(await source.get()).toBe(refreshed[0]);
    expect(fake.calls.count).toBe(2);
  });

  it('does not cache a failed fetch: callers waiting on it share the failure, the next call retries', async () => {
    fake.failNext('InternalServiceError');
    const source = createSecretsManagerStore({ secretId: SECRET_ID, client: client(1) });

    const failures = await Promise.allSettled([source.get(), source.get(), source.get()]);
    expect(failures.map((f) => f.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(fake.calls.count).toBe(1);

    expect(await source.get()).toEqual(VALUES);
    expect(fake.calls.count).toBe(2);
    expect(source.fetchCount).toBe(2);
  });

  it('maps ResourceNotFoundException to a not-retryable error that the SDK did not retry', async () => {
    const strategy = immediateRetries(3);
    const source = createSecretsManagerStore({ secretId: 'no/such/secret', client: client(3, strategy) });

    const error = await rejection(source.get());

    expect(error).toMatchObject({
      reason: 'not-found',
      retryable: false,
      secretId: 'no/such/secret',
      awsErrorName: 'ResourceNotFoundException',
    });
    expect(error.message).toContain('no/such/secret');
    expect(error.message).toContain('ResourceNotFoundException');
    expect((error.cause as Error).name).toBe('ResourceNotFoundException');
    expect(strategy.seen).toEqual(['CLIENT_ERROR']);
    expect(fake.calls.count).toBe(1);
  });

  it.each([
    ['AccessDeniedException', 'access-denied'],
    ['DecryptionFailure', 'decryption-failure'],
    ['InvalidRequestException', 'rejected'],
  ])('maps %s to reason %s, not retryable', async (errorType, reason) => {
    fake.failNext(errorType);
    const source = createSecretsManagerStore({ secretId: SECRET_ID, client: client(1) });

    const error = await rejection(source.get());

    expect(error).toMatchObject({ reason, retryable: false, awsErrorName: errorType });
  });

  it('lets the SDK retry a 400 ThrottlingException, then reports a retryable error past maxAttempts', async () => {
    fake.failNext('ThrottlingException', 3);
    const strategy = immediateRetries(3);
    const source = createSecretsManagerStore({ secretId: SECRET_ID, client: client(3, strategy) });

    const error = await rejection(source.get());

    expect(error).toMatchObject({
      reason: 'throttled',
      retryable: true,
      awsErrorName: 'ThrottlingException',
    });
    expect(strategy.seen).toEqual(['THROTTLING', 'THROTTLING', 'THROTTLING']);
    expect(fake.calls.requests.map((r) => r.attempt)).toEqual([
      'attempt=1; max=3',
      'attempt=2; max=3',
      'attempt=3; max=3',
    ]);
    expect(source.fetchCount).toBe(1);
  });

  it('succeeds when the SDK retry after a throttle gets through', async () => {
    fake.failNext('ThrottlingException', 2);
    const source = createSecretsManagerStore({ secretId: SECRET_ID, client: client(3) });

    expect(await source.get()).toEqual(VALUES);
    expect(fake.calls.count).toBe(3);
    expect(source.fetchCount).toBe(1);
  });

  it('reports a 500 InternalServiceError past the retries as retryable "unavailable"', async () => {
    fake.failNext('InternalServiceError', 2);
    const strategy = immediateRetries(2);
    const source = createSecretsManagerStore({ secretId: SECRET_ID, client: client(2, strategy) });

    const error = await rejection(source.get());

    expect(error).toMatchObject({
      reason: 'unavailable',
      retryable: true,
      awsErrorName: 'InternalServiceError',
    });
    expect(strategy.seen).toEqual(['TRANSIENT', 'TRANSIENT']);
  });

  it('reports a reset connection and a refused one as retryable "unavailable"', async () => {
    fake.failNext('connection-reset');
    const reset = await rejection(
      createSecretsManagerStore({ secretId: SECRET_ID, client: client(1) }).get(),
    );
    expect(reset).toMatchObject({ reason: 'unavailable', retryable: true });

    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await new Promise((r) => closed.once('listening', r));
    const { port } = closed.address() as AddressInfo;
    await new Promise((r) => closed.close(r));
    const refusedClient = fakeClient(`http://127.0.0.1:${port}`, 1);
    clients.push(refusedClient);
    const refused = await rejection(
      createSecretsManagerStore({ secretId: SECRET_ID, client: refusedClient }).get(),
    );
    expect(refused).toMatchObject({ reason: 'unavailable', retryable: true, awsErrorName: 'ECONNREFUSED' });
  });

  it.each([
    ['not JSON', `WOLKVOX_TOKEN=${VALUES.WOLKVOX_TOKEN}`, 'not valid JSON', []],
    ['a JSON array', JSON.stringify([VALUES.WOLKVOX_TOKEN]), 'got an array', []],
    ['a JSON string', JSON.stringify(VALUES.WOLKVOX_TOKEN), 'got a string', []],
    [
      'non-string values',
      JSON.stringify({
        WOLKVOX_TOKEN: VALUES.WOLKVOX_TOKEN,
        STRIPE_WEBHOOK_SECRET: { nested: VALUES.STRIPE_WEBHOOK_SECRET },
        PORT: 3000,
      }),
      'values must be strings',
      ['STRIPE_WEBHOOK_SECRET', 'PORT'],
    ],
  ])('rejects a SecretString that is %s, naming only keys', async (_, secretString, problem, keys) => {
    fake.setSecret(SECRET_ID, secretString);
    const source = createSecretsManagerStore({ secretId: SECRET_ID, client: client() });

    const error = await rejection(source.get());

    expect(error).toBeInstanceOf(MalformedSecretError);
    expect(error).toMatchObject({ reason: 'malformed', retryable: false, keys });
    expect(error.message).toContain(SECRET_ID);
    expect(error.message).toContain(problem);
    for (const key of keys) expect(error.message).toContain(key);
    expectNoValues(error);
  });

  it('rejects a binary-only secret', async () => {
    fake.setSecret(SECRET_ID, new TextEncoder().encode(SECRET_STRING));
    const source = createSecretsManagerStore({ secretId: SECRET_ID, client: client() });

    const error = await rejection(source.get());

    expect(error).toMatchObject({ reason: 'malformed', retryable: false });
    expect(error.message).toContain('SecretString');
    expectNoValues(error);
  });

  it('never puts a secret value in an error, even when the SDK fails to parse a truncated response', async () => {
    const errors: unknown[] = [];
    for (const failure of ['truncated-response', 'ResourceNotFoundException', 'ThrottlingException']) {
      fake.failNext(failure);
      errors.push(
        await rejection(createSecretsManagerStore({ secretId: SECRET_ID, client: client(1) }).get()),
      );
    }

    expect(errors[0]).toMatchObject({ reason: 'unavailable', retryable: true, awsErrorName: 'SyntaxError' });
    expect((errors[0] as Error).cause).toBeUndefined();
    for (const error of errors) expectNoValues(error);
  });

  it('drops the cause of a parse failure that carries the response body', async () => {
    // Older SDK paths attach the raw body to the SyntaxError as a hidden `$responseBodyText`.
    const parseFailure = Object.defineProperty(new SyntaxError('Unexpected token'), '$responseBodyText', {
      value: SECRET_STRING,
    });
    const stub = { send: () => Promise.reject(parseFailure) } as unknown as SecretsManagerClient;

    const error = await rejection(createSecretsManagerStore({ secretId: SECRET_ID, client: stub }).get());

    expect(error).toMatchObject({ reason: 'unavailable', retryable: true });
    expectNoValues(error);
  });
});

describe('createEnvStore', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'secrets-env-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads .env and lets real environment variables win', async () => {
    await writeFile(
      join(dir, '.env'),
      '# local secrets\nWOLKVOX_TOKEN=from-file\nSTRIPE_WEBHOOK_SECRET="whsec from file"\n',
    );
    const source = createEnvStore({ env: { WOLKVOX_TOKEN: 'from-env' }, cwd: dir });

    const secrets = await source.get();

    expect(source.kind).toBe('environment');
    expect(secrets.WOLKVOX_TOKEN).toBe('from-env');
    expect(secrets.STRIPE_WEBHOOK_SECRET).toBe('whsec from file');
  });

  it('works without a .env file and picks up a later edit on refresh', async () => {
    const source = createEnvStore({ env: { WOMPI_EVENTS_SECRET: 'wompi' }, cwd: dir });
    expect(await source.get()).toEqual({ WOMPI_EVENTS_SECRET: 'wompi' });

    await writeFile(join(dir, '.env'), 'ZENDESK_WEBHOOK_SECRET=zd\n');
    expect(await source.refresh()).toEqual({ WOMPI_EVENTS_SECRET: 'wompi', ZENDESK_WEBHOOK_SECRET: 'zd' });
  });

  it('reports an unreadable .env without its content', async () => {
    const source = createEnvStore({ env: {}, cwd: dir, envFile: '.' });

    const error = await rejection(source.get());

    expect(error).toMatchObject({ reason: 'unreadable', retryable: false });
  });
});

describe('createSecretStore', () => {
  it('fails at init inside Lambda without SECRET_ID', () => {
    for (const secretId of [undefined, '', '  ']) {
      expect(() => createSecretStore({ secretId, inLambda: true })).toThrow(
        expect.objectContaining({
          reason: 'not-configured',
          message: expect.stringMatching(/^SECRET_ID is required inside AWS Lambda/),
        }),
      );
    }
  });

  it('uses the environment outside Lambda without SECRET_ID', async () => {
    const source = createSecretStore({
      inLambda: false,
      env: { WOLKVOX_TOKEN: 'local' },
      envFile: '.none',
    });
    expect(source.kind).toBe('environment');
    expect(requireSecret(await source.get(), 'WOLKVOX_TOKEN')).toBe('local');
  });

  it('uses Secrets Manager whenever SECRET_ID is set, fetching nothing until asked', async () => {
    for (const inLambda of [true, false]) {
      const source = createSecretStore({ secretId: SECRET_ID, inLambda, client: client() });
      expect(source.kind).toBe('secrets-manager');
    }
    expect(fake.calls.count).toBe(0);
  });

  it('creates its own SDK client lazily, honouring the standard AWS environment', async () => {
    vi.stubEnv('AWS_ENDPOINT_URL_SECRETS_MANAGER', fake.endpoint);
    vi.stubEnv('AWS_REGION', 'us-east-1');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
    vi.stubEnv('AWS_SESSION_TOKEN', '');
    vi.stubEnv('AWS_PROFILE', '');
    const source = createSecretStore({ secretId: SECRET_ID, inLambda: true });
    expect(fake.calls.count).toBe(0);

    expect(await source.get()).toEqual(VALUES);
    expect(fake.calls.secretIds).toEqual([SECRET_ID]);
  });
});

describe('requireSecret', () => {
  it('returns the value of a present key', async () => {
    const source = createSecretsManagerStore({ secretId: SECRET_ID, client: client() });
    expect(requireSecret(await source.get(), 'WOLKVOX_TOKEN')).toBe(VALUES.WOLKVOX_TOKEN);
  });

  it('names the key and the secret id it looked in, and no value', async () => {
    const secrets = await createSecretsManagerStore({ secretId: SECRET_ID, client: client() }).get();

    const error = (() => {
      try {
        requireSecret(secrets, 'WOMPI_EVENTS_SECRET');
      } catch (e) {
        return e;
      }
    })();

    expect(error).toBeInstanceOf(MissingSecretError);
    expect(error).toMatchObject({
      key: 'WOMPI_EVENTS_SECRET',
      location: `Secrets Manager secret "${SECRET_ID}"`,
    });
    expect((error as Error).message).toContain('WOMPI_EVENTS_SECRET');
    expect((error as Error).message).toContain(SECRET_ID);
    expectNoValues(error);
  });

  it('says environment/.env for the local source and treats an empty value as missing', async () => {
    const secrets: Secrets = await createEnvStore({ env: { WOLKVOX_TOKEN: '' }, envFile: '.none' }).get();

    expect(() => requireSecret(secrets, 'WOLKVOX_TOKEN')).toThrow(
      /WOLKVOX_TOKEN is empty in environment\/\.none/,
    );
    expect(() => requireSecret(secrets, 'toString')).toThrow(MissingSecretError);
  });
});
