/**
 * How a failed wolkvox call should be handled (DESIGN.md, worker outcomes):
 * - transient: retry with backoff (network, timeout, 5xx, non-JSON, maintenance, concurrency);
 * - quota: hold until the token's daily reset, without burning retries;
 * - auth: refresh the token once, then retry later and alarm;
 * - permanent: dead-letter with the reason, never retried blindly.
 */
export type FailureKind = 'transient' | 'quota' | 'auth' | 'permanent';

export interface WolkvoxErrorDetails {
  kind: FailureKind;
  endpoint: string;
  /** HTTP status, when an answer arrived. */
  status?: number;
  /** The envelope's `code`, as a number, when the body parsed. */
  code?: number;
  /** wolkvox's own `msg` (never contains the token: wolkvox does not echo it). */
  wolkvoxMessage?: string;
  cause?: unknown;
}

export class WolkvoxError extends Error {
  override readonly name = 'WolkvoxError';
  readonly kind: FailureKind;
  readonly endpoint: string;
  readonly status: number | undefined;
  readonly code: number | undefined;
  readonly wolkvoxMessage: string | undefined;

  constructor(summary: string, details: WolkvoxErrorDetails) {
    super(`wolkvox ${details.endpoint}: ${summary}`, { cause: details.cause });
    this.kind = details.kind;
    this.endpoint = details.endpoint;
    this.status = details.status;
    this.code = details.code;
    this.wolkvoxMessage = details.wolkvoxMessage;
  }

  get retryable(): boolean {
    return this.kind !== 'permanent';
  }
}
