import { ServiceError } from '#lib/errors.ts';
import type { Agent } from '#lib/undici.ts';

/**
 * Calls to a provider's own API, for the values its signature does not cover (DESIGN.md, trust
 * model): Wompi's transaction, Mercado Pago's payment. One keep-alive agent per container, a
 * deadline from the caller (the Lambda's remaining time), bounded answers. Anything but a clear
 * answer is a ProviderApiError: ingress answers 503 and the provider delivers again later.
 */

const LOOPBACK = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/** A provider API base URL setting → its normalized form, or the problem (config lists it). */
export function apiBaseUrl(value: string): { ok: true; url: string } | { ok: false; problem: string } {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return { ok: false, problem: 'must be an https URL such as https://production.wompi.co' };
  }
  if (url.username || url.password || url.search || url.hash) {
    return { ok: false, problem: 'must not carry credentials, a query or a fragment' };
  }
  if (url.protocol === 'http:' && !LOOPBACK.test(url.hostname)) {
    return { ok: false, problem: 'plain http is only allowed on loopback (a local fake); use https' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, problem: 'must be https' };
  let end = url.pathname.length;
  while (end > 0 && url.pathname[end - 1] === '/') end--;
  return { ok: true, url: `${url.origin}${url.pathname.slice(0, end)}` };
}

/**
 * The provider's API could not answer clearly (ids and statuses in the message). `auth`: our
 * credentials were refused or are missing (an operator must fix them); `transient`: try later.
 */
export class ProviderApiError extends ServiceError {
  override readonly name = 'ProviderApiError';

  constructor(kind: 'auth' | 'transient', message: string, options?: ErrorOptions) {
    super('provider_api', kind, message, options);
  }
}

export interface ApiAnswer {
  status: number;
  /** The parsed JSON body of a 2xx answer; undefined otherwise. */
  body: unknown;
}

const CALL_TIMEOUT_MS = 5_000;
const MAX_ANSWER_BYTES = 1024 * 1024;

let agent: Agent | undefined;

/**
 * GET `url` for JSON (or POST `form`, x-www-form-urlencoded: an OAuth token). 2xx → its body; 404 → `{ status: 404 }` (the caller decides what an unknown
 * id means); 401/403 → ProviderApiError('auth'); timeouts, network errors, 429, 5xx, other 4xx
 * and unparseable answers → ProviderApiError('transient').
 */
export async function getJson(
  url: string,
  options: {
    provider: string;
    headers?: Record<string, string>;
    signal: AbortSignal;
    form?: Record<string, string>;
  },
): Promise<ApiAnswer> {
  const where = `${options.provider} API ${new URL(url).pathname.split('/').slice(0, 3).join('/')}`;
  // Loaded on the first confirmation: providers that never call their API pay nothing at cold start.
  const { Agent: AgentClass, request } = await import('#lib/undici.ts');
  agent ??= new AgentClass({ keepAliveTimeout: 30_000, keepAliveMaxTimeout: 300_000 });
  const signal = AbortSignal.any([options.signal, AbortSignal.timeout(CALL_TIMEOUT_MS)]);
  let status: number;
  let text: string;
  try {
    const form = options.form && new URLSearchParams(options.form).toString();
    const response = await request(url, {
      method: form === undefined ? 'GET' : 'POST',
      headers: {
        accept: 'application/json',
        ...(form === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }),
        ...options.headers,
      },
      body: form,
      signal,
      dispatcher: agent,
    });
    status = response.statusCode;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_ANSWER_BYTES) {
        response.body.destroy();
        throw new ProviderApiError('transient', `${where}: answer over ${MAX_ANSWER_BYTES} bytes`);
      }
      chunks.push(chunk);
    }
    text = Buffer.concat(chunks).toString('utf8');
  } catch (cause) {
    if (cause instanceof ProviderApiError) throw cause;
    const why = signal.aborted ? 'no answer before the deadline' : 'network error';
    throw new ProviderApiError('transient', `${where}: ${why}`, { cause });
  }
  if (status === 404) return { status, body: undefined };
  if (status === 401 || status === 403) {
    throw new ProviderApiError('auth', `${where}: HTTP ${status} (are the API credentials right?)`);
  }
  if (status < 200 || status > 299) throw new ProviderApiError('transient', `${where}: HTTP ${status}`);
  try {
    return { status, body: JSON.parse(text) as unknown };
  } catch {
    throw new ProviderApiError('transient', `${where}: HTTP ${status} with a body that is not JSON`);
  }
}
