import { readdir, readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

/**
 * Loopback fakes of the providers' own APIs, for local runs and tests: what a provider confirms
 * with the provider (DESIGN.md, trust model) is asked here instead of the real host. One server;
 * each provider under its own path prefix, which is its API base URL setting:
 *   WOMPI_API_URL = http://127.0.0.1:PORT/wompi   → GET /wompi/v1/transactions/{id}
 * Local and test use only: no function imports this.
 */

export interface WompiTransaction {
  id: string;
  status: string;
  amount_in_cents: number;
  currency: string;
  reference: string;
  finalized_at?: string | null;
  created_at?: string | null;
  [field: string]: unknown;
}

export interface ProviderApis {
  url: string;
  /** The settings that point the providers here. */
  env: { WOMPI_API_URL: string };
  wompi: {
    /** Adds or replaces a transaction (as Wompi's GET /v1/transactions/{id} would return it). */
    put(transaction: WompiTransaction): void;
    /** Makes the next `count` lookups answer `status` (500, 401, …) or hang (`'hang'`). */
    fail(status: number | 'hang', count?: number): void;
    /** Paths asked, in order. */
    requests: string[];
  };
  close(): Promise<void>;
}

export interface ProviderApisOptions {
  /** Bearer key Wompi's fake requires (WOMPI_PRIVATE_KEY); undefined accepts any or none. */
  wompiPrivateKey?: string;
  wompiTransactions?: Iterable<WompiTransaction>;
}

const SAMPLES = join(import.meta.dirname, '..', '..', 'events');

/**
 * The transactions the Wompi samples in events/wompi/ carry: what Wompi would know of them. Samples
 * may show one transaction at two moments (PENDING, then APPROVED); Wompi's API answers with its
 * current, final state.
 */
export async function sampleWompiTransactions(): Promise<WompiTransaction[]> {
  const dir = join(SAMPLES, 'wompi');
  const transactions = new Map<string, WompiTransaction>();
  for (const file of (await readdir(dir)).filter((name) => name.endsWith('.json')).sort()) {
    const event = JSON.parse(await readFile(join(dir, file), 'utf8')) as {
      data?: { transaction?: WompiTransaction };
    };
    const tx = event.data?.transaction;
    if (!tx) continue;
    const known = transactions.get(tx.id);
    if (!known || known.status === 'PENDING') transactions.set(tx.id, tx);
  }
  return [...transactions.values()];
}

export async function startProviderApis(options: ProviderApisOptions = {}): Promise<ProviderApis> {
  const wompiTransactions = new Map<string, WompiTransaction>();
  for (const tx of options.wompiTransactions ?? []) wompiTransactions.set(tx.id, tx);
  const requests: string[] = [];
  const failures: (number | 'hang')[] = [];

  const reply = (res: ServerResponse, status: number, body: unknown) =>
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

  function wompi(req: IncomingMessage, res: ServerResponse, path: string) {
    requests.push(path);
    const failure = failures.shift();
    if (failure === 'hang') return; // never answers: the caller's deadline must end it
    if (failure !== undefined) return reply(res, failure, { error: { type: 'INJECTED' } });
    const match = /^\/v1\/transactions\/([^/]+)$/.exec(path);
    if (req.method !== 'GET' || !match?.[1]) return reply(res, 404, { error: { type: 'NOT_FOUND_ERROR' } });
    const key = options.wompiPrivateKey;
    // As reported of Wompi: a lookup without the private key is answered 404, a wrong key 401.
    if (key !== undefined) {
      const given = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (given === undefined) return reply(res, 404, { error: { type: 'NOT_FOUND_ERROR' } });
      if (given !== key) return reply(res, 401, { error: { type: 'INVALID_ACCESS_TOKEN' } });
    }
    const tx = wompiTransactions.get(decodeURIComponent(match[1]));
    if (!tx)
      return reply(res, 404, {
        error: { type: 'NOT_FOUND_ERROR', reason: 'La entidad solicitada no existe' },
      });
    return reply(res, 200, { data: tx, meta: {} });
  }

  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (path.startsWith('/wompi/')) return wompi(req, res, path.slice('/wompi'.length));
    reply(res, 404, { error: 'no such fake provider API' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    env: { WOMPI_API_URL: `${url}/wompi` },
    wompi: {
      put: (tx) => void wompiTransactions.set(tx.id, tx),
      fail: (status, count = 1) => {
        for (let i = 0; i < count; i++) failures.push(status);
      },
      requests,
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
