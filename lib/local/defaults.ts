import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';

/**
 * Built-in secrets for local runs only (`npm run sign`, `osls invoke local`, the demo, `npm start`).
 * Lambda never reads these: inside Lambda secrets come from Secrets Manager (SECRET_ID is required
 * there). They exist so a fresh clone can sign sample events and verify them with no setup, instead
 * of weakening verification for local runs.
 */

/** The operation (tenant) the sample events and the sandbox seed use. */
export const LOCAL_OPERATION = 'demo';

export const LOCAL_SECRETS = {
  /** The sandbox's default token (lib/sandbox/options.ts). */
  WOLKVOX_TOKEN: 'sandbox-token',
  STRIPE_WEBHOOK_SECRET: 'whsec_local_demo_4f6b9c2d8e1a7350b2c4d6e8f0a1b3c5',
  WOMPI_EVENTS_SECRET: 'test_events_local_demo_Q7mZ2kP9xW4rT8vN3bL6cJ1h',
} as const satisfies Record<string, string>;

export type LocalSecretName = keyof typeof LOCAL_SECRETS;

/**
 * The local secrets with `env` values winning, so a developer using their own `stripe listen`
 * secret (or a real Wompi sandbox secret) signs with the same value the handler verifies with.
 * Blank values count as unset: an empty `STRIPE_WEBHOOK_SECRET=` line in `.env` is a template, not
 * a secret. Other environment variables are passed through untouched.
 */
export function localSecrets(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const merged: Record<string, string> = { ...LOCAL_SECRETS };
  for (const [key, value] of Object.entries(env)) {
    if (typeof value === 'string' && value.trim() !== '') merged[key] = value;
  }
  return merged;
}

/** The built-in values, then `.env` in `cwd`, then the environment: what local tools sign and verify with. */
export async function localEnvironment(
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): Promise<Record<string, string>> {
  let dotEnv: NodeJS.Dict<string> = {};
  try {
    dotEnv = parseEnv(await readFile(resolve(cwd, '.env'), 'utf8'));
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ENOENT') throw error;
  }
  return localSecrets({ ...dotEnv, ...env });
}
