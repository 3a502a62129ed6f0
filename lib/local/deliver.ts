import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { localEnvironment } from './defaults.ts';
import { catalogFamily } from './samples.ts';
import { delivery } from './trigger.ts';

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
 * type, its user agent, its query (trigger.ts `delivery`, which `npm run trigger` sends too): the
 * browser console's send button.
 */
export async function deliverSample(provider: string, file: string, baseUrl: string): Promise<Delivered> {
  const path = isAbsolute(file) ? file : join(ROOT, file);
  const request = delivery(
    provider,
    await readFile(path, 'utf8'),
    baseUrl,
    await localEnvironment(),
    new Date(),
    await catalogFamily(path),
  );
  const { url } = request;
  const response = await fetch(url, { method: request.method, headers: request.headers, body: request.body });
  return {
    url,
    status: response.status,
    headers: Object.fromEntries(response.headers),
    body: await response.text(),
  };
}
