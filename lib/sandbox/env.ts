/**
 * The CLI's environment: SANDBOX_PORT, SANDBOX_OPERATION, SANDBOX_TOKEN, SANDBOX_LATENCY_MS.
 * Every problem is listed at once so a misconfigured start needs one fix, not several.
 */
import { DEFAULT_TOKEN } from './options.ts';
import { DEFAULT_OPERATION } from './seed.ts';

export interface SandboxEnv {
  port: number;
  operation: string;
  token: string;
  latencyMs: number;
}

export const DEFAULT_CLI_PORT = 4010;

type Env = Record<string, string | undefined>;

function integer(
  env: Env,
  name: string,
  fallback: number,
  min: number,
  max: number,
  problems: string[],
): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    problems.push(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
    return fallback;
  }
  return Number(raw);
}

function word(env: Env, name: string, fallback: string, problems: string[]): string {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\S+$/.test(raw)) {
    problems.push(`${name} must be a single word without spaces, got "${raw}"`);
    return fallback;
  }
  return raw;
}

export function readSandboxEnv(
  env: Env,
): { ok: true; value: SandboxEnv } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const value = {
    // 0 asks the OS for a free port; the CLI prints the one it got.
    port: integer(env, 'SANDBOX_PORT', DEFAULT_CLI_PORT, 0, 65535, problems),
    operation: word(env, 'SANDBOX_OPERATION', DEFAULT_OPERATION, problems),
    token: word(env, 'SANDBOX_TOKEN', DEFAULT_TOKEN, problems),
    latencyMs: integer(env, 'SANDBOX_LATENCY_MS', 0, 0, 600_000, problems),
  };
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value };
}
