import * as z from 'zod/mini';
import '#lib/zod-mini.ts';
import { blankIsUnset, DAY_SECONDS, flag, integer, preprocess } from '#lib/settings.ts';
import { apiBaseUrl } from '../../api.ts';
import { defineProvider } from '../../define.ts';
import { apiUrl, referencePattern } from '../reference.ts';

export interface PayPalSettings {
  /** PAYPAL_REFERENCE_PATTERN: reads the obligation from the capture's `custom_id`, else `invoice_id`. */
  referencePattern: RegExp;
  /** PAYPAL_CERT_HOSTS: the exact hosts a `paypal-cert-url` may name (https, under paypal.com). */
  certHosts: readonly string[];
  /**
   * PAYPAL_CERT_FETCH_URL: local runs and tests only — a loopback base URL certificates are fetched
   * from instead of the cert URL's own host (its path kept). Undefined in deployments.
   */
  certFetchUrl: string | undefined;
  /** PAYPAL_MAX_AGE_SECONDS: how old a delivery's `paypal-transmission-time` may be. */
  maxAgeSeconds: number;
  /**
   * PAYPAL_CONFIRM: read each capture from PayPal's API (default on). The signature binds the body
   * only through a CRC-32, which anyone can match: the API's values are what the service believes.
   */
  confirm: boolean;
  /** PAYPAL_API_URL: https://api-m.paypal.com, or https://api-m.sandbox.paypal.com. */
  apiUrl: string;
}

/**
 * Where PayPal serves its webhook certificates: the REST API hosts, live and sandbox
 * (`https://api.paypal.com/v1/notifications/certs/CERT-…` in real deliveries; api-m.* are the
 * same APIs' current names).
 */
export const DEFAULT_CERT_HOSTS = [
  'api.paypal.com',
  'api-m.paypal.com',
  'api.sandbox.paypal.com',
  'api-m.sandbox.paypal.com',
] as const;

const LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

/** A host a certificate may come from: a plain DNS name under paypal.com, nothing else. */
const isPayPalHost = (host: string) =>
  host.endsWith('.paypal.com') && host.length <= 253 && host.split('.').every((label) => LABEL.test(label));

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** PAYPAL_CERT_HOSTS: comma-separated hosts, each under paypal.com (a typo cannot trust another site). */
const certHosts = () =>
  preprocess(
    blankIsUnset,
    z.pipe(
      z._default(z.string(), DEFAULT_CERT_HOSTS.join(',')),
      z.transform((value, context) => {
        const hosts = value
          .split(',')
          .map((host) => host.trim().toLowerCase())
          .filter(Boolean);
        const wrong = hosts.filter((host) => !isPayPalHost(host));
        if (hosts.length === 0 || wrong.length > 0) {
          context.issues.push({
            code: 'custom',
            message: 'must be host names under paypal.com, comma-separated (e.g. api.paypal.com)',
            input: value,
          });
          return z.NEVER;
        }
        return [...new Set(hosts)] as readonly string[];
      }),
    ),
  );

/**
 * PAYPAL_CERT_FETCH_URL: only a loopback URL (the local fake of PayPal's certificate host), so no
 * deployment can be configured to take certificates from anywhere but PayPal.
 */
const certFetchUrl = () =>
  preprocess(
    blankIsUnset,
    z.optional(
      z.pipe(
        z.string(),
        z.transform((value, context) => {
          const url = apiBaseUrl(value);
          if (url.ok && LOOPBACK_HOSTS.has(new URL(url.url).hostname)) return url.url;
          context.issues.push({
            code: 'custom',
            message: 'local runs only: must be a loopback URL such as http://127.0.0.1:4010/paypal',
            input: value,
          });
          return z.NEVER;
        }),
      ),
    ),
  );

/** PayPal, Orders v2 captures (docs/providers/paypal.md). */
export default defineProvider({
  family: 'payments',
  slug: 'paypal',
  name: 'PayPal',
  // The webhook's id, from the app's webhook settings: it is in every signed string.
  secrets: { required: ['PAYPAL_WEBHOOK_ID'], optional: ['PAYPAL_CLIENT_ID', 'PAYPAL_CLIENT_SECRET'] },
  env: {
    /** Reads the target from the capture's custom_id, else invoice_id: named groups wolkvox_id, obligation, optional operation. */
    PAYPAL_REFERENCE_PATTERN: referencePattern(),
    /** The hosts paypal-cert-url may name (https, exact match, under paypal.com). */
    PAYPAL_CERT_HOSTS: certHosts(),
    /** Local runs and tests only: a loopback fake that serves certificates (lib/local/provider-apis.ts). */
    PAYPAL_CERT_FETCH_URL: certFetchUrl(),
    /** PayPal retries a delivery up to 25 times over 3 days: three days covers them. */
    PAYPAL_MAX_AGE_SECONDS: integer(3 * DAY_SECONDS, 60, 30 * DAY_SECONDS),
    /** Read each capture from PayPal's API (PAYPAL_CLIENT_ID, PAYPAL_CLIENT_SECRET). */
    PAYPAL_CONFIRM: flag(true),
    /** PayPal's REST API; never taken from a delivery. */
    PAYPAL_API_URL: apiUrl('https://api-m.paypal.com'),
  },
  read: (env): PayPalSettings => ({
    referencePattern: env.PAYPAL_REFERENCE_PATTERN,
    certHosts: env.PAYPAL_CERT_HOSTS,
    certFetchUrl: env.PAYPAL_CERT_FETCH_URL,
    maxAgeSeconds: env.PAYPAL_MAX_AGE_SECONDS,
    confirm: env.PAYPAL_CONFIRM,
    apiUrl: env.PAYPAL_API_URL,
  }),
  replayWindow: (s) => ({ setting: 'PAYPAL_MAX_AGE_SECONDS', seconds: s.maxAgeSeconds }),
  local: {
    // Letters and digits, as PayPal's webhook ids (^[a-zA-Z0-9]+$ in verify-webhook-signature); local only.
    secrets: {
      PAYPAL_WEBHOOK_ID: '0LOCAL1DEMO2PAYPAL3WEBHOOK',
      // The local fake of PayPal's API (lib/local/provider-apis.ts) requires them, as PayPal does.
      PAYPAL_CLIENT_ID: 'AaLocalDemoPayPalClientId0123456789',
      PAYPAL_CLIENT_SECRET: 'ElocalDemoPayPalClientSecret9876543210',
    },
  },
  load: async () => (await import('./provider.ts')).default,
});
