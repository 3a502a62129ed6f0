/**
 * `npm run trigger`: a sample signed now and delivered to a running `npm start` over HTTP, the way
 * the provider would send it, with the answer and the wolkvox record before → after. Like
 * `stripe trigger`, for every provider. Local use only.
 */
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { OUTCOME_HEADER } from '#lib/http/ingress.ts';
import { firstSecret } from '#lib/providers/common.ts';
import { signedHeaders as hubspotHeaders } from '#lib/providers/tickets/hubspot/provider.ts';
import type { Family } from '#lib/providers/types.ts';
import { createWolkvoxClient, type WolkvoxClient } from '#lib/wolkvox/client.ts';
import { resolveWolkvoxServer } from '#lib/wolkvox/host.ts';
import { LOCAL_OPERATION, LOCAL_SETTINGS, localEnvironment } from './defaults.ts';
import { LOCAL_PROVIDERS, localProvider } from './providers.ts';
import { type CatalogEntry, readCatalog } from './samples.ts';
import { signSample } from './sign.ts';

/** Where `npm start` says which wolkvox it writes to (server and operation; never the token). */
export const WOLKVOX_INFO_PATH = '/local/wolkvox';

const ROOT = join(import.meta.dirname, '..', '..');

export interface TriggerOptions {
  provider: string | undefined;
  sample: string | undefined;
  /** The running server's origin, e.g. http://127.0.0.1:3000. */
  to: string;
  family?: Family;
  env?: NodeJS.ProcessEnv;
  print?: (line: string) => void;
  now?: Date;
}

/** A trigger that cannot go on: the message says what to do; `code` is the exit status. */
export class TriggerError extends Error {
  override readonly name = 'TriggerError';
  readonly code: number;
  constructor(message: string, code = 2) {
    super(message);
    this.code = code;
  }
}

const sampleName = (file: string) => basename(file, '.json');
const money = (value: string | undefined) => (!value ? '—' : Number(value).toLocaleString('es-CO'));

/** Every provider slug, once (standard serves both families). */
export function providerSlugs(): string[] {
  return [...new Set(LOCAL_PROVIDERS.map(({ entry }) => entry.slug))];
}

/** The provider's samples from events/catalog.json, in catalog order. */
export async function samplesOf(provider: string, family?: Family): Promise<CatalogEntry[]> {
  return (await readCatalog()).filter(
    (entry) => entry.provider === provider && (family === undefined || entry.family === family),
  );
}

/** The listing `npm run trigger -- <provider>` prints: each sample, its expected outcome and note. */
export function sampleListing(provider: string, entries: readonly CatalogEntry[]): string[] {
  const both = new Set(entries.map((entry) => entry.family)).size > 1;
  const names = entries.map((entry) => sampleName(entry.file));
  const width = Math.max(...names.map((name) => name.length));
  return [
    `${provider} samples (npm run trigger -- ${provider} <sample>${both ? ' [--family payments|tickets]' : ''}):`,
    ...entries.map(
      (entry, i) =>
        `  ${(names[i] ?? '').padEnd(width)}  ${entry.expect.padEnd(7)}  ${both ? `[${entry.family}] ` : ''}${entry.note}`,
    ),
  ];
}

/** A sample given by name (`payment_intent.succeeded`), file name or path: its catalog entry or file. */
async function findSample(
  provider: string,
  sample: string,
  family: Family | undefined,
): Promise<{ file: string; entry?: CatalogEntry }> {
  const entries = await samplesOf(provider, family);
  const wanted = sampleName(sample);
  const entry =
    entries.find((e) => e.file === sample || e.file.endsWith(`/${sample}`)) ??
    entries.find((e) => sampleName(e.file) === wanted);
  if (entry) return { file: join(ROOT, entry.file), entry };
  // A file of the developer's own (not in the catalog) is signed as it is.
  try {
    await readFile(sample);
    return { file: sample };
  } catch {
    throw new TriggerError(
      [`No sample "${sample}" for ${provider}.`, ...sampleListing(provider, entries)].join('\n'),
    );
  }
}

export interface Delivery {
  method: 'POST';
  url: string;
  headers: Record<string, string>;
  body: string;
  family: Family;
}

/**
 * The request the provider would send for `body`, signed at `now` with the local secrets `env`:
 * its content type and signature headers, its user agent, and the query it signs (Mercado Pago).
 */
export function delivery(
  provider: string,
  body: string,
  to: string,
  env: Readonly<Record<string, string>>,
  now: Date,
  family?: Family,
): Delivery {
  const { entry, code } = localProvider(provider, family);
  const path = `/webhooks/${entry.family}/${provider}`;
  let signed = signSample(provider, body, env, now, entry.family);
  if (provider === 'hubspot') {
    // v3 signs the URL: the one the server verifies against (HUBSPOT_WEBHOOK_URL, pinned for local
    // runs as npm start pins it), else the --to URL as the server reads it (https, as API Gateway).
    const called = new URL(path, to);
    called.protocol = 'https:';
    const url = env.HUBSPOT_WEBHOOK_URL || called.href;
    signed = {
      ...signed,
      headers: hubspotHeaders(body, firstSecret(env, 'HUBSPOT_CLIENT_SECRET'), now, url),
    };
  }
  const url = new URL(path, to);
  for (const [name, value] of Object.entries(signed.query ?? {})) url.searchParams.set(name, value);
  return {
    method: 'POST',
    url: url.href,
    headers: { 'user-agent': code.userAgent, ...signed.headers },
    body: signed.body,
    family: entry.family,
  };
}

