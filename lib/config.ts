import * as z from 'zod/mini';
import '#lib/zod-mini.ts';
import { type ProviderSettings, REGISTRY } from './providers/registry.ts';
import { blankIsUnset, DAY_SECONDS, flag, integer, jsonMap, preprocess, text } from './settings.ts';
import { type CaseRules, DEFAULT_PRIORITY_MAP } from './translate/case.ts';
import type { ObligationRules } from './translate/obligation.ts';
import { isTimeZone } from './time-zone.ts';
import { resolveWolkvoxServer } from './wolkvox/host.ts';
import { parseTokens } from './wolkvox/tokens.ts';
import { MAX_CONCURRENT_PER_TOKEN } from './wolkvox/vendor.ts';

/**
 * Every environment variable the functions read, validated once at cold start and every problem
 * listed at once: the service's own below, each provider's from its settings.ts (the registry). The
 * README's configuration table mirrors this file and the providers' guides their slices.
 */

/** `PROVIDERS`: the providers a stage serves, by slug (`stripe`) or family and slug (`payments/stripe`). */
const PROVIDER_NAMES = new Set(REGISTRY.flatMap((p) => [p.slug, `${p.family}/${p.slug}`]));
const providerList = preprocess(
  (value) =>
    typeof value === 'string' && value.trim() !== ''
      ? value
          .split(',')
          .map((name) => name.trim().toLowerCase())
          .filter(Boolean)
      : undefined,
  z.optional(
    z.array(
      z.string().check(
        z.refine((name) => PROVIDER_NAMES.has(name), {
          error: `is not a provider (known: ${[...new Set(REGISTRY.map((p) => p.slug))].join(', ')})`,
        }),
      ),
    ),
  ),
);

