import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { RawRequest } from '#lib/sources/types.ts';
import { PayloadTooLargeError } from './errors.ts';

export const MAX_BODY_BYTES = 256 * 1024;

/**
 * The request exactly as the provider sent it. HTTP API v2 base64-encodes bodies that are not
 * text (form bodies included); signatures are over the original bytes, so decode, never re-serialize.
 */
export function rawRequest(event: APIGatewayProxyEventV2): RawRequest {
  const encoded = event.body ?? '';
  // Cheap bound before decoding: base64 is 4/3 the size of what it carries.
  if (
    encoded.length > (event.isBase64Encoded ? Math.ceil((MAX_BODY_BYTES * 4) / 3) + 4 : MAX_BODY_BYTES * 4)
  ) {
    throw new PayloadTooLargeError(MAX_BODY_BYTES);
  }
  const body = Buffer.from(encoded, event.isBase64Encoded ? 'base64' : 'utf8');
  if (body.length > MAX_BODY_BYTES) throw new PayloadTooLargeError(MAX_BODY_BYTES);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined) headers[name.toLowerCase()] = value;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) {
    if (value !== undefined) query[name] = value;
  }
  return { body, headers, query };
}

/** The `{provider}` path segment; API Gateway gives it as a path parameter, local servers in the path. */
export function providerSlug(event: APIGatewayProxyEventV2): string {
  return event.pathParameters?.provider ?? event.rawPath?.split('/').filter(Boolean).at(-1) ?? '';
}
