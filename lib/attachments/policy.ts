import { isIP } from 'node:net';

/**
 * Where attachments may be downloaded from. An allowlist per provider (each helpdesk declares its
 * hosts and credentials in lib/providers/tickets/<slug>/provider.ts): a webhook payload names the
 * URLs, so without it a payload could make the worker fetch (with the helpdesk's credentials) from
 * anywhere.
 */

const HOST_NAME = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/;

/** `Basic <base64(user:password)>`, as the helpdesks' APIs take their credentials. */
export function basicAuthorization(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}

/** Lower case, no IPv6 brackets, no trailing root dot: the form patterns are compared in. */
export function normalizeHost(host: string): string {
  let value = host.trim().toLowerCase();
  if (value.startsWith('[') && value.endsWith(']')) value = value.slice(1, -1);
  return value.endsWith('.') ? value.slice(0, -1) : value;
}

/**
 * Throws a TypeError for a pattern that is neither a host, an IP literal nor `*.` followed by a
 * host with at least one dot (so `*.com` or `*` cannot open everything by mistake).
 */
export function assertHostPatterns(patterns: readonly string[]): void {
  for (const pattern of patterns) {
    const value = normalizeHost(pattern);
    const wildcard = value.startsWith('*.');
    const host = wildcard ? value.slice(2) : value;
    const valid = wildcard
      ? HOST_NAME.test(host) && host.includes('.')
      : HOST_NAME.test(host) || isIP(host) !== 0;
    if (!valid) throw new TypeError(`invalid attachment host pattern: ${JSON.stringify(pattern)}`);
  }
}

/** `*.suffix` matches subdomains at any depth but not the bare suffix; anything else is exact. */
export function hostAllowed(host: string, patterns: readonly string[]): boolean {
  const candidate = normalizeHost(host);
  return patterns.some((pattern) => {
    const value = normalizeHost(pattern);
    if (!value.startsWith('*.')) return candidate === value;
    const suffix = value.slice(1); // ".zendesk.com": the dot is what keeps evilzendesk.com out
    return candidate.length > suffix.length && candidate.endsWith(suffix);
  });
}
