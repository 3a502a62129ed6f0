import { isIP } from 'node:net';

/**
 * Where each helpdesk's attachments may be downloaded from, and with which credentials. An
 * allowlist per provider: a webhook payload names the URLs, so without it a payload could make
 * the worker fetch (with the helpdesk's credentials) from anywhere.
 */

/** The settings that narrow a provider's hosts to the customer's own account (config.ts). */
export interface AttachmentHostSettings {
  /** ZENDESK_SUBDOMAIN: `acme` for acme.zendesk.com. */
  zendeskSubdomain?: string;
  /** JIRA_SITE: `acme.atlassian.net`. */
  jiraSite?: string;
}

const HOST_NAME = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/;

/**
 * The allowed hosts for `provider`; `[]` (nothing allowed) for a provider without attachment
 * support. Zendesk serves files from the account's host and redirects to zdusercontent.com; Jira's
 * attachment/content URLs on the site redirect to Atlassian's media API.
 */
export function attachmentHostsFor(provider: string, settings: AttachmentHostSettings = {}): string[] {
  switch (provider) {
    case 'zendesk': {
      const subdomain = settings.zendeskSubdomain?.trim().toLowerCase();
      if (subdomain && !HOST_NAME.test(subdomain))
        throw new TypeError('zendeskSubdomain must be like "acme"');
      return [subdomain ? `${subdomain}.zendesk.com` : '*.zendesk.com', '*.zdusercontent.com'];
    }
    case 'jira': {
      const site = settings.jiraSite?.trim().toLowerCase();
      if (site && !HOST_NAME.test(site))
        throw new TypeError('jiraSite must be a host like "acme.atlassian.net"');
      return [site || '*.atlassian.net', 'api.media.atlassian.com'];
    }
    case 'freshdesk':
      // helpdesks.md §2.2 says API attachment URLs are pre-signed S3 links but names no bucket
      // host; the shared s3.amazonaws.com would admit any bucket, so it is not allowed by default.
      return ['*.freshdesk.com', '*.freshworks.com'];
    default:
      return [];
  }
}

/**
 * The Authorization header for the provider's API, or undefined when its secrets are missing
 * (blank counts as missing). Sent only to the first URL's origin, never across a redirect to
 * another host.
 */
export function authorizationFor(provider: string, secrets: Record<string, string>): string | undefined {
  const secret = (name: string) => {
    const value = secrets[name]?.trim();
    return value ? value : undefined;
  };
  const basic = (user: string, password: string) =>
    `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
  switch (provider) {
    case 'zendesk': {
      const email = secret('ZENDESK_API_EMAIL');
      const token = secret('ZENDESK_API_TOKEN');
      return email && token ? basic(`${email}/token`, token) : undefined;
    }
    case 'jira': {
      const email = secret('JIRA_API_EMAIL');
      const token = secret('JIRA_API_TOKEN');
      return email && token ? basic(email, token) : undefined;
    }
    case 'freshdesk': {
      // Freshdesk's API key is the user name; the password is ignored, conventionally "X".
      const key = secret('FRESHDESK_API_KEY');
      return key ? basic(key, 'X') : undefined;
    }
    default:
      return undefined;
  }
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
