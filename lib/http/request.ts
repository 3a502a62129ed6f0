import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { RawRequest } from '#lib/providers/types.ts';
import { MalformedError, PayloadTooLargeError } from './errors.ts';

export const MAX_BODY_BYTES = 256 * 1024;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A map of strings, as API Gateway gives headers and query parameters; anything else is named. */
function stringMap(value: unknown, where: string, problems: string[], lower = false): Record<string, string> {
  // No prototype: a header named `constructor` must not meet Object.prototype's.
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  if (value === undefined || value === null) return out;
  if (!isRecord(value)) {
    problems.push(`${where}: expected an object of strings`);
    return out;
  }
  // Keys, not entries: an array per header is garbage on every request.
  for (const name of Object.keys(value)) {
    const item = value[name];
    if (item === undefined || item === null) continue;
    if (typeof item !== 'string') {
      if (problems.length < 5) problems.push(`${where}: a value is not a string`);
      continue;
    }
    out[lower ? name.toLowerCase() : name] = item;
  }
  return out;
}

/**
 * The request exactly as the provider sent it. HTTP API v2 base64-encodes bodies that are not
 * text (form bodies included); signatures are over the original bytes, so decode, never
 * re-serialize. An invocation that is not an API Gateway event of the expected shape (a direct
 * invoke, a test console) is a 400 naming what is off, never a thrown TypeError.
 */
export function rawRequest(event: unknown): RawRequest {
  if (!isRecord(event)) throw new MalformedError(['(event): not an API Gateway HTTP event']);
  const problems: string[] = [];
  const { body: encoded = '', isBase64Encoded = false } = event;
  if (encoded !== null && typeof encoded !== 'string') problems.push('(event).body: expected a string');
  if (typeof isBase64Encoded !== 'boolean') problems.push('(event).isBase64Encoded: expected a boolean');
  const headers = stringMap(event.headers, '(event).headers', problems, true);
  const query = stringMap(event.queryStringParameters, '(event).queryStringParameters', problems);
  if (problems.length > 0) throw new MalformedError(problems);
  const text = typeof encoded === 'string' ? encoded : '';
  const base64 = isBase64Encoded === true;
  // Cheap bound before decoding: base64 is 4/3 the size of what it carries.
  if (text.length > (base64 ? Math.ceil((MAX_BODY_BYTES * 4) / 3) + 4 : MAX_BODY_BYTES * 4)) {
    throw new PayloadTooLargeError(MAX_BODY_BYTES);
  }
  const body = Buffer.from(text, base64 ? 'base64' : 'utf8');
  if (body.length > MAX_BODY_BYTES) throw new PayloadTooLargeError(MAX_BODY_BYTES);
  const http = isRecord(event.requestContext) ? event.requestContext.http : undefined;
  const method = isRecord(http) && typeof http.method === 'string' ? http.method : undefined;
  const { rawPath, rawQueryString } = event;
  const line =
    method !== undefined && typeof rawPath === 'string'
      ? { method, path: rawPath, rawQuery: typeof rawQueryString === 'string' ? rawQueryString : '' }
      : undefined;
  return { body, headers, query, ...(line ? { line } : {}) };
}

/**
 * The `{provider}` path segment; API Gateway gives it as a path parameter, local servers in the
 * path. Any event shape gives a string: this also names the provider in error logs.
 */
export function providerSlug(event: unknown): string {
  if (!isRecord(event)) return '';
  const { pathParameters, rawPath } = event as Partial<Record<keyof APIGatewayProxyEventV2, unknown>>;
  const fromPath = isRecord(pathParameters) ? pathParameters.provider : undefined;
  if (typeof fromPath === 'string') return fromPath;
  return typeof rawPath === 'string' ? (rawPath.split('/').filter(Boolean).at(-1) ?? '') : '';
}
