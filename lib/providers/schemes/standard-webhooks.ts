import { createHmac, randomUUID } from 'node:crypto';
import { SignatureError } from '#lib/http/errors.ts';
import { safeEqual, secretList, unixSeconds } from '../common.ts';
import type { ProviderContext, RawRequest, Trust } from '../types.ts';
import { checkSignedTime, decodedKey } from './hmac.ts';

/**
 * Standard Webhooks v1 (standardwebhooks.com; payment-gateways.md §9), symmetric flavour:
 * `webhook-signature` holds space-separated `v1,<base64>` entries, each an HMAC-SHA256 of
 * `<webhook-id>.<webhook-timestamp>.<raw body>` keyed by the **base64-decoded** part of a `whsec_`
 * secret (unlike Stripe's `whsec_`, used as text: the two must never share a helper). Several
 * entries during a sender's rotation; several secrets during ours. `webhook-timestamp` is the
 * attempt's time: 5 minutes either way, as the reference library. Svix sends the same scheme as
 * `svix-*` headers.
 */

export const STANDARD_TOLERANCE_SECONDS = 300;

/** The HMAC key of a `whsec_…` secret (the prefix is optional, as in the reference library). */
export function standardKey(secret: string): Buffer {
  return decodedKey(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
}

/** `v1,<base64>` for one message. */
export function standardSignature(
  secret: string,
  id: string,
  timestamp: number,
  body: Buffer | string,
): string {
  const mac = createHmac('sha256', standardKey(secret));
  mac.update(`${id}.${timestamp}.`);
  mac.update(body);
  return `v1,${mac.digest('base64')}`;
}

/** The signed id and time of a verified message; anything else is a SignatureError (401). */
export function verifyStandardWebhook(
  request: RawRequest,
  secrets: readonly string[],
  nowMs: number,
): { id: string; timestamp: number } {
  const header = (name: string) => request.headers[`webhook-${name}`] ?? request.headers[`svix-${name}`];
  const id = header('id');
  const timestamp = header('timestamp');
  const signatures = (header('signature') ?? '').split(' ').filter((entry) => entry.startsWith('v1,'));
  if (!id || !timestamp || !/^\d{1,12}$/.test(timestamp) || signatures.length === 0) {
    throw new SignatureError('no webhook-id, webhook-timestamp and v1 webhook-signature');
  }
  let ok = false;
  // Every pair is compared, so the time taken says nothing about which came close.
  for (const secret of secrets) {
    const expected = standardSignature(secret, id, Number(timestamp), request.body);
    for (const given of signatures) ok = safeEqual(given, expected) || ok;
  }
  if (!ok) throw new SignatureError('webhook-signature does not match');
  checkSignedTime(Number(timestamp) * 1000, nowMs, {
    maxAgeSeconds: STANDARD_TOLERANCE_SECONDS,
    futureSeconds: STANDARD_TOLERANCE_SECONDS,
    setting: 'the 5-minute tolerance',
  });
  return { id, timestamp: Number(timestamp) };
}

/** What a Standard Webhooks door believes: every byte, signed with the secret `secretName` names. */
export function standardTrust(secretName: string): Trust {
  return {
    covers: 'bytes',
    scheme: `Standard Webhooks v1: HMAC-SHA256 of <webhook-id>.<webhook-timestamp>.<body>, keyed by ${secretName} (whsec_, base64)`,
    signed: ['body', 'header webhook-id', 'header webhook-timestamp'],
    confirmed: [],
    unverified: [],
    replayWindowSeconds: STANDARD_TOLERANCE_SECONDS,
    replayWindow: `webhook-timestamp within ${STANDARD_TOLERANCE_SECONDS} s either way (the attempt's time)`,
  };
}

/** Verifies `request` with the secrets under `secretName` (several during a rotation): the message id. */
export function verifyWithSecret(
  request: RawRequest,
  secretName: string,
  { secrets, now }: ProviderContext,
): string {
  return verifyStandardWebhook(request, secretList(secrets[secretName], secretName), now().getTime()).id;
}

/** The headers a Standard Webhooks sender adds to `body` at `now` (a new message id unless given). */
export function standardWebhookHeaders(
  body: string,
  secret: string,
  now: Date,
  id = `msg_${randomUUID().replaceAll('-', '')}`,
): Record<string, string> {
  const timestamp = unixSeconds(now);
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': standardSignature(secret, id, timestamp, body),
  };
}
