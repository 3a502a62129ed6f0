import type { RawRequest } from '../types.ts';
import { safeEqual } from '../common.ts';

/**
 * A shared token, for helpdesks that sign nothing (Freshdesk): the token proves who sent the
 * request, not what it says (Trust `sender`). It may arrive as a custom header or as either half of
 * HTTP Basic credentials, since admin screens offer one or the other.
 */

/** What the request presents as the token: the header, then both halves of Basic credentials. */
export function presentedTokens(headers: RawRequest['headers'], header: string): string[] {
  const presented: string[] = [];
  const value = headers[header]?.trim();
  if (value) presented.push(value);
  const basic = /^Basic\s+([\w+/=-]+)\s*$/i.exec(headers.authorization ?? '');
  if (basic?.[1]) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const [user, password] = colon < 0 ? [decoded, ''] : [decoded.slice(0, colon), decoded.slice(colon + 1)];
    for (const part of [password, user]) if (part) presented.push(part);
  }
  return presented;
}

/** Whether any presented value is any configured token; every pair is compared, in constant time. */
export function anyTokenMatches(presented: readonly string[], tokens: readonly string[]): boolean {
  let ok = false;
  for (const candidate of presented) for (const token of tokens) ok = safeEqual(candidate, token) || ok;
  return ok;
}
