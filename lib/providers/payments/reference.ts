import * as z from 'zod/mini';
import '#lib/zod-mini.ts';
import { preprocess, blankIsUnset } from '#lib/settings.ts';
import { apiBaseUrl } from '../api.ts';

/**
 * Settings the gateways share (docs/providers/<slug>.md): how a merchant reference names the
 * obligation, and where a provider's API is. Loaded with the configuration, so kept small.
 */

/** `<wolkvox_id>:<obligation>[:<anything>]`, the naming every gateway's reference uses by default. */
export const DEFAULT_REFERENCE_PATTERN = '^(?<wolkvox_id>[^:]+):(?<obligation>[^:]+)(?::.*)?$';

function hasTargetGroups(value: string): boolean {
  try {
    const source = new RegExp(value).source;
    return source.includes('?<wolkvox_id>') && source.includes('?<obligation>');
  } catch {
    return false;
  }
}

/** `<PROVIDER>_REFERENCE_PATTERN`: a regular expression with named groups wolkvox_id and obligation (optional operation). */
export const referencePattern = () =>
  preprocess(
    blankIsUnset,
    z.pipe(
      z._default(
        z
          .string()
          .check(
            z.refine(
              hasTargetGroups,
              'must be a regular expression with named groups wolkvox_id and obligation',
            ),
          ),
        DEFAULT_REFERENCE_PATTERN,
      ),
      z.transform((source) => new RegExp(source)),
    ),
  );

/** `<PROVIDER>_API_URL`: https, or plain http on loopback only (a local fake); normalized without a trailing slash. */
export const apiUrl = (fallback: string) =>
  preprocess(
    blankIsUnset,
    z.pipe(
      z._default(z.string(), fallback),
      z.transform((value, context) => {
        const url = apiBaseUrl(value);
        if (url.ok) return url.url;
        context.issues.push({ code: 'custom', message: url.problem, input: value });
        return z.NEVER;
      }),
    ),
  );
