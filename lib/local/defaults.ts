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
  /** The local fake of Wompi's API (lib/local/provider-apis.ts) requires it, as Wompi does. */
  WOMPI_PRIVATE_KEY: 'prv_test_local_demo_Z3kW9pQ2mX7vB4nR8tL5cJ6h',
  ZENDESK_WEBHOOK_SECRET: 'zd_local_demo_Vb3Nq8Lx2Rm7Tk5Wc9Py4Hd6',
  FRESHDESK_WEBHOOK_TOKEN: 'fd_local_demo_Gk7Ws2Qn9Xb4Lm6Tr1Vc8Zp3',
  JIRA_WEBHOOK_SECRET: 'jira_local_demo_Hm4Kx9Rb2Wq7Nc5Tv8Lp3Zd',
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

/**
 * Settings the sample tickets need (their helpdesk hosts, Jira fields and agents), for local runs
 * only; the environment and .env override them. Deployments set their own (README, Configuration).
 */
export const LOCAL_SETTINGS = {
  ZENDESK_SUBDOMAIN: 'acme',
  JIRA_SITE: 'acme.atlassian.net',
  JIRA_CASE_ID_FIELD: 'customfield_10050',
  JIRA_SOLUTION_FIELD: 'customfield_10060',
  CASE_RESPONSIBLE_MAP: JSON.stringify({
    'laura.gomez@acme-cobranzas.com': 'agent_001@demo',
    'camila.ortiz@acme-cobranzas.com': 'agent_001@demo',
    'andres.rojas@acme-cobranzas.com': 'agent_002@demo',
    'diana.castro@acme-cobranzas.com': 'agent_002@demo',
    '5b10ac8d82e05b22cc7d4ef5': 'agent_002@demo',
    '712020:3f1c9a7e-5d2b-4c8e-9a61-0b7d4e2f8c15': 'agent_002@demo',
  }),
  CASE_FORM_MAP: JSON.stringify({ ticket_id: 'Ticket del helpdesk', ticket_url: 'Enlace del ticket' }),
} as const satisfies Record<string, string>;
