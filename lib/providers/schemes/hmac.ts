import { createHmac } from 'node:crypto';
import { SignatureError } from '#lib/http/errors.ts';
import { safeEqual } from '../common.ts';

/**
 * HMAC signatures as the providers use them: over the raw body (Jira, Intercom, Help Scout), or
 * over a signed time joined to it (Stripe's `<t>.<body>`, Zendesk's `<timestamp><body>`), in hex or
 * base64. One place computes them, for the verifiers and for the signers beside them.
 */
export type HmacAlgorithm = 'sha256' | 'sha1';
export type HmacEncoding = 'hex' | 'base64';

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
