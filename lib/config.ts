import { z } from 'zod';
import { resolveWolkvoxServer } from './wolkvox/host.ts';

/**
 * Every environment variable the functions read, validated once at cold start. The README's
 * configuration table mirrors this file; keep them together.
 */
const blankIsUnset = (value: unknown) =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;
const text = () => z.preprocess(blankIsUnset, z.string().trim().optional());
const integer = (fallback: number, min: number, max: number) =>
  z.preprocess(blankIsUnset, z.coerce.number().int().min(min).max(max).default(fallback));

const schema = z.object({
  /** CRM host, e.g. crm0001.wolkvox.com; http://127.0.0.1:PORT only for a local sandbox. */
  WOLKVOX_SERVER: z.preprocess(blankIsUnset, z.string({ error: 'is required (e.g. crm0001.wolkvox.com)' })),
  /** The CRM operation (tenant) name sent in every request body. */
  WOLKVOX_OPERATION: z.preprocess(
    blankIsUnset,
    z
      .string({ error: 'is required (your wolkvox operation name)' })
      .regex(/^[\w.-]+$/, 'must be an operation name (letters, digits, _ . -)'),
  ),
  /** Secrets Manager secret (name or ARN) holding WOLKVOX_TOKEN and the provider secrets. */
  SECRET_ID: text(),
  SECRETS_TTL_SECONDS: integer(300, 1, 86_400),
  DISPATCH: z.preprocess(blankIsUnset, z.enum(['queue', 'direct']).optional()),
  WOLKVOX_TIMEOUT_MS: integer(10_000, 100, 60_000),
  WOLKVOX_OBLIGATION_UPDATE_METHOD: z.preprocess(blankIsUnset, z.enum(['POST', 'PUT']).default('POST')),
  LOG_LEVEL: z.preprocess(
    (value) => (typeof value === 'string' ? value.toUpperCase() : value),
    z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
  ),
  AWS_LAMBDA_FUNCTION_NAME: text(),
});

export interface Config {
  wolkvox: {
    baseUrl: string;
    operation: string;
    timeoutMs: number;
    obligationUpdateMethod: 'POST' | 'PUT';
  };
  secrets: { secretId: string | undefined; ttlMs: number };
  dispatch: 'queue' | 'direct';
  logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  inLambda: boolean;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: string[];

  constructor(problems: string[]) {
    super(
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  - ${problems.join('\n  - ')}`,
    );
    this.problems = problems;
  }
}

/** Validates `env` and reports every problem at once. Values are never echoed for secret names. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = schema.safeParse(env);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  const value = parsed.success ? parsed.data : undefined;

  const serverValue = blankIsUnset(env.WOLKVOX_SERVER);
  const server = typeof serverValue === 'string' ? resolveWolkvoxServer(serverValue) : undefined;
  if (server && !server.ok) problems.push(`WOLKVOX_SERVER: ${server.problem}`);

  const inLambda = Boolean(blankIsUnset(env.AWS_LAMBDA_FUNCTION_NAME));
  if (inLambda && !blankIsUnset(env.SECRET_ID)) {
    problems.push(
      'SECRET_ID: is required inside AWS Lambda (the Secrets Manager secret holding WOLKVOX_TOKEN)',
    );
  }
  if (problems.length > 0 || !value || !server?.ok) throw new ConfigError(problems);

  return {
    wolkvox: {
      baseUrl: server.baseUrl,
      operation: value.WOLKVOX_OPERATION,
      timeoutMs: value.WOLKVOX_TIMEOUT_MS,
      obligationUpdateMethod: value.WOLKVOX_OBLIGATION_UPDATE_METHOD,
    },
    secrets: { secretId: value.SECRET_ID, ttlMs: value.SECRETS_TTL_SECONDS * 1000 },
    // Deployments queue (the 2-per-token limit needs one drain); local runs apply directly.
    dispatch: value.DISPATCH ?? (inLambda ? 'queue' : 'direct'),
    logLevel: value.LOG_LEVEL,
    inLambda,
  };
}