const base = {
  /** CRM host, e.g. crm0001.wolkvox.com; http://127.0.0.1:PORT only for a local sandbox. */
  WOLKVOX_SERVER: preprocess(blankIsUnset, z.string({ error: 'is required (e.g. crm0001.wolkvox.com)' })),
  /** The CRM operation (tenant) name sent in every request body. */
  WOLKVOX_OPERATION: preprocess(
    blankIsUnset,
    z
      .string({ error: 'is required (your wolkvox operation name)' })
      .check(z.regex(/^[\w.-]+$/, 'must be an operation name (letters, digits, _ . -)')),
  ),
  /** Secrets Manager secret (name or ARN) holding WOLKVOX_TOKEN and the provider secrets. */
  SECRET_ID: text(),
  SECRETS_TTL_SECONDS: integer(300, 1, 86_400),
  DISPATCH: preprocess(blankIsUnset, z.optional(z.enum(['queue', 'direct']))),
  WOLKVOX_TIMEOUT_MS: integer(10_000, 100, 60_000),
  // wolkvox rejects a third in-flight request per token; several containers must share the two.
  WOLKVOX_MAX_IN_FLIGHT: integer(MAX_CONCURRENT_PER_TOKEN, 1, MAX_CONCURRENT_PER_TOKEN),
  /**
   * Payments to one obligation side by side in a batch: one read and one write (lib/worker/apply-run.ts).
   * On by default: under injected faults (test/fault-injection.test.ts) its recoveries park no more
   * than one by one's, with fewer than half the wolkvox requests. `false` applies every payment alone.
   */
  MERGE_OBLIGATION_PAYMENTS: flag(true),
  /** How often the worker reads the token's remaining quota (each reading costs one call); 0: never. */
  QUOTA_CHECK_SECONDS: integer(600, 0, 86_400),
  WOLKVOX_OBLIGATION_UPDATE_METHOD: preprocess(blankIsUnset, z._default(z.enum(['POST', 'PUT']), 'POST')),
  LOG_LEVEL: preprocess(
    (value) => (typeof value === 'string' ? value.toUpperCase() : value),
    z._default(z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']), 'INFO'),
  ),
  AWS_LAMBDA_FUNCTION_NAME: text(),
  /** SQS FIFO queue the ingress functions send commands to (DISPATCH=queue). */
  QUEUE_URL: text(),
  /**
   * Every shard's work queue, comma-separated, in shard order (one per wolkvox token): ingress
   * sends each record's commands to its shard's queue. Unset: QUEUE_URL alone (one token).
   */
  QUEUE_URLS: preprocess(
    (value) =>
      typeof value === 'string' && value.trim() !== ''
        ? value.split(',').map((url) => url.trim())
        : undefined,
    z.optional(z.array(z.string().check(z.minLength(1, 'has an empty queue URL')))),
  ),
  /** Which token of WOLKVOX_TOKEN this worker uses, 0-based: its queue's shard (serverless.yml). */
  TOKEN_SHARD: integer(0, 0, 63),
  /** SQS FIFO queue where parked and dead-lettered events wait for an operator (the DLQ). */
  PARKED_QUEUE_URL: text(),
  /** DynamoDB table of applied events and per-record ordering (DISPATCH=queue; local runs keep it in memory). */
  LEDGER_TABLE: text(),
  /**
   * How long the ledger remembers an applied event: longer than SQS keeps a message (14 days) and
   * than every provider's replay window, so a replayed event is always recognised.
   */
  LEDGER_RETENTION_DAYS: integer(400, 15, 3650),
  WOLKVOX_TIMEZONE: preprocess(
    blankIsUnset,
    z._default(
      z.string().check(z.refine(isTimeZone, 'must be an IANA time zone such as America/Bogota')),
      'America/Bogota',
    ),
  ),
  WOLKVOX_DATE_FORMAT: preprocess(
    blankIsUnset,
    z._default(z.enum(['DD-MM-YYYY', 'MM-DD-YYYY', 'YYYY-MM-DD']), 'DD-MM-YYYY'),
  ),
  WOLKVOX_CURRENCY: preprocess(
    blankIsUnset,
    z._default(z.string().check(z.regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as COP')), 'COP'),
  ),
  OBLIGATION_REDUCE_BALANCE: flag(true),
  OBLIGATION_CLEAR_DELAY_WHEN_PAID: flag(true),
  /** A payment larger than the balance: `reduce` drives it to 0 (the surplus logged), `park` leaves it to an operator. */
  OBLIGATION_OVERPAYMENT: preprocess(blankIsUnset, z._default(z.enum(['reduce', 'park']), 'reduce')),
  CASE_RESOLVED_STATUS: preprocess(blankIsUnset, z._default(z.string().check(z.trim()), 'Resuelto')),
  CASE_RESOLVED_STATUS_BY_TYPE: jsonMap({}),
  CASE_TYPE: text(),
  CASE_TYPE_MAP: jsonMap({}),
  CASE_RESPONSIBLE_MAP: jsonMap({}),
  CASE_PRIORITY_MAP: jsonMap(DEFAULT_PRIORITY_MAP),
  CASE_FORM_MAP: jsonMap({}),
  /** The providers this stage serves; unset: every provider whose required secret keys are present. */
  PROVIDERS: providerList,
  ATTACHMENT_MAX_FILE_BYTES: integer(10 * 1024 * 1024, 1, 50 * 1024 * 1024),
  ATTACHMENT_MAX_CASE_BYTES: integer(20 * 1024 * 1024, 1, 200 * 1024 * 1024),
  ATTACHMENT_TIMEOUT_MS: integer(15_000, 100, 120_000),
};

/** The service's variables and every provider's, in one object: one parse, every problem listed. */
const shape = Object.assign({}, base, ...REGISTRY.map((p) => p.env)) as typeof base;
const schema = z.object(shape);

/** Every variable this file reads: what serverless.yml turns into per-stage params (scripts/osls-settings.cjs). */
export const SETTING_NAMES: readonly string[] = Object.keys(shape);

/**
 * Variables the deployment itself sets, never an operator: Lambda's own, the stack's resources, and
 * the worker's share of wolkvox's per-token limit (serverless.yml, wolkvoxSync).
 */
export const SET_BY_DEPLOYMENT: ReadonlySet<string> = new Set([
  'AWS_LAMBDA_FUNCTION_NAME',
  'QUEUE_URL',
  'QUEUE_URLS',
  'TOKEN_SHARD',
  'PARKED_QUEUE_URL',
  'LEDGER_TABLE',
  'WOLKVOX_MAX_IN_FLIGHT',
]);

/** Secret keys, which local runs read from the environment: known names, not typos. */
const SECRET_NAMES = [
  'WOLKVOX_TOKEN',
  ...REGISTRY.flatMap((p) => [...p.secrets.required, ...(p.secrets.optional ?? [])]),
];
const KNOWN_NAMES: readonly string[] = [...new Set([...SETTING_NAMES, ...SECRET_NAMES])];

/**
 * The project's prefixes (WOLKVOX_, CASE_, JIRA_, …): a variable starting with one that is no known
 * name is a typo whose setting silently keeps its default. Lambda's and the runtime's own (AWS_,
 * POWERTOOLS_, NODE_) are not ours.
 */
const PREFIXES = new Set(
  KNOWN_NAMES.filter((name) => name.includes('_') && !name.startsWith('AWS_')).map(
    (name) => `${name.slice(0, name.indexOf('_'))}_`,
  ),
);

/**
 * Edit distance with adjacent transpositions (optimal string alignment): a typo is usually one
 * dropped, doubled or swapped letter. Hand-written: 15 lines do not justify a runtime dependency.
 */
export function editDistance(a: string, b: string): number {
  const width = b.length + 1;
  const d = new Array<number>((a.length + 1) * width).fill(0);
  const at = (i: number, j: number) => d[i * width + j] ?? 0;
  for (let i = 0; i <= a.length; i += 1) d[i * width] = i;
  for (let j = 0; j <= b.length; j += 1) d[j] = j;
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      const swapped = i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1];
      if (swapped) best = Math.min(best, at(i - 2, j - 2) + 1);
      d[i * width + j] = best;
    }
  }
  return at(a.length, b.length);
}

