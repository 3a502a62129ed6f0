import { randomUUID } from 'node:crypto';
import {
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { ServiceError } from '#lib/errors.ts';
import { ledgerTableClient } from '#lib/ledger/table-client.ts';
import type { EventSourceMappings } from './lambda-api.ts';

/**
 * The worker's intake: the event source mapping through which Lambda receives the work queue's
 * messages for wolkvoxSync. Paused (the mapping disabled), SQS keeps every message, receives
 * nothing and counts no receive, however long wolkvox stays down; the messages wait within the
 * queue's 14-day retention. A pause is recorded beside the ledger with its reason, so the probe
 * resumes only what the breaker paused, never a mapping an operator disabled by hand.
 */
export interface PausedIntake {
  /** The event source mapping's UUID. */
  mappingId: string;
  /** Which pause: a resume deletes the record only if nobody paused again since it read it. */
  pauseId: string;
  /** ISO time of the first pause of this outage. */
  since: string;
  /** ISO time of the latest pause (a failed trial pauses again). */
  latest: string;
  reason: string;
}

/** Which event source mapping: the worker's function and the queue its records came from. */
export interface IntakeSource {
  functionName: string;
  queueArn: string;
}

export interface Intake {
  /** Records the pause, then disables the mapping. Pausing again renews the record (its `since` stays). */
  pause(source: IntakeSource, reason: string): Promise<void>;
  /** The pause the breaker recorded, if any. */
  paused(): Promise<PausedIntake | undefined>;
  /** Enables the mapping, then forgets the pause. */
  resume(paused: PausedIntake): Promise<void>;
}

/** The pause could not be recorded or applied: the worker goes on retrying with backoff. */
export class IntakeError extends ServiceError {
  override readonly name = 'IntakeError';
  constructor(message: string, cause: unknown) {
    super('queue', 'transient', message, { cause });
  }
}

export interface AwsIntakeOptions {
  /** LEDGER_TABLE: the pause is one item, `INTAKE#wolkvoxSync`. */
  tableName: string;
  dynamo?: DynamoDBClient;
  /** Default: the Lambda API of the DynamoDB client's region, signed with its credentials. */
  mappings?: EventSourceMappings;
  /** TOKEN_SHARD: each shard's worker pauses and resumes its own queue's mapping. */
  shard?: number;
  now?: () => Date;
}

/** Shard 0 keeps the key from before shards, so a pause recorded then is still resumed. */
const intakeKey = (shard = 0) => ({
  pk: { S: shard === 0 ? 'INTAKE#wolkvoxSync' : `INTAKE#wolkvoxSync#shard${shard}` },
  sk: { S: 'INTAKE' },
});

/**
 * Deployments: the pause in DynamoDB (the ledger's client library, already loaded), the mapping
 * through the Lambda API (loaded on first use: a worker that never sees an outage never loads it).
 * Named imports, not the SDK's namespace: a namespace keeps every DynamoDB command in the bundle.
 */
export function awsIntake(options: AwsIntakeOptions): Intake {
  const now = options.now ?? (() => new Date());
  const key = intakeKey(options.shard);
  let clients: Promise<{ dynamo: DynamoDBClient; mappings: EventSourceMappings }> | undefined;
  const ready = () =>
    (clients ??= (async () => {
      const { eventSourceMappings } = await import('./lambda-api.ts');
      const dynamo = options.dynamo ?? ledgerTableClient();
      const mappings =
        options.mappings ??
        eventSourceMappings({
          region: () => dynamo.config.region(),
          credentials: () => dynamo.config.credentials(),
          sha256: dynamo.config.sha256,
          // The SDK's own variables for a service's endpoint (tests point it at a loopback fake).
          endpoint: process.env.AWS_ENDPOINT_URL_LAMBDA ?? process.env.AWS_ENDPOINT_URL,
        });
      return { dynamo, mappings };
    })().catch((error: unknown) => {
      clients = undefined;
      throw error;
    }));

  return {
    async pause(source, reason) {
      try {
        const { dynamo, mappings } = await ready();
        const mappingId = await mappings.find(source.functionName, source.queueArn);
        if (!mappingId) throw new Error(`no event source mapping from ${source.queueArn}`);
        // Recorded first (a mapping disabled without a record would never be resumed), and always
        // with a new pause id: a resume that read an older pause must not delete this one.
        await dynamo.send(
          new UpdateItemCommand({
            TableName: options.tableName,
            Key: key,
            UpdateExpression:
              'SET mappingId = :mappingId, reason = :reason, pauseId = :pauseId, latest = :now, ' +
              'since = if_not_exists(since, :now)',
            ExpressionAttributeValues: {
              ':mappingId': { S: mappingId },
              ':reason': { S: reason },
              ':pauseId': { S: randomUUID() },
              ':now': { S: now().toISOString() },
            },
          }),
        );
        await mappings.setEnabled(mappingId, false);
      } catch (error) {
        throw new IntakeError('could not pause the intake', error);
      }
    },

    async paused() {
      try {
        const { dynamo } = await ready();
        const { Item } = await dynamo.send(
          new GetItemCommand({ TableName: options.tableName, Key: key, ConsistentRead: true }),
        );
        const mappingId = Item?.mappingId?.S;
        if (!mappingId) return undefined;
        return {
          mappingId,
          pauseId: Item?.pauseId?.S ?? '',
          since: Item?.since?.S ?? '',
          latest: Item?.latest?.S ?? Item?.since?.S ?? '',
          reason: Item?.reason?.S ?? '',
        };
      } catch (error) {
        throw new IntakeError('could not read the intake state', error);
      }
    },

    async resume(paused) {
      try {
        const { dynamo, mappings } = await ready();
        await mappings.setEnabled(paused.mappingId, true);
        await dynamo.send(
          new DeleteItemCommand({
            TableName: options.tableName,
            Key: key,
            ConditionExpression: 'pauseId = :pauseId',
            ExpressionAttributeValues: { ':pauseId': { S: paused.pauseId } },
          }),
        );
      } catch (error) {
        // Paused again meanwhile (a worker still failing): that pause stands, and the next probe decides.
        if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return;
        throw new IntakeError('could not resume the intake', error);
      }
    },
  };
}

/** Tests and the fault-injection harness: the pause as a flag the harness' event source obeys. */
export function memoryIntake(
  now: () => Date = () => new Date(),
): Intake & { readonly state: PausedIntake | undefined } {
  let state: PausedIntake | undefined;
  return {
    get state() {
      return state;
    },
    async pause(_source, reason) {
      const at = now().toISOString();
      state = { mappingId: 'memory', pauseId: randomUUID(), since: state?.since ?? at, latest: at, reason };
    },
    async paused() {
      return state;
    },
    async resume(paused) {
      if (state?.pauseId === paused.pauseId) state = undefined;
    },
  };
}
