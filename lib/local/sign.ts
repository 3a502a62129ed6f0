/**
 * Signs sample events the way the providers do, so local runs go through the same verification as
 * production instead of a bypass. Local and test use only: nothing here runs inside Lambda.
 */
import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import Stripe from 'stripe';

export type SignableProvider = 'stripe' | 'wompi';
export const SIGNABLE_PROVIDERS: readonly SignableProvider[] = ['stripe', 'wompi'];

export interface SignedRequest {
  /** The body to send: Stripe's bytes unchanged, Wompi's re-serialized with fresh signature fields. */
  body: string;
  /** Lower-case header names, as an HTTP API (payload v2) hands them to the Lambda. */
  headers: Record<string, string>;
}

function secretNamed(secrets: Readonly<Record<string, string>>, name: string): string {
  const value = secrets[name]?.trim();
  if (!value) throw new Error(`${name} is not set: cannot sign the sample event`);
  return value;
}

function unixSeconds(now: Date): number {
  const ms = now.getTime();
  if (!Number.isFinite(ms)) throw new Error('Invalid signing time');
  return Math.floor(ms / 1000);
}

function signStripe(body: string, secrets: Readonly<Record<string, string>>, now: Date): SignedRequest {
  // Several comma-separated secrets mean a rotation in progress; the handler accepts any of them.
  const [first = ''] = secretNamed(secrets, 'STRIPE_WEBHOOK_SECRET').split(',');
  const secret = first.trim();
  if (!secret) throw new Error('STRIPE_WEBHOOK_SECRET has an empty first entry');
  const timestamp = unixSeconds(now);
  // stripe-node falls back to Date.now() for a falsy timestamp; a signer that ignored `now` would
  // make fixed-clock tests lie.
  if (timestamp <= 0) throw new Error('Stripe signing time must be after 1970-01-01T00:00:01Z');
  // The official generator, so the header is exactly what Stripe's own verifier accepts.
  const signature = Stripe.webhooks.generateTestHeaderString({ payload: body, secret, timestamp });
  return {
    body,
    headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': signature },
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Wompi's value formatting: integers as plain decimals, null or missing as the empty string. */
function wompiValue(data: Record<string, unknown>, path: string): string {
  let current: unknown = data;
  for (const key of path.split('.')) current = isObject(current) ? current[key] : undefined;
  if (current === null || current === undefined) return '';
  if (typeof current === 'string' || typeof current === 'number' || typeof current === 'boolean') {
    return String(current);
  }
  throw new Error(`Wompi signature property data.${path} is not a scalar`);
}

/** SHA-256 (not HMAC) of the property values in Wompi's order, then the timestamp, then the events secret. */
export function wompiChecksum(
  data: Record<string, unknown>,
  properties: readonly string[],
  timestamp: number,
  secret: string,
): string {
  const material = properties.map((path) => wompiValue(data, path)).join('') + String(timestamp) + secret;
  // Upper case as Wompi shows it; verifiers compare case-insensitively.
  return createHash('sha256').update(material, 'utf8').digest('hex').toUpperCase();
}

function signWompi(body: string, secrets: Readonly<Record<string, string>>, now: Date): SignedRequest {
  const secret = secretNamed(secrets, 'WOMPI_EVENTS_SECRET');
  const event: unknown = JSON.parse(body);
  if (!isObject(event) || !isObject(event.data) || !isObject(event.signature)) {
    throw new Error('Not a Wompi event: expected an object with data and signature');
  }
  const { properties } = event.signature;
  if (!Array.isArray(properties) || !properties.every((p): p is string => typeof p === 'string')) {
    throw new Error('Not a Wompi event: signature.properties must be an array of strings');
  }
  const timestamp = unixSeconds(now);
  const checksum = wompiChecksum(event.data, properties, timestamp, secret);
  const signed = {
    ...event,
    signature: { ...event.signature, checksum },
    timestamp,
    sent_at: now.toISOString(),
  };
  return {
    // Wompi signs values, not bytes, so a compact re-serialization (as a real delivery) is safe.
    body: JSON.stringify(signed),
    headers: { 'content-type': 'application/json', 'x-event-checksum': checksum },
  };
}

/** Signs a sample body freshly at `now` with the given secrets (Stripe: first of a comma-separated list). */
export function signPayment(
  provider: SignableProvider,
  body: string,
  secrets: Readonly<Record<string, string>>,
  now: Date = new Date(),
): SignedRequest {
  switch (provider) {
    case 'stripe':
      return signStripe(body, secrets, now);
    case 'wompi':
      return signWompi(body, secrets, now);
    default: {
      // A caller outside the type system (the CLI) can still pass anything.
      const unknown: never = provider;
      throw new Error(`Cannot sign for provider ${String(unknown)}`);
    }
  }
}

export type RouteFamily = 'payments' | 'tickets';

export type TicketProvider = 'zendesk' | 'freshdesk' | 'jira';
export const TICKET_PROVIDERS: readonly TicketProvider[] = ['zendesk', 'freshdesk', 'jira'];

/** Every provider with sample events: payments and helpdesks. */
export type SampleProvider = SignableProvider | TicketProvider;
export const SAMPLE_PROVIDERS: readonly SampleProvider[] = [...SIGNABLE_PROVIDERS, ...TICKET_PROVIDERS];

/** The first of a comma-separated list (a rotation in progress): what a provider signs with. */
function firstSecret(secrets: Readonly<Record<string, string>>, name: string): string {
  const [first = ''] = secretNamed(secrets, name).split(',');
  const secret = first.trim();
  if (!secret) throw new Error(`${name} has an empty first entry`);
  return secret;
}

/** Zendesk: base64 HMAC-SHA256 over the timestamp header value followed by the body (helpdesks.md §1.4). */
function signZendesk(body: string, secrets: Readonly<Record<string, string>>, now: Date): SignedRequest {
  const secret = firstSecret(secrets, 'ZENDESK_WEBHOOK_SECRET');
  if (!Number.isFinite(now.getTime())) throw new Error('Invalid signing time');
  // Zendesk's format: ISO 8601 UTC to the second, e.g. 2021-03-25T05:09:27Z.
  const timestamp = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const signature = createHmac('sha256', secret)
    .update(Buffer.concat([Buffer.from(timestamp, 'utf8'), Buffer.from(body, 'utf8')]))
    .digest('base64');
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-zendesk-webhook-signature': signature,
      'x-zendesk-webhook-signature-timestamp': timestamp,
    },
  };
}