/** The known name closest to `name` (case-insensitive), for a "did you mean" hint. */
export function closestName(name: string, known: readonly string[]): string | undefined {
  let closest: string | undefined;
  let distance = Infinity;
  for (const candidate of known) {
    const d = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (d < distance) [closest, distance] = [candidate, d];
  }
  return closest;
}

/** Variables with one of the project's prefixes that nothing reads, each with the closest known name. */
function unknownVariables(env: Record<string, string | undefined>): string[] {
  const known = new Set(KNOWN_NAMES);
  return Object.keys(env)
    .filter((key) => !known.has(key) && [...PREFIXES].some((prefix) => key.startsWith(prefix)))
    .map((key) => `${key}: is not a setting (did you mean ${closestName(key, KNOWN_NAMES)}?)`);
}

const lowerKeys = (map: ReadonlyMap<string, string>): ReadonlyMap<string, string> =>
  new Map([...map].map(([key, value]) => [key.toLowerCase(), value]));

/**
 * Every signed provider's replay window must end before the ledger forgets the events it applied:
 * otherwise a captured request replayed after that would be applied again (DESIGN.md, trust model).
 */
function replayProblems(retentionDays: number, providers: ProviderSettings): string[] {
  const retention = retentionDays * DAY_SECONDS;
  return REGISTRY.flatMap((entry) => {
    if (!entry.replayWindow) return [];
    const settings = (providers[entry.family] as Record<string, unknown>)[entry.slug];
    const window = (entry.replayWindow as (s: unknown) => { setting: string; seconds: number })(settings);
    return window.seconds < retention
      ? []
      : [
          `${window.setting}: ${window.seconds} s reaches LEDGER_RETENTION_DAYS (${retentionDays} days): a replay window must be shorter than the ledger's memory`,
        ];
  });
}

