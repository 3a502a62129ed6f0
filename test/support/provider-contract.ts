/**
 * The contract every provider's test file runs (DESIGN.md, trust model): a fresh signature is
 * accepted; a wrong secret, a changed byte and a stale or future time are refused; rotation works;
 * every sample behaves as events/catalog.json says; and — the heart of it — every field of every
 * signed sample is changed in turn, without re-signing, to show the change is refused (401 or
 * 400), makes the event irrelevant (ignored), or changes nothing because the value the service
 * uses is signed or comes from the provider's API. A future edit that starts reading an unsigned
 * field makes a changed value produce a different event, and this suite fails naming the field.
 */
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createLogger } from '#lib/log.ts';
import { LOCAL_SECRETS } from '#lib/local/defaults.ts';
import { readCatalog } from '#lib/local/samples.ts';
import { signSample } from '#lib/local/sign.ts';
import { MalformedError, SignatureError } from '#lib/http/errors.ts';
import { findProvider } from '#lib/providers/registry.ts';
import type { Family, RawRequest, Provider, ProviderContext, Reading } from '#lib/providers/types.ts';
import { readFile } from 'node:fs/promises';

export interface ProviderContract<E> {
  /** Built per test, e.g. pointing at a loopback fake of the provider's API. */
  source: () => Provider<E>;
  /** Signs a sample body at `now` with `secrets`, as the provider would; default: the local signer. */
  sign?: (body: string, secrets: Readonly<Record<string, string>>, now: Date) => RawRequest;
  /** The clock the samples are signed and checked at. */
  now: Date;
  /** How far ahead of the clock a signed time may be; default 300 s. */
  futureSeconds?: number;
  /**
   * The keys that sign (rotated as `old,new` in the rotation test); default: every required key.
   * An API credential (Mercado Pago's access token) is required but signs nothing.
   */
  signingSecrets?: readonly string[];
  /**
   * Body fields that carry the signature itself, as dotted paths (`*` for every item): Wompi
   * `signature`, PayU `sign`, Adyen `notificationItems.*.NotificationRequestItem.additionalData.hmacSignature`;
   * default `signature`.
   */
  signatureFields?: readonly string[];
  /**
   * What its verify or read waits for, when it does (a certificate, the provider's API): only then
   * may it answer with a promise. Every other provider answers at once, since each promise costs
   * every webhook microseconds under X-Ray (lib/providers/types.ts).
   */
  waits?: { verify?: string; read?: string };
}

export type Outcome<E> = { rejected: 401 | 400 } | Reading<E>;

export function sourceContext(secrets: Readonly<Record<string, string>>, now: Date): ProviderContext {
  return {
    secrets,
    now: () => now,
    signal: AbortSignal.timeout(5_000),
    logger: createLogger('test', 'SILENT'),
  };
}

/**
 * A provider's verify or read as a promise, whatever it returns. One that needs no I/O answers at
 * once, without a promise (ingress's warm path: lib/providers/types.ts), and refuses by throwing,
 * which ingress answers as it answers a rejection; tests assert both with `.resolves`/`.rejects`.
 */
export function settled<T>(run: () => T | Promise<T>): Promise<T> {
  return new Promise<T>((resolve) => resolve(run()));
}

/** verify, then read: the answer ingress would give, as data. Other errors propagate. */
export async function outcome<E>(
  source: Provider<E>,
  request: RawRequest,
  context: ProviderContext,
): Promise<Outcome<E>> {
  try {
    const verified = await source.verify(request, context);
    return await verified.read(context);
  } catch (error) {
    if (error instanceof SignatureError) return { rejected: 401 };
    if (error instanceof MalformedError) return { rejected: 400 };
    throw error;
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every leaf of a JSON value, with its path (`data.transaction.id`, `items.0.field`). */
export function leaves(value: Json, path: string[] = [], out: [string[], Json][] = []): [string[], Json][] {
  if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) leaves(child, [...path, key], out);
  } else {
    out.push([path, value]);
  }
  return out;
}

function setAt(value: Json, path: string[], replacement: Json): Json {
  const copy = structuredClone(value);
  let node = copy as Record<string, Json>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, Json>;
  node[path.at(-1) ?? ''] = replacement;
  return copy;
}

function valueAt(value: Json, path: string[]): Json | undefined {
  let node: Json | undefined = value;
  for (const key of path) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, Json>)[key];
  }
  return node;
}

