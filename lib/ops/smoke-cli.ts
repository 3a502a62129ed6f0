/**
 * npm run smoke: one signed sample POSTed to a deployed stage's URL, with the stage's real provider
 * secrets from the environment or `.env`, and its answer explained. By default the sample is one the
 * catalog says is `ignored` (a declined payment, a ticket not resolved), so a smoke test of
 * production changes nothing in wolkvox; `--apply` sends one that the catalog says is applied.
 * Local and operator use only: nothing here runs inside Lambda.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs, parseEnv } from 'node:util';
import { LOCAL_PROVIDERS, localProvider } from '../local/providers.ts';
import { type CatalogEntry, readCatalog } from '../local/samples.ts';
import { signSample } from '../local/sign.ts';
import type { Family } from '../providers/types.ts';

export const SMOKE_USAGE = `Usage: npm run smoke -- --url <API URL> [--family payments|tickets] [--apply] <provider> [sample.json]

  --url       the stage's HTTP API URL (the deploy's HttpApiUrl output, or your custom domain)
  provider    ${[...new Set(LOCAL_PROVIDERS.map(({ entry }) => entry.slug))].join(' | ')}
  sample      a sample of events/<provider>/; default: one the catalog says is ignored, so
              nothing changes in wolkvox
  --apply     send a sample the catalog says is applied instead: it changes a real record
              (its obligation or case must exist in your wolkvox operation)
  --family    needed for a slug both families serve (standard)

Signs with the provider's secrets from the environment, then .env (the values in the stage's
Secrets Manager secret, never the built-in local ones). Exit code 0: answered 2xx; 1: any other
answer or no answer; 2: usage, a missing secret, or no such sample.`;

export interface SmokeDeps {
  env: NodeJS.ProcessEnv;
  /** Where `.env` is looked for. */
  cwd: string;
  fetch: typeof fetch;
  out: (line: string) => void;
  err: (line: string) => void;
  now?: () => Date;
}

/** `.env`, then the environment; blank values are unset. No built-in local secrets: production's are needed. */
async function operatorSecrets(env: NodeJS.ProcessEnv, cwd: string): Promise<Record<string, string>> {
  let dotEnv: NodeJS.Dict<string> = {};
  try {
    dotEnv = parseEnv(await readFile(resolve(cwd, '.env'), 'utf8'));
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ENOENT') throw error;
  }
  const secrets: Record<string, string> = {};
  for (const [key, value] of Object.entries({ ...dotEnv, ...env }))
    if (typeof value === 'string' && value.trim() !== '') secrets[key] = value;
  return secrets;
}

/** The sample to send: the one named, else the catalog's first of the provider with the wanted outcome. */
async function chooseSample(
  family: Family,
  provider: string,
  file: string | undefined,
  apply: boolean,
): Promise<CatalogEntry | { file: string; expect?: undefined; note?: undefined }> {
  const catalog = (await readCatalog()).filter((e) => e.family === family && e.provider === provider);
  if (file !== undefined)
    return catalog.find((e) => resolve(e.file) === resolve(file)) ?? { file: resolve(file) };
  const wanted = apply ? 'applied' : 'ignored';
  const found = catalog.find((e) => e.expect === wanted);
  if (!found) throw new Error(`events/catalog.json has no ${wanted} sample of ${family}/${provider}`);
  return found;
}

/** What an answer means for the deployment, in the operator's terms. */
function verdict(status: number, provider: string): string {
  if (status >= 200 && status < 300) return 'OK: the route answers and the signature verified.';
  if (status === 401)
    return `the signature was refused: the secret used here differs from ${provider}'s in the stage's secret (a rotation half done?), or the sample was signed for another URL.`;
  if (status === 404)
    return `${provider} is not served on this stage: its required secret keys are missing from the stage's secret (see the log line "providers enabled"), or the URL is wrong.`;
  if (status === 503)
    return "temporarily unavailable: the answer's code says what (queue, secrets, provider_api); the log line of this request says why (README, Troubleshooting).";
  if (status === 429) return 'throttled by API Gateway (httpApiRateLimit / httpApiBurstLimit).';
  return 'unexpected: read the log lines of this request (npx osls logs -f paymentReceived or ticketResolved).';
}

export async function smokeMain(argv: readonly string[], deps: SmokeDeps): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        url: { type: 'string' },
        family: { type: 'string' },
        apply: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    deps.err(`${error instanceof Error ? error.message : String(error)}\n\n${SMOKE_USAGE}`);
    return 2;
  }
  if (parsed.values.help) {
    deps.out(SMOKE_USAGE);
    return 0;
  }
  const { url, family: familyArg, apply } = parsed.values;
  const [provider, file, ...extra] = parsed.positionals;
  const usage = (message: string) => {
    deps.err(`${message}\n\n${SMOKE_USAGE}`);
    return 2;
  };
  if (url === undefined || provider === undefined) return usage('--url and a provider are required.');
  if (extra.length > 0) return usage(`Unexpected arguments: ${extra.join(' ')}`);
  if (familyArg !== undefined && familyArg !== 'payments' && familyArg !== 'tickets')
    return usage(`--family must be payments or tickets, got "${familyArg}".`);
  let base: URL;
  try {
    base = new URL(url);
  } catch {
    return usage(`--url is not a URL: "${url}".`);
  }

  let entry, sample, body;
  try {
    ({ entry } = localProvider(provider, familyArg));
    sample = await chooseSample(entry.family, provider, file, apply);
    body = await readFile(sample.file, 'utf8');
  } catch (error) {
    deps.err(error instanceof Error ? error.message : String(error));
    return 2;
  }
  const secrets = await operatorSecrets(deps.env, deps.cwd);
  const missing = entry.secrets.required.filter((key) => secrets[key] === undefined);
  if (missing.length > 0) {
    deps.err(
      `Missing ${missing.join(', ')}: set the values of the stage's secret in the environment or .env (never the local ones).`,
    );
    return 2;
  }

  const signed = signSample(provider, body, secrets, deps.now?.() ?? new Date(), entry.family);
  const target = new URL(
    `webhooks/${entry.family}/${provider}`,
    base.href.endsWith('/') ? base : `${base.href}/`,
  );
  for (const [name, value] of Object.entries(signed.query ?? {})) target.searchParams.set(name, value);
  deps.out(`POST ${target.href}`);
  deps.out(
    `  sample ${sample.file}${sample.expect ? ` (the catalog expects: ${sample.expect})` : ''}${sample.note ? `\n  ${sample.note}` : ''}`,
  );
  let answer: Response;
  try {
    answer = await deps.fetch(target, {
      method: 'POST',
      headers: signed.headers,
      body: signed.body,
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    deps.err(`No answer from ${target.host}: ${cause}`);
    return 1;
  }
  const text = await answer.text();
  const outcome = answer.headers.get('x-webhook-outcome');
  deps.out(`→ ${answer.status} ${text.slice(0, 1024)}${outcome ? `\n  x-webhook-outcome: ${outcome}` : ''}`);
  const requestId = answer.headers.get('apigw-requestid');
  if (requestId) deps.out(`  API Gateway request id (the correlation id in the logs): ${requestId}`);
  deps.out(`  ${verdict(answer.status, provider)}`);
  return answer.ok ? 0 : 1;
}