/** Each provider's settings, read from the parsed environment by its own settings.ts. */
function readProviders(values: Record<string, unknown>): ProviderSettings {
  const providers = { payments: {}, tickets: {} } as Record<string, Record<string, unknown>>;
  for (const entry of REGISTRY) {
    (providers[entry.family] ??= {})[entry.slug] = (entry.read as (env: unknown) => unknown)(values);
  }
  return providers as unknown as ProviderSettings;
}

export interface Config {
  wolkvox: {
    baseUrl: string;
    operation: string;
    timeoutMs: number;
    obligationUpdateMethod: 'POST' | 'PUT';
    /** wolkvox requests this container may have in flight at once (all containers: ≤ 2). */
    maxInFlight: number;
    /** TOKEN_SHARD: which token of WOLKVOX_TOKEN this worker uses (0-based). */
    tokenShard: number;
    /** How often the token's quota is read, by one of its containers (QUOTA_CHECK_SECONDS); 0: never. */
    quotaCheckMs: number;
    /** MERGE_OBLIGATION_PAYMENTS: one read and one write for a batch's payments to one obligation. */
    mergePayments: boolean;
  };
  secrets: { secretId: string | undefined; ttlMs: number };
  dispatch: 'queue' | 'direct';
  queue: {
    url: string | undefined;
    /** Every shard's work queue in shard order (QUEUE_URLS, else [QUEUE_URL]); empty in direct mode. */
    urls: readonly string[];
    parkedUrl: string | undefined;
    ledgerTable: string | undefined;
    /** How long applied events are remembered (LEDGER_RETENTION_DAYS). */
    ledgerRetentionMs: number;
  };
  obligations: ObligationRules;
  cases: CaseRules;
  /** Each provider's settings, by family and slug (lib/providers/<family>/<slug>/settings.ts). */
  providers: ProviderSettings;
  /** PROVIDERS: the providers this stage serves (slugs, or family/slug); undefined: by secret keys. */
  enabledProviders: readonly string[] | undefined;
  attachments: { maxFileBytes: number; maxCaseBytes: number; timeoutMs: number };
  logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  inLambda: boolean;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  declare readonly problems: string[];

