/**
 * The loopback world the functions talk to, in a child process of its own so that its CPU time
 * never counts as the functions': the wolkvox sandbox (2-concurrent limit enforced), a fake
 * Secrets Manager (counting GetSecretValue calls), a fake SQS and an in-memory DynamoDB (dynalite)
 * with the ledger table. The parent drives it over IPC: `startServices()`.
 */
import { forkServer, serveOps } from './child-rpc.ts';
import { LOCAL_SECRETS } from '#lib/local/defaults.ts';
import { SEED_RECORD_IDS, startSandbox } from '#lib/sandbox/index.ts';
import type { SandboxStats } from '#lib/sandbox/index.ts';
import { startDynalite } from '../lib/local/dynalite.ts';
import { startFakeSecretsManager } from '../test/support/fake-secrets-manager.ts';
import { startLocalSqs } from '../lib/local/sqs.ts';

export const SECRET_ID = 'wolkvox-webhooks/bench';
export const LEDGER_TABLE = 'ledger';
export const OPERATION = 'demo';
export const TOKEN = LOCAL_SECRETS.WOLKVOX_TOKEN;

export interface ServiceEndpoints {
  sandboxUrl: string;
  secretsManager: string;
  sqs: string;
  dynamodb: string;
}

export interface Services extends ServiceEndpoints {
  stats(): Promise<SandboxStats>;
  secretsCalls(): Promise<number>;
  setLatency(ms: number): Promise<void>;
  /** Creates obligations `<prefix>-0 … <prefix>-(count-1)` spread over the seeded records. */
  addObligations(prefix: string, count: number, balance: string): Promise<Target[]>;
  /** Balances of the obligations named, from the sandbox's state. */
  balances(targets: Target[]): Promise<string[]>;
  clearRequests(): Promise<void>;
  /** The tokens the sandbox accepts (several: one per shard, bench/latency.ts). */
  setTokens(tokens: string[]): Promise<void>;
  close(): Promise<void>;
}

export interface Target {
  wolkvoxId: string;
  obligation: string;
}

/** Forks this file as the services process and waits until everything listens. */
export async function startServices(): Promise<Services> {
  const server = await forkServer<ServiceEndpoints>(import.meta.filename, [], 'bench services');
  const { call } = server;
  const endpoints = server.ready;
  return {
    ...endpoints,
    stats: () => call('stats'),
    secretsCalls: () => call('secretsCalls'),
    setLatency: (ms) => call('setLatency', ms),
    addObligations: (prefix, count, balance) => call('addObligations', prefix, count, balance),
    balances: (targets) => call('balances', targets),
    clearRequests: () => call('clearRequests'),
    setTokens: (tokens) => call('setTokens', tokens),
    close: server.close,
  };
}

async function serve(): Promise<void> {
  // No daily quota in the way: a full run makes tens of thousands of calls (the vendor's example is 4,800).
  const sandbox = await startSandbox({ operation: OPERATION, tokens: [TOKEN], dailyQuota: 10_000_000 });
  const secretsManager = await startFakeSecretsManager({
    secrets: { [SECRET_ID]: JSON.stringify(LOCAL_SECRETS) },
  });
  const sqs = await startLocalSqs();
  const dynalite = await startDynalite();
  await dynalite.createTable(LEDGER_TABLE);

  const records = Object.values(SEED_RECORD_IDS);
  const ops: Record<string, (...args: never[]) => unknown> = {
    stats: () => sandbox.stats(),
    secretsCalls: () => secretsManager.calls.count,
    setLatency: (ms: number) => sandbox.setFaults({ latencyMs: ms }),
    clearRequests: () => sandbox.clearRequests(),
    setTokens: (tokens: string[]) => sandbox.setTokens(tokens),
    addObligations: async (prefix: string, count: number, balance: string) => {
      const targets: Target[] = [];
      for (let i = 0; i < count; i++) {
        const target = { wolkvoxId: records[i % records.length] ?? '', obligation: `${prefix}-${i}` };
        const response = await fetch(`${sandbox.url}/server/API/v2/collections/insertObligation.php`, {
          method: 'POST',
          headers: { 'wolkvox-token': TOKEN, 'content-type': 'application/json' },
          body: JSON.stringify({
            operation: OPERATION,
            wolkvox_id: target.wolkvoxId,
            fields: { id: target.obligation, name: `Bench ${i}`, total_balance: balance, days_delay: '10' },
          }),
        });
        if (!response.ok) throw new Error(`insertObligation ${target.obligation}: ${await response.text()}`);
        targets.push(target);
      }
      return targets;
    },
    balances: (targets: Target[]) => {
      const state = sandbox.state();
      return targets.map(
        (t) =>
          state.records
            .find((r) => r.wolkvox_id === t.wolkvoxId)
            ?.obligations.find((o) => o.id === t.obligation)?.total_balance ?? '',
      );
    },
    close: async () => {
      await sandbox.close();
      await secretsManager.close();
      await sqs.close();
      await dynalite.close();
      setImmediate(() => process.exit(0));
    },
  };

  serveOps(ops, {
    sandboxUrl: sandbox.url,
    secretsManager: secretsManager.endpoint,
    sqs: sqs.endpoint,
    dynamodb: dynalite.endpoint,
  } satisfies ServiceEndpoints);
}

if (import.meta.main) await serve();
