import { createHash, createHmac } from 'node:crypto';
import { SignatureError } from '#lib/http/errors.ts';
import { safeEqual } from '../common.ts';

/**
 * HMAC signatures as the providers use them: over the raw body (Jira, Intercom, Help Scout), or
 * over a signed time joined to it (Stripe's `<t>.<body>`, Zendesk's `<timestamp><body>`), in hex or
 * base64. One place computes them, for the verifiers and for the signers beside them.
 */
export type HmacAlgorithm = 'sha256' | 'sha1';
export type HmacEncoding = 'hex' | 'base64';

const STRICT: Record<'hex' | 'base64', RegExp> = {
  hex: /^(?:[0-9a-f]{2})+$/i,
  base64: /^(?:[A-Z0-9+/]{4})*(?:[A-Z0-9+/]{2}==|[A-Z0-9+/]{3}=)?$/i,
};

/**
 * A key given as hex (Adyen) or base64 (Standard Webhooks), decoded strictly. A key that is not
 * strictly that gives bytes nothing signs with, so its requests are refused (401), never crashed
 * on — and it is never read leniently: Node's decoders stop at the first bad character or at `=`,
 * so `…00x` or `…=x` would decode to the same bytes as the real key.
 */
export function decodedKey(key: string, encoding: 'hex' | 'base64'): Buffer {
  if (key !== '' && STRICT[encoding].test(key)) return Buffer.from(key, encoding);
  return createHash('sha256').update(`not ${encoding}: ${key}`).digest();
}

/** HMAC of `parts`, concatenated as bytes, keyed by `secret` as given (never decoded). */
export function hmac(
  algorithm: HmacAlgorithm,
  secret: string,
  parts: readonly (string | Buffer)[],
  encoding: HmacEncoding,
): string {
  const mac = createHmac(algorithm, secret);
  for (const part of parts) mac.update(part);
  return mac.digest(encoding);
}

/**
 * Whether any of the `given` signatures equals the HMAC under any of `secrets` (several during a
 * rotation): every pair is compared, in constant time, so the time taken says nothing about which
 * came close. Hex compares case-insensitively.
 */
export function anySignatureMatches(
  given: readonly string[],
  secrets: readonly string[],
  sign: (secret: string) => string,
  encoding: HmacEncoding,
): boolean {
  const normalize = (value: string) => (encoding === 'hex' ? value.toLowerCase() : value);
  const expected = secrets.map((secret) => normalize(sign(secret)));
  let ok = false;
  for (const signature of given)
    for (const value of expected) ok = safeEqual(normalize(signature), value) || ok;
  return ok;
}

/**
 * A signed time must be within the replay window: at most `maxAgeSeconds` old and at most
 * `futureSeconds` ahead of our clock (clock skew). Otherwise a 401, as for a wrong signature.
 */
export function checkSignedTime(
  signedAtMs: number,
  nowMs: number,
  window: { maxAgeSeconds: number; futureSeconds: number; setting: string },
): void {
  if (!Number.isFinite(signedAtMs)) throw new SignatureError('signed time is not a time');
  const age = nowMs - signedAtMs;
  if (age > window.maxAgeSeconds * 1000) throw new SignatureError(`timestamp older than ${window.setting}`);
  if (age < -window.futureSeconds * 1000) throw new SignatureError('timestamp in the future');
}