/** A different value of the same kind, plus what the other samples hold at that path. */
function replacements(original: Json, path: string[], others: Json[]): Json[] {
  const generic: Json =
    typeof original === 'string'
      ? original === ''
        ? 'x'
        : `${original}x`
      : typeof original === 'number'
        ? original + 1
        : typeof original === 'boolean'
          ? !original
          : 'x';
  const fromOthers = others
    .map((other) => valueAt(other, path))
    .filter((v): v is Json => v !== undefined && (v === null || typeof v !== 'object'));
  const all = [generic, ...fromOthers].filter((v) => !isDeepStrictEqual(v, original));
  return all.filter((v, i) => all.findIndex((w) => isDeepStrictEqual(v, w)) === i);
}

/** One tampered request per body leaf, header and query parameter: never re-signed. */
export function tamperings(
  request: RawRequest,
  others: readonly RawRequest[],
): { field: string; path?: string; request: RawRequest }[] {
  const out: { field: string; path?: string; request: RawRequest }[] = [];
  let body: Json | undefined;
  try {
    body = JSON.parse(request.body.toString('utf8')) as Json;
  } catch {
    body = undefined;
  }
  const form =
    body === undefined && isForm(request) ? new URLSearchParams(request.body.toString('utf8')) : undefined;
  if (form) {
    // A form body (PayU, ePayco): each field changed in turn, the rest byte for byte as sent.
    const otherForms = others.filter(isForm).map((o) => new URLSearchParams(o.body.toString('utf8')));
    for (const [name, original] of form) {
      const fromOthers = otherForms.map((o) => o.get(name)).filter((v): v is string => v !== null);
      for (const value of new Set([`${original}x`, ...fromOthers].filter((v) => v !== original))) {
        const changed = new URLSearchParams(form);
        changed.set(name, value);
        out.push({
          field: `${name} = ${JSON.stringify(value).slice(0, 40)}`,
          path: name,
          request: { ...request, body: Buffer.from(changed.toString()) },
        });
      }
    }
  }
  if (body !== undefined) {
    const otherBodies = others.flatMap((o) => {
      try {
        return [JSON.parse(o.body.toString('utf8')) as Json];
      } catch {
        return [];
      }
    });
    for (const [path, original] of leaves(body)) {
      for (const value of replacements(original, path, otherBodies)) {
        out.push({
          field: `${path.join('.')} = ${JSON.stringify(value).slice(0, 40)}`,
          path: path.join('.'),
          request: { ...request, body: Buffer.from(JSON.stringify(setAt(body, path, value))) },
        });
      }
    }
  }
  for (const [name, value] of Object.entries(request.headers)) {
    out.push({
      field: `header ${name} changed`,
      request: { ...request, headers: { ...request.headers, [name]: `${value}x` } },
    });
    const { [name]: _dropped, ...rest } = request.headers;
    out.push({ field: `header ${name} removed`, request: { ...request, headers: rest } });
  }
  for (const [name, value] of Object.entries(request.query)) {
    out.push({
      field: `query ${name} changed`,
      request: { ...request, query: { ...request.query, [name]: `${value}x` } },
    });
  }
  return out;
}

