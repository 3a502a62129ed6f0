import { loopbackClientConfig } from './aws.ts';
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';

// dynalite is CommonJS without type declarations; this is the one call the tests make.
const dynalite = createRequire(import.meta.url)('dynalite') as (options: {
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}) => Server;

export interface Dynalite {
  /** `http://127.0.0.1:PORT` */
  endpoint: string;
  client: DynamoDBClient;
  /** A table with the ledger's schema (string `pk`, string `sk`), on demand, waited until ACTIVE. */
  createTable(name: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * An in-memory DynamoDB (dynalite) on 127.0.0.1 (`port` 0: a free one), and a client for it with
 * fake credentials: the tests', the bench's and `npm start -- --queue`'s ledger table.
 */
export async function startDynalite(port = 0): Promise<Dynalite> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient(loopbackClientConfig(endpoint));
  return {
    endpoint,
    client,
    async createTable(name) {
      await client.send(
        new CreateTableCommand({
          TableName: name,
          AttributeDefinitions: [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'sk', AttributeType: 'S' },
          ],
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
      // createTableMs 0 still answers CREATING first; ACTIVE follows on the next tick.
      for (let i = 0; i < 100; i++) {
        const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
        if (Table?.TableStatus === 'ACTIVE') return;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      throw new Error(`dynalite table ${name} never became ACTIVE`);
    },
    close: async () => {
      client.destroy();
      server.closeAllConnections();
      // dynalite's close calls back once its LevelDB store is closed too, after the socket's 'close'.
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}