  constructor(problems: string[]) {
    super(
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  - ${problems.join('\n  - ')}`,
    );
    // Not enumerable, and no stack: printed uncaught (osls invoke local, a Lambda's init) the list
    // shows once, without a trace into this file; the problems are the developer's to fix, not a bug.
    Object.defineProperty(this, 'problems', { value: problems, enumerable: false });
    this.stack = `${this.name}: ${this.message}`;
  }
}

/** Validates `env` and reports every problem at once. Values are never echoed for secret names. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = schema.safeParse(env);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  const value = parsed.success ? parsed.data : undefined;
  problems.push(...unknownVariables(env));

  const serverValue = blankIsUnset(env.WOLKVOX_SERVER);
  const server = typeof serverValue === 'string' ? resolveWolkvoxServer(serverValue) : undefined;
  if (server && !server.ok) problems.push(`WOLKVOX_SERVER: ${server.problem}`);

  // `osls invoke local` imitates Lambda's environment (AWS_LAMBDA_FUNCTION_NAME) but also sets
  // IS_LOCAL=true: that run is local (secrets from the environment unless SECRET_ID is set).
  const isLocal = env.IS_LOCAL?.trim().toLowerCase() === 'true';
  const inLambda = Boolean(blankIsUnset(env.AWS_LAMBDA_FUNCTION_NAME)) && !isLocal;
  if (inLambda && !blankIsUnset(env.SECRET_ID)) {
    problems.push(
      'SECRET_ID: is required inside AWS Lambda (the Secrets Manager secret holding WOLKVOX_TOKEN)',
    );
  }
  const dispatch = value?.DISPATCH ?? (inLambda ? 'queue' : 'direct');
  if (value && dispatch === 'queue') {
    if (!value.QUEUE_URL) problems.push('QUEUE_URL: is required when DISPATCH=queue');
    if (!value.PARKED_QUEUE_URL) problems.push('PARKED_QUEUE_URL: is required when DISPATCH=queue');
    if (!value.LEDGER_TABLE) problems.push('LEDGER_TABLE: is required when DISPATCH=queue');
  }
  if (value?.QUEUE_URLS && value.TOKEN_SHARD >= value.QUEUE_URLS.length) {
    problems.push(
      `TOKEN_SHARD: ${value.TOKEN_SHARD} has no queue in QUEUE_URLS (${value.QUEUE_URLS.length} shards, numbered from 0)`,
    );
  }
  // Local runs read the secret from the environment: its token list is checked with the rest.
  const tokens = blankIsUnset(env.WOLKVOX_TOKEN);
  if (typeof tokens === 'string') {
    const parsed = parseTokens(tokens);
    if (!parsed.ok) problems.push(...parsed.problems.map((problem) => `WOLKVOX_TOKEN: ${problem}`));
  }
  const providers = value ? readProviders(value) : undefined;
  if (value && providers) problems.push(...replayProblems(value.LEDGER_RETENTION_DAYS, providers));
  if (problems.length > 0 || !value || !providers || !server?.ok) throw new ConfigError(problems);

  return {
    wolkvox: {
      baseUrl: server.baseUrl,
      operation: value.WOLKVOX_OPERATION,
      timeoutMs: value.WOLKVOX_TIMEOUT_MS,
      obligationUpdateMethod: value.WOLKVOX_OBLIGATION_UPDATE_METHOD,
      maxInFlight: value.WOLKVOX_MAX_IN_FLIGHT,
      tokenShard: value.TOKEN_SHARD,
      quotaCheckMs: value.QUOTA_CHECK_SECONDS * 1000,
      mergePayments: value.MERGE_OBLIGATION_PAYMENTS,
    },
    secrets: { secretId: value.SECRET_ID, ttlMs: value.SECRETS_TTL_SECONDS * 1000 },
    // Deployments queue (the 2-per-token limit needs one drain); local runs apply directly.
    dispatch,
    queue: {
      url: value.QUEUE_URL,
      urls: value.QUEUE_URLS ?? (value.QUEUE_URL ? [value.QUEUE_URL] : []),
      parkedUrl: value.PARKED_QUEUE_URL,
      ledgerTable: value.LEDGER_TABLE,
      ledgerRetentionMs: value.LEDGER_RETENTION_DAYS * DAY_SECONDS * 1000,
    },
    obligations: {
      timeZone: value.WOLKVOX_TIMEZONE,
      dateFormat: value.WOLKVOX_DATE_FORMAT,
      currency: value.WOLKVOX_CURRENCY,
      reduceBalance: value.OBLIGATION_REDUCE_BALANCE,
      clearDelayWhenPaidOff: value.OBLIGATION_CLEAR_DELAY_WHEN_PAID,
      overpayment: value.OBLIGATION_OVERPAYMENT,
    },
    cases: {
      resolvedStatus: value.CASE_RESOLVED_STATUS,
      resolvedStatusByType: value.CASE_RESOLVED_STATUS_BY_TYPE,
      caseType: value.CASE_TYPE,
      // Helpdesk labels are matched case-insensitively.
      caseTypeMap: lowerKeys(value.CASE_TYPE_MAP),
      responsibleMap: value.CASE_RESPONSIBLE_MAP,
      priorityMap: lowerKeys(value.CASE_PRIORITY_MAP),
      formMap: value.CASE_FORM_MAP,
    },
    providers,
    enabledProviders: value.PROVIDERS,
    attachments: {
      maxFileBytes: value.ATTACHMENT_MAX_FILE_BYTES,
      maxCaseBytes: value.ATTACHMENT_MAX_CASE_BYTES,
      timeoutMs: value.ATTACHMENT_TIMEOUT_MS,
    },
    logLevel: value.LOG_LEVEL,
    inLambda,
  };
}