/** Freshdesk signs nothing: the automation rule sends our shared token as a custom header. */
function signFreshdesk(body: string, secrets: Readonly<Record<string, string>>): SignedRequest {
  const token = firstSecret(secrets, 'FRESHDESK_WEBHOOK_TOKEN');
  return { body, headers: { 'content-type': 'application/json', 'x-wolkvox-webhook-token': token } };
}

/**
 * Jira's body carries its own `timestamp` (epoch ms), which the HMAC covers and the service's
 * replay window reads: a fresh delivery is stamped now. Only that number changes, in place, so the
 * rest of the sample's bytes are sent as they are.
 */
export function restampJira(body: string, now: Date): string {
  const parsed = JSON.parse(body) as { timestamp?: unknown };
  if (typeof parsed.timestamp !== 'number') return body;
  const stamped = new RegExp(`"timestamp"(\\s*):(\\s*)${parsed.timestamp}(?!\\d)`);
  return body.replace(
    stamped,
    (_match, before: string, after: string) => `"timestamp"${before}:${after}${now.getTime()}`,
  );
}

/** Jira admin webhooks: `X-Hub-Signature: sha256=<hex HMAC of the raw body>`, and a delivery id. */
function signJira(body: string, secrets: Readonly<Record<string, string>>, now: Date): SignedRequest {
  const secret = firstSecret(secrets, 'JIRA_WEBHOOK_SECRET');
  if (!Number.isFinite(now.getTime())) throw new Error('Invalid signing time');
  body = restampJira(body, now);
  const signature = createHmac('sha256', secret).update(body, 'utf8').digest('hex');
  return {
    body,
    headers: {
      'content-type': 'application/json; charset=UTF-8',
      'x-hub-signature': `sha256=${signature}`,
      // Unique per delivery (and reused by Jira's retries): a fresh signing is a fresh delivery.
      'x-atlassian-webhook-identifier': randomUUID(),
    },
  };
}

/** Signs a helpdesk sample as the helpdesk would, at `now`; only Jira's own timestamp in the body changes. */
export function signTicket(
  provider: TicketProvider,
  body: string,
  secrets: Readonly<Record<string, string>>,
  now: Date = new Date(),
): SignedRequest {
  switch (provider) {
    case 'zendesk':
      return signZendesk(body, secrets, now);
    case 'freshdesk':
      return signFreshdesk(body, secrets);
    case 'jira':
      return signJira(body, secrets, now);
    default: {
      const unknown: never = provider;
      throw new Error(`Cannot sign for provider ${String(unknown)}`);
    }
  }
}

