import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { traced } from '#lib/tracing.ts';

let client: DynamoDBClient | undefined;

/**
 * The container's one client for the ledger table (LEDGER_TABLE), shared by what keeps items there:
 * the ledger's events and records, the intake's pause record, the quota's reading turns — one
 * configuration resolved and one connection pool, not three. Made on first use, so a cold start pays
 * for it only when a message needs it, and after the first invocation has loaded the tracer.
 */
export function ledgerTableClient(): DynamoDBClient {
  // The SDK has no request timeout by default; a hung socket must not eat the worker's whole timeout.
  return (client ??= traced(
    new DynamoDBClient({ requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000 } }),
  ));
}
