// Messages carry the operation, the event identity and the AWS error name: never a fingerprint or a record's content.
import { ServiceError } from '#lib/errors.ts';

export type LedgerOperation = 'claim' | 'prepare' | 'settle' | 'release' | 'endLease' | 'park' | 'read';

/**
 * The ledger could not do what was asked. Always transient for the message: SQS redelivers it,
 * and the next attempt claims anew (recovering the event if an earlier attempt left it prepared).
 */
export class LedgerError extends ServiceError {
  override readonly name: string = 'LedgerError';
  readonly operation: LedgerOperation;
  readonly identity: string;

  constructor(message: string, options: ErrorOptions & { operation: LedgerOperation; identity: string }) {
    super('ledger', 'transient', message, options);
    this.operation = options.operation;
    this.identity = options.identity;
  }
}

/** The ledger's store could not answer (throttling, network, a misconfigured table): retry the message. */
export class LedgerUnavailableError extends LedgerError {
  override readonly name = 'LedgerUnavailableError';
  readonly awsErrorName: string;

  constructor(operation: LedgerOperation, identity: string, cause: unknown) {
    const awsErrorName = errorName(cause);
    super(`Ledger ${operation} for "${identity}" failed: ${awsErrorName} (retryable)`, {
      operation,
      identity,
      cause,
    });
    this.awsErrorName = awsErrorName;
  }
}

/**
 * The token no longer owns the event: its lease expired and another attempt claimed it, or the
 * event was settled or released by someone else. Retrying with the same token cannot succeed;
 * the message's next attempt claims with a new one.
 */
export class ClaimLostError extends LedgerError {
  override readonly name = 'ClaimLostError';

  constructor(operation: Exclude<LedgerOperation, 'claim'>, identity: string, why: string) {
    super(`Ledger ${operation} for "${identity}" rejected: ${why}`, {
      operation,
      identity,
    });
  }
}

/** The SDK's name for what `client.send` threw; socket errors are plain Errors whose `code` says more. */
export function errorName(error: unknown): string {
  if (typeof error !== 'object' || error === null) return 'UnknownError';
  const { name, code } = error as { name?: unknown; code?: unknown };
  if (name === 'Error' && typeof code === 'string') return code;
  return typeof name === 'string' ? name : 'UnknownError';
}