const isForm = (request: RawRequest) =>
  (request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');

/** A request's body as JSON: a form body (PayU, ePayco) as an object of its fields. */
function bodyOf(request: RawRequest): Json {
  const text = request.body.toString('utf8');
  return isForm(request) ? Object.fromEntries(new URLSearchParams(text)) : (JSON.parse(text) as Json);
}

/** `value` without the field at `path` (`*` matches every element or key: Adyen's items). */
function without(value: Json, path: string[]): Json {
  const [head, ...rest] = path;
  if (head === undefined || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return head === '*' ? value.map((item) => without(item, rest)) : value;
  return Object.fromEntries(
    Object.entries(value).flatMap(([key, child]): [string, Json][] => {
      if (head !== '*' && key !== head) return [[key, child]];
      return rest.length === 0 ? [] : [[key, without(child, rest)]];
    }),
  );
}

/** `request` with `body` in place of its own, in the same encoding (form or JSON). */
function withBody(request: RawRequest, body: Json): RawRequest {
  const text = isForm(request)
    ? new URLSearchParams(body as Record<string, string>).toString()
    : JSON.stringify(body);
  return { ...request, body: Buffer.from(text) };
}

/**
 * What a tampered request may lead to: a refusal, nothing (ignored), or exactly what the genuine
 * request leads to. Anything else means a value the service acts on was taken from the tampered
 * field.
 */
export function harmless<E>(tampered: Outcome<E>, genuine: Outcome<E>): boolean {
  if ('rejected' in tampered) return true;
  if (tampered.action === 'ignore') return true;
  return isDeepStrictEqual(tampered, genuine);
}

/** The signer local tools use (lib/local/sign.ts), as a RawRequest. */
const localSigner =
  (slug: string, family: () => Family) =>
  (body: string, secrets: Readonly<Record<string, string>>, now: Date): RawRequest => {
    const signed = signSample(slug, body, secrets, now, family());
    return { body: Buffer.from(signed.body), headers: signed.headers, query: signed.query ?? {} };
  };

const withSecrets = (names: readonly string[], value: (name: string) => string) =>
  Object.fromEntries(names.map((name) => [name, value(name)]));

/** Registers the contract's tests for one provider (call inside its test file). */
export function runProviderContract<E>(slug: string, options: ProviderContract<E>): void {
  const contract = { sign: localSigner(slug, () => options.source().family), ...options };
  const { now } = contract;
  // The keys that authenticate it: the required ones its settings.ts declares (rotation: comma-separated).
  const secretNames = (family: Family) => findProvider(family, slug)?.secrets.required ?? [];
  const future = contract.futureSeconds ?? 300;
  const at = (offsetSeconds: number) => new Date(now.getTime() + offsetSeconds * 1000);
  const context = (secrets: Readonly<Record<string, string>> = LOCAL_SECRETS) => sourceContext(secrets, now);
  const samples = async () => {
    const family = contract.source().family;
    const entries = (await readCatalog()).filter(
      (entry) => entry.provider === slug && entry.family === family,
    );
    if (entries.length === 0) throw new Error(`events/catalog.json lists no sample of ${slug}`);
    return Promise.all(
      entries.map(async (entry) => ({
        entry,
        body: await readFile(entry.file, 'utf8'),
      })),
    );
  };

  describe(`${slug}: the provider contract`, () => {
    it('accepts every catalog sample, freshly signed, and reads it as the catalog says', async () => {
      const source = contract.source();
      for (const { entry, body } of await samples()) {
        const result = await outcome(source, contract.sign(body, LOCAL_SECRETS, now), context());
        const expected = {
          applied: ['accept'],
          ignored: ['ignore'],
          parked: ['accept', 'park'],
          // A duplicate is skipped by the ledger: the provider itself accepts it again.
          skipped: ['accept'],
        }[entry.expect];
        // A batch (HubSpot's Webhooks API) is read as its decisions that are not ignored, if any.
        const decided = 'rejected' in result || result.action !== 'each' ? [result] : result.items;
        const relevant = decided.filter((d) => 'rejected' in d || d.action !== 'ignore');
        for (const d of relevant.length > 0 ? relevant : decided.slice(0, 1)) {
          expect(expected, entry.file).toContain('rejected' in d ? d : d.action);
        }
      }
    });

    it('verifies and reads without a promise, unless it waits for something', async () => {
      const source = contract.source();
      const [{ body }] = await samples().then((all) => all.slice(0, 1) as [(typeof all)[number]]);
      const verifying = source.verify(contract.sign(body, LOCAL_SECRETS, now), context());
      expect(verifying instanceof Promise, contract.waits?.verify ?? 'verify waits for nothing').toBe(
        contract.waits?.verify !== undefined,
      );
      const reading = (await verifying).read(context());
      expect(reading instanceof Promise, contract.waits?.read ?? 'read waits for nothing').toBe(
        contract.waits?.read !== undefined,
      );
      await reading;
    });

    it('refuses a wrong secret, and refuses everything when no secret is configured', async () => {
      const source = contract.source();
      const [{ body }] = await samples().then((all) => all.slice(0, 1) as [(typeof all)[number]]);
      const wrong = withSecrets(
        secretNames(source.family),
        (name) => `${LOCAL_SECRETS[name as keyof typeof LOCAL_SECRETS] ?? name}-wrong`,
      );
      const signedWrong = contract.sign(body, { ...LOCAL_SECRETS, ...wrong }, now);
      expect(await outcome(source, signedWrong, context())).toEqual({ rejected: 401 });
      const none = { ...LOCAL_SECRETS, ...withSecrets(secretNames(source.family), () => '') };
      expect(await outcome(source, contract.sign(body, LOCAL_SECRETS, now), context(none))).toEqual({
        rejected: 401,
      });
    });

    it('accepts either of two secrets during a rotation', async () => {
      const source = contract.source();
      const [{ body }] = await samples().then((all) => all.slice(0, 1) as [(typeof all)[number]]);
      const rotated = withSecrets(
        contract.signingSecrets ?? secretNames(source.family),
        (name) => `old-${name.toLowerCase()},${LOCAL_SECRETS[name as keyof typeof LOCAL_SECRETS]}`,
      );
      const result = await outcome(
        source,
        contract.sign(body, LOCAL_SECRETS, now),
        context({ ...LOCAL_SECRETS, ...rotated }),
      );
      expect(result).not.toHaveProperty('rejected');
    });

    it('holds its replay window: inside it accepted, outside it (or too far ahead) refused', async () => {
      const source = contract.source();
      const window = source.trust.replayWindowSeconds;
      const [{ body }] = await samples().then((all) => all.slice(0, 1) as [(typeof all)[number]]);
      if (window === null) {
        // No signed time (a shared token; PayU's and ePayco's signatures): an old request is as good
        // as a new one, so the declaration must say what makes a replay harmless.
        expect(source.trust.replayWindow.length).toBeGreaterThan(10);
        return;
      }
      const signedAt = (offset: number) =>
        outcome(source, contract.sign(body, LOCAL_SECRETS, at(offset)), context());
      expect(await signedAt(-window + 5)).not.toHaveProperty('rejected');
      expect(await signedAt(-window - 5)).toEqual({ rejected: 401 });
      expect(await signedAt(future - 5)).not.toHaveProperty('rejected');
      expect(await signedAt(future + 5)).toEqual({ rejected: 401 });
    });

    it('changes nothing it acts on when any field of a signed sample is changed without re-signing', async () => {
      const source = contract.source();
      const all = await samples();
      const signed = all.map(({ entry, body }) => ({
        entry,
        request: contract.sign(body, LOCAL_SECRETS, now),
      }));
      const problems: string[] = [];
      let checked = 0;
      for (const { entry, request } of signed) {
        const genuine = await outcome(source, request, context());
        const others = signed.filter((s) => s.request !== request).map((s) => s.request);
        for (const { field, path, request: tampered } of tamperings(request, others)) {
          const result = await outcome(source, tampered, context());
          checked++;
          if (source.trust.covers === 'sender') continue; // the token holder is believed (below)
          // Believed as sent by the operator's choice (e.g. WOMPI_CONFIRM=false); the README says the cost.
          if (path !== undefined && source.trust.unverified.includes(path)) continue;
          if (!harmless(result, genuine))
            problems.push(`${entry.file}: ${field} → ${JSON.stringify(result).slice(0, 160)}`);
          if (source.trust.covers === 'bytes' && field.includes(' = ') && !('rejected' in result)) {
            problems.push(`${entry.file}: ${field} was not refused, though the signature covers the bytes`);
          }
        }
      }
      expect(checked).toBeGreaterThan(0);
      expect(problems).toEqual([]);
    });

    it('refuses each field its trust declaration says is signed, and takes each confirmed one from the API', async () => {
      const source = contract.source();
      const { trust } = source;
      for (const { entry, body } of await samples()) {
        const request = contract.sign(body, LOCAL_SECRETS, now);
        const genuine = await outcome(source, request, context());
        const parsed = JSON.parse(body) as Json;
        const signedBody = bodyOf(request);
        for (const field of trust.signed) {
          if (field.startsWith('header:')) {
            const name = field.slice('header:'.length);
            const value = request.headers[name];
            if (value === undefined) continue;
            const changed = { ...request, headers: { ...request.headers, [name]: `${value}0` } };
            expect(await outcome(source, changed, context()), `${entry.file}: ${field}`).toEqual({
              rejected: 401,
            });
            continue;
          }
          const path = field.split('.');
          const original = valueAt(signedBody, path);
          if (original === undefined || (original !== null && typeof original === 'object')) continue;
          for (const value of replacements(original, path, [])) {
            const changed = withBody(request, setAt(signedBody, path, value));
            expect(await outcome(source, changed, context()), `${entry.file}: ${field}`).toEqual({
              rejected: 401,
            });
          }
        }
        for (const field of trust.confirmed) {
          const path = field.split('.');
          const original = valueAt(parsed, path);
          if (original === undefined || (original !== null && typeof original === 'object')) continue;
          for (const value of replacements(original, path, [])) {
            const changed = withBody(request, setAt(signedBody, path, value));
            // The API's value wins — or the change is refused outright, where the bytes are also
            // bound (PayPal's CRC-32): never another payment.
            const result = await outcome(source, changed, context());
            expect([genuine, { rejected: 401 }], `${entry.file}: ${field}`).toContainEqual(result);
          }
        }
      }
    });

    it('refuses a request without its credential, whatever it says (the sender must be proven)', async () => {
      const source = contract.source();
      for (const { entry, body } of await samples()) {
        const request = contract.sign(body, LOCAL_SECRETS, now);
        const bare = {
          ...request,
          headers: { 'content-type': request.headers['content-type'] ?? 'application/json' },
        };
        // Wompi, PayU, ePayco and Adyen carry their signature in the body: drop it there too.
        let unsigned = bodyOf(request);
        for (const field of contract.signatureFields ?? ['signature'])
          unsigned = without(unsigned, field.split('.'));
        const stripped = withBody(bare, unsigned);
        expect(await outcome(source, stripped, context()), entry.file).toEqual({ rejected: 401 });
      }
    });
  });
}
