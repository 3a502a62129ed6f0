/**
 * Defaults and validation of `SandboxOptions`: a mistyped option fails `startSandbox` with a
 * message instead of producing a sandbox that behaves subtly differently.
 */
import { DEFAULT_SEED } from './faults.ts';
import { DEFAULT_CASE_MODULE, DEFAULT_OPERATION } from './seed.ts';
import type { CaseModule, RecordedRequest, SandboxOptions } from './types.ts';

export const DEFAULT_TOKEN = 'sandbox-token';
/** The example daily limit on the vendor's token-information page (§3.2). */
export const DEFAULT_DAILY_QUOTA = 4800;

export interface ResolvedOptions {
  port: number;
  host: string;
  operation: string;
  tokens: string[];
  latencyMs: number;
  dailyQuota: number;
  seed: number;
  now: () => Date;
  module: CaseModule;
  onRequest: ((request: RecordedRequest) => void) | undefined;
}

export function validateTokens(tokens: unknown): string[] {
  if (!Array.isArray(tokens) || !tokens.every((t) => typeof t === 'string' && t.trim() !== '')) {
    throw new TypeError('tokens must be an array of non-empty strings');
  }
  return [...tokens];
}

export function resolveOptions(options: SandboxOptions): ResolvedOptions {
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`port must be an integer from 0 to 65535, got ${port}`);
  }
  const operation = options.operation ?? DEFAULT_OPERATION;
  if (!/^\S+$/.test(operation)) throw new TypeError(`operation must be a non-empty word, got "${operation}"`);
  const tokens = validateTokens(options.tokens ?? [DEFAULT_TOKEN]);
  if (tokens.length === 0) throw new TypeError('tokens must name at least one token');
  const latencyMs = options.latencyMs ?? 0;
  if (!Number.isFinite(latencyMs) || latencyMs < 0)
    throw new RangeError(`latencyMs must be >= 0, got ${latencyMs}`);
  const dailyQuota = options.dailyQuota ?? DEFAULT_DAILY_QUOTA;
  if (!Number.isInteger(dailyQuota) || dailyQuota < 0) {
    throw new RangeError(`dailyQuota must be an integer >= 0, got ${dailyQuota}`);
  }
  const seed = options.seed ?? DEFAULT_SEED;
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  const module = options.module ?? DEFAULT_CASE_MODULE;
  for (const [name, type] of Object.entries(module.caseTypes)) {
    if (type.statuses.length === 0 || type.priorities.length === 0) {
      throw new TypeError(`case type "${name}" needs at least one status and one priority`);
    }
  }
  return {
    port,
    host: options.host ?? '127.0.0.1',
    operation,
    tokens,
    latencyMs,
    dailyQuota,
    seed,
    now: options.now ?? (() => new Date()),
    // A private copy: the caller's object (often the shared default) must not change under us.
    module: structuredClone(module),
    onRequest: options.onRequest,
  };
}
