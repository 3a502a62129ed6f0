import { type FailureKind, ServiceError } from '#lib/errors.ts';

/**
 * How a failed wolkvox call is handled (DESIGN.md, worker outcomes), in the one vocabulary of
 * lib/errors.ts: transient (network, timeout, 5xx, non-JSON, maintenance, concurrency), quota (hold
 * until the daily reset), auth (refresh the token once, then retry later and alarm), permanent
 * (parked with the reason, never retried blindly).
 */
export type { FailureKind };

export interface WolkvoxErrorDetails {
  kind: FailureKind;
  endpoint: string;
  /** HTTP status, when an answer arrived. */
  status?: number;
  /** The envelope's `code`, as a number, when the body parsed. */
  code?: number;
  /** wolkvox's own `msg` (never contains the token: wolkvox does not echo it). */
  wolkvoxMessage?: string;
  /** The request left and no answer came (a timeout, a reset): wolkvox may still act on it. */
  unanswered?: boolean;
  cause?: unknown;
}

export class WolkvoxError extends ServiceError {
  override readonly name = 'WolkvoxError';
  readonly endpoint: string;
  readonly status: number | undefined;
  readonly code: number | undefined;
  readonly wolkvoxMessage: string | undefined;
  readonly unanswered: boolean;

  constructor(summary: string, details: WolkvoxErrorDetails) {
    super('wolkvox', details.kind, `wolkvox ${details.endpoint}: ${summary}`, { cause: details.cause });
    this.endpoint = details.endpoint;
    this.status = details.status;
    this.code = details.code;
    this.wolkvoxMessage = details.wolkvoxMessage;
    this.unanswered = details.unanswered ?? false;
  }
}
