import type { FailureKind } from './errors.ts';
import { MESSAGES, type WolkvoxEnvelope } from './vendor.ts';

export type Answer =
  | { kind: 'done'; envelope: WolkvoxEnvelope }
  | { kind: FailureKind; reason: string; code?: number; msg?: string };

const SUCCESS_CODES = new Set([200, 201]);
const SUCCESS_ERROR_VALUES = new Set<unknown>(['null', null, '', undefined]);

/**
 * Classifies one wolkvox answer from the HTTP status and the raw body. HTTP status and the
 * body's `code` can disagree and `code` is sometimes a string (wolkvox-api.md A9, A10):
 * whichever says failure wins. 403 is overloaded (quota, concurrency, token, maintenance),
 * so it is told apart by `msg`.
 */
export function classifyAnswer(status: number, bodyText: string): Answer {
  const envelope = parseEnvelope(bodyText);
  const code = envelope ? Number(envelope.code) : undefined;
  const msg = envelope && typeof envelope.msg === 'string' ? envelope.msg : undefined;
  const httpOk = status >= 200 && status < 300;

  if (httpOk && envelope && code !== undefined && SUCCESS_CODES.has(code)) {
    if (SUCCESS_ERROR_VALUES.has(envelope.error))
      return { kind: 'done', envelope: envelope as WolkvoxEnvelope };
  }
  const failure = httpOk && code !== undefined && Number.isFinite(code) ? code : status;
  const described = { reason: describe(status, code, msg, bodyText), code, msg };

  const upperMsg = msg?.toUpperCase() ?? '';
  if (upperMsg.includes(MESSAGES.tokenLimit)) return { kind: 'quota', ...described };
  if (upperMsg.includes('SIMULTANEOUS')) return { kind: 'transient', ...described };
  if (upperMsg.includes(MESSAGES.validateToken) || upperMsg.includes(MESSAGES.enterToken)) {
    return { kind: 'auth', ...described };
  }
  if (!envelope) {
    // HTML error pages from a proxy, truncated bodies: the call's fate is unknown, so retry,
    // unless the status itself says the request can never succeed.
    return { kind: statusKind(status, true), ...described };
  }
  if (httpOk && !SUCCESS_CODES.has(failure)) return { kind: statusKind(failure, false), ...described };
  if (httpOk) return { kind: 'transient', ...described, reason: `unrecognised answer: ${described.reason}` };
  return { kind: statusKind(failure, false), ...described };
}

function statusKind(status: number, nonJson: boolean): FailureKind {
  if (status === 401) return 'auth';
  // Any other 403 is the undocumented maintenance answer, or an invalid-token variant whose
  // text was not recoverable; a token problem reads "TOKEN" and was matched above.
  if (status === 403) return 'transient';
  if (status === 408 || status === 429 || status >= 500) return 'transient';
  if (status >= 400) return 'permanent';
  return nonJson ? 'transient' : 'permanent';
}

function parseEnvelope(bodyText: string): (Partial<WolkvoxEnvelope> & { code: unknown }) | undefined {
  if (!bodyText.trimStart().startsWith('{')) return undefined;
  try {
    const parsed: unknown = JSON.parse(bodyText);
    if (parsed && typeof parsed === 'object' && 'code' in parsed) {
      return parsed as Partial<WolkvoxEnvelope> & { code: unknown };
    }
  } catch {
    // fall through: not an envelope
  }
  return undefined;
}

function describe(status: number, code: number | undefined, msg: string | undefined, body: string): string {
  if (msg !== undefined) return `HTTP ${status}, code ${code}: ${msg}`;
  // Only the start is shown: a 10 MB error page must not cost a scan per tag.
  const snippet = body
    .slice(0, 2_048)
    .replace(/<[^<>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 120);
  return `HTTP ${status}, unexpected body${snippet ? `: ${snippet}` : ' (empty)'}`;
}
