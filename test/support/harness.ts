import { afterAll, afterEach, beforeAll } from 'vitest';
import { LOCAL_SECRETS } from '#lib/local/defaults.ts';
import { type Sandbox, startSandbox } from '#lib/sandbox/index.ts';
import { createEnvSource } from '#lib/secrets/index.ts';
import { type FakeSqs, startFakeSqs } from './fake-sqs.ts';

export interface Harness {
  sandbox: Sandbox;
  sqs: FakeSqs;
}

/** A wolkvox sandbox and a fake SQS for the whole file, reset after each test and closed at the end. */
export function useSandboxAndSqs(): Harness {
  const harness = {} as Harness;
  beforeAll(async () => {
    harness.sandbox = await startSandbox({ tokens: [LOCAL_SECRETS.WOLKVOX_TOKEN] });
    harness.sqs = await startFakeSqs();
  });
  afterAll(async () => {
    await harness.sandbox.close();
    await harness.sqs.close();
  });
  afterEach(() => {
    harness.sandbox.reset();
    harness.sqs.sent.length = 0;
  });
  return harness;
}

/** The local secrets, without reading any .env file. */
export const localSecretsSource = () => createEnvSource({ env: { ...LOCAL_SECRETS }, cwd: '/nonexistent' });
