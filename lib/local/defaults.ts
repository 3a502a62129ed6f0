import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { REGISTRY, type RegistryEntry } from '#lib/providers/registry.ts';

/**
 * Built-in secrets for local runs only (`npm run sign`, `osls invoke local`, the demo, `npm start`).
 * Lambda never reads these: inside Lambda secrets come from Secrets Manager (SECRET_ID is required
 * there). They exist so a fresh clone can sign sample events and verify them with no setup, instead
 * of weakening verification for local runs.
 */

/** The operation (tenant) the sample events and the sandbox seed use. */
export const LOCAL_OPERATION = 'demo';

type Intersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
type LocalSecretsOf<E extends RegistryEntry> = Intersection<E['local']['secrets']>;

/** The wolkvox token of the sandbox, and every provider's demo secret (its settings.ts). */
export const LOCAL_SECRETS: Readonly<{ WOLKVOX_TOKEN: string } & LocalSecretsOf<RegistryEntry>> =
  Object.assign(
    /** The sandbox's default token (lib/sandbox/options.ts). */
    { WOLKVOX_TOKEN: 'sandbox-token' },
    ...REGISTRY.map((entry) => entry.local.secrets),
  );

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

/**
 * Settings the samples need (each provider's, from its settings.ts: helpdesk hosts, Jira fields;
 * and the agents and form fields the sample tickets map), for local runs only; the environment and
 * .env override them. Deployments set their own (README, Configuration).
 */
export const LOCAL_SETTINGS: Readonly<Record<string, string>> = Object.assign(
  {},
  ...REGISTRY.map((entry) => ('settings' in entry.local ? entry.local.settings : {})),
  {
    CASE_RESPONSIBLE_MAP: JSON.stringify({
      'laura.gomez@acme-cobranzas.com': 'agent_001@demo',
      'camila.ortiz@acme-cobranzas.com': 'agent_001@demo',
      'andres.rojas@acme-cobranzas.com': 'agent_002@demo',
      'diana.castro@acme-cobranzas.com': 'agent_002@demo',
      '5b10ac8d82e05b22cc7d4ef5': 'agent_002@demo',
      '712020:3f1c9a7e-5d2b-4c8e-9a61-0b7d4e2f8c15': 'agent_002@demo',
    }),
    CASE_FORM_MAP: JSON.stringify({ ticket_id: 'Ticket del helpdesk', ticket_url: 'Enlace del ticket' }),
  },
);
