import { createDynamoLedger, type DynamoLedgerOptions } from './dynamodb.ts';
import { createMemoryLedger } from './memory.ts';
import type { Ledger } from './types.ts';

export { DEFAULT_RETENTION_MS } from './common.ts';
export { createDynamoLedger, type DynamoLedgerOptions } from './dynamodb.ts';
export { ClaimLostError, LedgerError, type LedgerOperation, LedgerUnavailableError } from './errors.ts';
export { createMemoryLedger, type MemoryLedgerOptions } from './memory.ts';
export type { Claim, ClaimOptions, EventKind, Fingerprints, Ledger, LedgerEntry } from './types.ts';

export interface LedgerOptions extends Omit<DynamoLedgerOptions, 'tableName'> {
  /** LEDGER_TABLE; blank counts as unset. */
  tableName?: string | undefined;
  /** Whether this runs inside AWS Lambda; the caller derives it from AWS_LAMBDA_FUNCTION_NAME. */
  inLambda: boolean;
}

/**
 * DynamoDB when LEDGER_TABLE is set; memory outside Lambda without it; an init failure inside
 * Lambda without it, because a per-container memory ledger would let duplicates through unseen.
 */
export function createLedger(options: LedgerOptions): Ledger {
  const tableName = options.tableName?.trim();
  if (tableName) return createDynamoLedger({ ...options, tableName });
  if (options.inLambda) {
    throw new Error(
      'LEDGER_TABLE is required inside AWS Lambda: set it to the DynamoDB table holding the ledger',
    );
  }
  return createMemoryLedger(options);
}
