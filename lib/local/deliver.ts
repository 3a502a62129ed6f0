import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { localEnvironment } from './defaults.ts';
import { catalogFamily } from './samples.ts';
import { signSample } from './sign.ts';

const ROOT = join(import.meta.dirname, '..', '..');

export interface Delivered {
  /** Where it was POSTed (the query carries what the provider signs there). */
  url: string;
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * A sample (`events/<provider>/<case>.json`, relative to the repository or absolute) signed now
 * with the local secrets and POSTed to `baseUrl` as the provider sends it: its headers, its content
 * type, its query. What `npm run trigger` and the browser console's send button do.
 */
export async function deliverSample(provider: string, file: string, baseUrl: string): Promise<Delivered> {
  const path = isAbsolute(file) ? file : join(ROOT, file);
  const signed = signSample(
    provider,
    await readFile(path, 'utf8'),
    await localEnvironment(),
    new Date(),
    await catalogFamily(path),
  );
  const query = new URLSearchParams(signed.query ?? {}).toString();
  const url = new URL(`/webhooks/${signed.family}/${provider}${query ? `?${query}` : ''}`, baseUrl).href;
  const response = await fetch(url, { method: 'POST', headers: signed.headers, body: signed.body });
  return {
    url,
    status: response.status,
    headers: Object.fromEntries(response.headers),
    body: await response.text(),
  };
}
