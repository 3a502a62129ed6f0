import * as z from 'zod/mini';
import '#lib/zod-mini.ts';

/**
 * The shapes an environment variable can take, for lib/config.ts and the providers' setting slices
 * (lib/providers/<family>/<slug>/settings.ts), which config.ts composes into one schema: a blank
 * value counts as unset, and every problem is reported at once.
 */
export const blankIsUnset = (value: unknown) =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

/** Classic zod's z.preprocess(fn, schema), which zod/mini leaves out: the same pipe. */
export const preprocess = <T extends z.ZodMiniType>(fn: (value: unknown) => unknown, schema: T) =>
  z.pipe(z.transform(fn), schema);

/** Optional free text, trimmed. */
export const text = () => preprocess(blankIsUnset, z.optional(z.string().check(z.trim())));

/** An optional value matching `pattern`, with a message saying what is expected. */
export const matching = (pattern: RegExp, message: string) =>
  preprocess(blankIsUnset, z.optional(z.string().check(z.regex(pattern, message))));

export const flag = (fallback: boolean) =>
  preprocess(
    (value) => (typeof value === 'string' ? value.trim().toLowerCase() || undefined : value),
    z.pipe(
      z._default(z.enum(['true', 'false', '1', '0']), fallback ? 'true' : 'false'),
      z.transform((v) => v === 'true' || v === '1'),
    ),
  );

export const DAY_SECONDS = 86_400;

export const integer = (fallback: number, min: number, max: number) =>
  preprocess(
    blankIsUnset,
    z._default(z.coerce.number().check(z.int(), z.minimum(min), z.maximum(max)), fallback),
  );

/**
 * A JSON object of strings in one variable (mapping settings) → a Map, so a lookup of a name that
 * arrives in a webhook (`constructor`, `__proto__`, `toString`) finds only what the operator
 * wrote, never Object.prototype. Keys that are e-mails are lower-cased.
 */
export const jsonMap = (fallback: Record<string, string>) =>
  preprocess(
    (value) => {
      if (typeof value !== 'string' || value.trim() === '') return undefined;
      try {
        return JSON.parse(value) as unknown;
      } catch {
        return value;
      }
    },
    z.pipe(
      z._default(
        z.record(z.string(), z.string(), { error: 'must be a JSON object of strings, e.g. {"high":"Alta"}' }),
        fallback,
      ),
      z.transform(
        (map): ReadonlyMap<string, string> =>
          new Map(Object.entries(map).map(([key, v]) => [key.includes('@') ? key.toLowerCase() : key, v])),
      ),
    ),
  );