function isTicketProvider(provider: string): provider is TicketProvider {
  return (TICKET_PROVIDERS as readonly string[]).includes(provider);
}

/** Any sample provider: the signed request plus the route family it is posted to. */
export function signSample(
  provider: SampleProvider,
  body: string,
  secrets: Readonly<Record<string, string>>,
  now: Date = new Date(),
): SignedRequest & { family: RouteFamily } {
  if (isTicketProvider(provider)) return { family: 'tickets', ...signTicket(provider, body, secrets, now) };
  return { family: 'payments', ...signPayment(provider, body, secrets, now) };
}

export interface ApiGatewayEventOptions {
  family: RouteFamily;
  provider: string;
  body: string;
  headers: Readonly<Record<string, string>>;
  /** Deliver the body base64-encoded, as HTTP APIs do for form bodies or a missing content type. */
  base64?: boolean;
  now?: Date;
}

/**
 * What each sender puts in User-Agent and where it connects from. Stripe's address is on its published
 * webhook list; the others' are documentation-range addresses standing in.
 */
const SENDERS: Readonly<Record<string, { userAgent: string; sourceIp: string }>> = {
  stripe: { userAgent: 'Stripe/1.0 (+https://stripe.com/docs/webhooks)', sourceIp: '3.18.12.63' },
  wompi: { userAgent: 'Wompi', sourceIp: '203.0.113.45' },
  // The helpdesks' user agents are as commonly seen, not documented; the addresses are stand-ins.
  zendesk: { userAgent: 'Zendesk Webhook', sourceIp: '203.0.113.61' },
  freshdesk: { userAgent: 'Freshdesk', sourceIp: '203.0.113.72' },
  jira: { userAgent: 'Atlassian Webhook HTTP Client', sourceIp: '203.0.113.83' },
};
const GENERIC_SENDER = { userAgent: 'webhook-sender/1.0', sourceIp: '198.51.100.24' };

const API_ID = 'a1b2c3d4e5';
const DOMAIN = `${API_ID}.execute-api.us-east-1.amazonaws.com`;

/** API Gateway's `requestContext.time` format: `23/Nov/2026:01:48:37 +0000`. */
function gatewayTime(now: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number) => String(n).padStart(2, '0');
  const month = months[now.getUTCMonth()] ?? 'Jan';
  return (
    `${pad(now.getUTCDate())}/${month}/${now.getUTCFullYear()}:` +
    `${pad(now.getUTCHours())}:${pad(now.getUTCMinutes())}:${pad(now.getUTCSeconds())} +0000`
  );
}

/** An HTTP API (payload format 2.0) event for `POST /webhooks/{family}/{provider}`. */
export function apiGatewayEvent(options: ApiGatewayEventOptions): APIGatewayProxyEventV2 {
  const { family, provider, body, base64 = false, now = new Date() } = options;
  const sender = SENDERS[provider] ?? GENERIC_SENDER;
  const rawPath = `/webhooks/${family}/${provider}`;
  const routeKey = `POST /webhooks/${family}/{provider}`;
  const bytes = Buffer.from(body, 'utf8');

  const given: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.headers)) given[name.toLowerCase()] = value;
  const headers: Record<string, string> = {
    accept: '*/*',
    host: DOMAIN,
    'user-agent': sender.userAgent,
    'x-amzn-trace-id': `Root=1-${Math.floor(now.getTime() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`,
    'x-forwarded-for': sender.sourceIp,
    'x-forwarded-port': '443',
    'x-forwarded-proto': 'https',
    ...given,
    // Always the real byte length: a stale value from the caller would misdescribe the body.
    'content-length': String(bytes.length),
  };
  const userAgent = headers['user-agent'] ?? sender.userAgent;

  return {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString: '',
    headers,
    requestContext: {
      accountId: '123456789012',
      apiId: API_ID,
      domainName: DOMAIN,
      domainPrefix: API_ID,
      http: { method: 'POST', path: rawPath, protocol: 'HTTP/1.1', sourceIp: sender.sourceIp, userAgent },
      // API Gateway's request ids are 16 base64 characters ending in '='.
      requestId: `${randomBytes(11).toString('base64').slice(0, 15)}=`,
      routeKey,
      stage: '$default',
      time: gatewayTime(now),
      timeEpoch: now.getTime(),
    },
    pathParameters: { provider },
    body: base64 ? bytes.toString('base64') : body,
    isBase64Encoded: base64,
  };
}
