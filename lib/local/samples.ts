import { readFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { localEnvironment } from './defaults.ts';
import type { Family } from '#lib/providers/types.ts';
import { apiGatewayEvent, signSample } from './sign.ts';

export interface CatalogEntry {
  file: string;
  family: Family;
  provider: string;
  /** `skipped`: the same payment seen again (a duplicate notification), acknowledged and not applied twice. */
  expect: 'applied' | 'ignored' | 'parked' | 'skipped';
  /** Payments name an obligation; tickets a case. */
  target?: { wolkvoxId: string; obligation: string } | { caseId: string };
  amount?: string;
  /** Tickets: how many files an applied sample attaches to its case. */
  files?: number;
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

/**
 * The family a sample belongs to, as the catalog lists it: needed for a slug both families serve
 * (standard). Undefined for a file the catalog does not list.
 */
export async function catalogFamily(file: string): Promise<Family | undefined> {
  const relativePath = relative(ROOT, resolve(file)).split(sep).join('/');
  return (await readCatalog()).find((entry) => entry.file === relativePath)?.family;
}

/**
 * A sample file → an API Gateway v2 event carrying a fresh, valid signature for the local secrets.
 * The provider is the sample's folder; `family` when a slug is served by both (the catalog says).
 */
export async function signedSample(
  file: string,
  now = new Date(),
  family?: Family,
): Promise<APIGatewayProxyEventV2> {
  const provider = providerOf(file);
  const body = await readFile(file, 'utf8');
  const signed = signSample(
    provider,
    body,
    await localEnvironment(),
    now,
    family ?? (await catalogFamily(file)),
  );
  return apiGatewayEvent({ provider, ...signed });
}