/** The wolkvox `npm start` writes to, as it says at WOLKVOX_INFO_PATH; else WOLKVOX_SERVER from env. */
async function wolkvoxOf(
  to: string,
  env: Readonly<Record<string, string>>,
): Promise<WolkvoxClient | undefined> {
  let server = env.WOLKVOX_SERVER;
  let operation = env.WOLKVOX_OPERATION ?? LOCAL_OPERATION;
  try {
    const answer = await fetch(new URL(WOLKVOX_INFO_PATH, to));
    if (answer.ok) ({ server, operation } = (await answer.json()) as { server: string; operation: string });
  } catch {
    // Not npm start (or not running): the delivery itself reports that.
  }
  const resolved = server ? resolveWolkvoxServer(server) : undefined;
  if (!resolved?.ok) return undefined;
  const token = env.WOLKVOX_TOKEN ?? '';
  return createWolkvoxClient({ baseUrl: resolved.baseUrl, operation, token: { get: async () => token } });
}

type Fields = Record<string, string>;

/** The target's fields worth watching: an obligation's balance and last payment, or a case's status. */
async function snapshot(
  wolkvox: WolkvoxClient,
  target: NonNullable<CatalogEntry['target']>,
): Promise<Fields> {
  if ('obligation' in target) {
    const obligation = await wolkvox.queryObligation(target);
    if (!obligation) return { record: 'not found' };
    return {
      balance: money(obligation.total_balance),
      last_pay: `${money(obligation.last_pay)} ${obligation.last_pay_date}`.trim(),
    };
  }
  const [found] = await wolkvox.queryCases({ field: 'wolkvox-id', value: target.caseId });
  if (!found) return { record: 'not found' };
  const text = (value: unknown) => (typeof value === 'string' && value ? value : '—');
  const solution = text(found.solution);
  return {
    status: text(found.status),
    priority: text(found.priority),
    responsible: text(found.responsible),
    solution: JSON.stringify(solution.length > 40 ? `${solution.slice(0, 39)}…` : solution),
  };
}

/** The state of `target` in wolkvox, or why it could not be read (never fatal: the delivery is what matters). */
async function readTarget(
  wolkvox: WolkvoxClient | undefined,
  target: CatalogEntry['target'],
): Promise<Fields | undefined> {
  if (!wolkvox || !target) return undefined;
  try {
    return await snapshot(wolkvox, target);
  } catch (error) {
    return { record: `unreadable (${(error as Error).message})` };
  }
}

/** `balance 1.250.000 → 1.100.000, last_pay …`: each field, with an arrow where it changed. */
function change(before: Fields, after: Fields): string {
  const changed = Object.keys(after).some((key) => before[key] !== after[key]);
  const fields = Object.entries(after).map(([key, value]) =>
    before[key] === value ? `${key} ${value}` : `${key} ${before[key] ?? '—'} → ${value}`,
  );
  return `${changed ? '' : 'unchanged: '}${fields.join(', ')}`;
}

/** What to do about an answer that is not a success. */
function hint(status: number, provider: string): string | undefined {
  if (status === 401)
    return `The server rejected the signature: it verifies with its own secrets (.env and environment where npm start runs). Run npm run trigger from the same directory and environment, or set the same ${provider} secret in both.`;
  if (status === 404) return 'Nothing serves that route: is --to pointing at npm start?';
  return undefined;
}

/** Runs one trigger; returns the exit status. Throws TriggerError for usage problems. */
export async function trigger(options: TriggerOptions): Promise<number> {
  const print = options.print ?? ((line: string) => console.log(line));
  const { provider, sample, to, family } = options;
  const slugs = providerSlugs();
  if (!provider || !slugs.includes(provider))
    throw new TriggerError(
      `${provider ? `Unknown provider "${provider}". ` : ''}Providers: ${slugs.join(', ')}\nUsage: npm run trigger -- <provider> [sample] [--to http://127.0.0.1:3000] [--family payments|tickets]`,
    );
  if (!sample) {
    for (const line of sampleListing(provider, await samplesOf(provider, family))) print(line);
    return 0;
  }
  const { file, entry } = await findSample(provider, sample, family);
  const env = { ...LOCAL_SETTINGS, ...(await localEnvironment(options.env ?? process.env)) };
  const request = delivery(
    provider,
    await readFile(file, 'utf8'),
    to,
    env,
    options.now ?? new Date(),
    family ?? entry?.family,
  );
  const wolkvox = await wolkvoxOf(to, env);
  const before = await readTarget(wolkvox, entry?.target);

  print(`${request.method} ${request.url}  (${sampleName(file)}${entry ? `: expect ${entry.expect}` : ''})`);
  let answer: Response;
  try {
    answer = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    throw new TriggerError(
      `Nothing answers at ${to} (${cause}): start the server with npm start, or pass --to <its URL>.`,
      1,
    );
  }
  const body = await answer.text();
  print(`HTTP ${answer.status} ${body}`);
  const outcome = answer.headers.get(OUTCOME_HEADER);
  if (outcome) print(`${OUTCOME_HEADER}: ${outcome}`);
  const advice = hint(answer.status, provider);
  if (advice) print(advice);

  const after = await readTarget(wolkvox, entry?.target);
  if (entry?.target && before !== undefined && after !== undefined) {
    const name = 'obligation' in entry.target ? entry.target.obligation : `case ${entry.target.caseId}`;
    print(`wolkvox ${name}: ${change(before, after)}`);
  } else if (entry?.target) {
    print(
      `wolkvox: not read (npm start at ${to} did not say where its wolkvox is, and WOLKVOX_SERVER is unset)`,
    );
  }
  return answer.ok ? 0 : 1;
}
