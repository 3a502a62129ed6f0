import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { newAwsClient } from '#lib/aws-client.ts';

let client: DynamoDBClient | undefined;

/**
 * The container's one client for the ledger table (LEDGER_TABLE), shared by what keeps items there:
 * the ledger's events and records, the intake's pause record, the quota's reading turns — one
 * configuration resolved and one connection pool, not three. Made on first use, so a cold start pays
 * for it only when a message needs it, and after the first invocation has loaded the tracer.
 */
export function ledgerTableClient(): DynamoDBClient {
  return (client ??= newAwsClient(DynamoDBClient));
}
