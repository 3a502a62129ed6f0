/**
 * Signs sample events the way the providers do — each provider's own signer, beside its verifier in
 * lib/providers/<family>/<slug>/provider.ts — so local runs go through the same verification as
 * production instead of a bypass. Local and test use only: nothing here runs inside Lambda.
 */
import { randomBytes } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { Family, SignedRequest } from '#lib/providers/types.ts';
import { localProvider } from './providers.ts';

export type { SignedRequest };

/**
 * A sample body signed at `now` with `secrets` (the first of a comma-separated list) by the
 * provider named `provider` (a sample's folder name), and the route family it is posted to.
 */
export function signSample(
  provider: string,
  body: string,
  secrets: Readonly<Record<string, string>>,
  now: Date = new Date(),
  family?: Family,
): SignedRequest & { family: Family } {
  const { entry, code } = localProvider(provider, family);
  return { family: entry.family, ...code.sign(body, secrets, now) };
}

export interface ApiGatewayEventOptions {
  family: Family;
  provider: string;
  body: string;
  headers: Readonly<Record<string, string>>;
  /** The URL's query parameters (Mercado Pago signs `data.id` from there). */
  query?: Readonly<Record<string, string>>;
  /** Deliver the body base64-encoded, as HTTP APIs do for form bodies or a missing content type. */
  base64?: boolean;
  now?: Date;
}

/** Where a sender connects from: a documentation-range address standing in for the provider's. */
const SOURCE_IP = '203.0.113.45';

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
  const sender = { userAgent: localProvider(provider, family).code.userAgent, sourceIp: SOURCE_IP };
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
    rawQueryString: new URLSearchParams(options.query ?? {}).toString(),
    headers,
    ...(options.query && Object.keys(options.query).length > 0
      ? { queryStringParameters: { ...options.query } }
      : {}),
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
