import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { localEnvironment } from './defaults.ts';
import { apiGatewayEvent, SAMPLE_PROVIDERS, type SampleProvider, signSample } from './sign.ts';

export interface CatalogEntry {
  file: string;
  family: 'payments' | 'tickets';
  provider: string;
  expect: 'applied' | 'ignored' | 'parked';
  /** Payments name an obligation; tickets a case. */
  target?: { wolkvoxId: string; obligation: string } | { caseId: string };
  amount?: string;
  note: string;
}

const ROOT = join(import.meta.dirname, '..', '..');

export async function readCatalog(): Promise<CatalogEntry[]> {
  return JSON.parse(await readFile(join(ROOT, 'events', 'catalog.json'), 'utf8')) as CatalogEntry[];
}

/** events/<provider>/<case>.json → its provider slug. */
export function providerOf(file: string): string {
  return basename(dirname(file));
}

/** A sample file → an API Gateway v2 event carrying a fresh, valid signature for the local secrets. */
export async function signedSample(file: string, now = new Date()): Promise<APIGatewayProxyEventV2> {
  const provider = providerOf(file);
  if (!(SAMPLE_PROVIDERS as readonly string[]).includes(provider)) {
    throw new Error(
      `no signer for provider "${provider}" (from ${file}); known: ${SAMPLE_PROVIDERS.join(', ')}`,
    );
  }
  const body = await readFile(file, 'utf8');
  const signed = signSample(provider as SampleProvider, body, await localEnvironment(), now);
  return apiGatewayEvent({ family: signed.family, provider, body: signed.body, headers: signed.headers });
}
