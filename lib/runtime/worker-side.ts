import type { Config } from '#lib/config.ts';
import { type DirectDispatch, directDispatch } from '#lib/dispatch/direct.ts';
import { createDynamoLedger } from '#lib/ledger/dynamodb.ts';
import type { Ledger } from '#lib/ledger/types.ts';
import type { Logger } from '#lib/log.ts';
import type { SecretStore } from '#lib/secrets/index.ts';
import { countWolkvoxCall, type Metrics } from '#lib/telemetry.ts';
import { createWolkvoxClient } from '#lib/wolkvox/client.ts';
import { wolkvoxTokenFrom } from '#lib/wolkvox/token.ts';
import type { AttachmentFetcher } from '#lib/worker/apply.ts';
import type { Runtime, RuntimeOverrides } from './types.ts';

/** What applying a command needs: the wolkvox client, the attachment downloader and the ledger. */
export type WorkerSide = Pick<Runtime, 'client' | 'attachments' | 'ledger'>;

/**
 * The worker's side, also loaded by ingress in local runs (DISPATCH=direct) on its first event.
 * Cheap objects: the HTTP agent and the DynamoDB client are created on first use.
 */
export function createWorkerSide(
  config: Config,
  overrides: RuntimeOverrides,
  secrets: SecretStore,
  metrics?: Metrics,
): WorkerSide {
  const client = createWolkvoxClient({
    baseUrl: config.wolkvox.baseUrl,
    operation: config.wolkvox.operation,
    token: wolkvoxTokenFrom(secrets, config.wolkvox.tokenShard),
    timeoutMs: config.wolkvox.timeoutMs,
    obligationUpdateMethod: config.wolkvox.obligationUpdateMethod,
    maxInFlight: config.wolkvox.maxInFlight,
    onCall: (call) => {
      countWolkvoxCall(metrics, call);
      overrides.onCall?.(call);
    },
  });
  const attachments: AttachmentFetcher = async (refs, provider, signal) => {
    // Loaded on first use: only resolved tickets with files need the downloader and the helpdesk's code.
    const [{ fetchAttachments }, { attachmentAccess }] = await Promise.all([
      import('#lib/attachments/index.ts'),
      import('#lib/providers/loader.ts'),
    ]);
    const access = await attachmentAccess(config, provider, await secrets.get());
    const policy = { ...config.attachments, allowedHosts: access.hosts, authorization: access.authorization };
    return fetchAttachments(refs, policy, { signal, dispatcher: overrides.attachmentDispatcher });
  };
  const ledger =
    overrides.ledger ??
    (config.queue.ledgerTable
      ? createDynamoLedger({
          tableName: config.queue.ledgerTable,
          retentionMs: config.queue.ledgerRetentionMs,
        })
      : memoryLedgerOnFirstUse());
  return { client, attachments, ledger };
}

/**
 * The in-memory ledger of local runs without LEDGER_TABLE, loaded by its first call: a deployed
 * worker always has a table, so its cold start need not load this one. Each method of the memory
 * ledger still runs without an await inside, so concurrent calls cannot interleave within one.
 */
function memoryLedgerOnFirstUse(): Ledger {
  let loading: Promise<Ledger> | undefined;
  const ledger = () => (loading ??= import('#lib/ledger/memory.ts').then((m) => m.createMemoryLedger()));
  return {
    claim: async (...args) => (await ledger()).claim(...args),
    newest: async (...args) => (await ledger()).newest(...args),
    prepare: async (...args) => (await ledger()).prepare(...args),
    settle: async (...args) => (await ledger()).settle(...args),
    release: async (...args) => (await ledger()).release(...args),
    endLease: async (...args) => (await ledger()).endLease(...args),
    park: async (...args) => (await ledger()).park(...args),
    read: async (...args) => (await ledger()).read(...args),
  };
}

/** DISPATCH=direct (local runs): the worker's code applied in the same process. */
export function createDirectDispatch(
  config: Config,
  overrides: RuntimeOverrides,
  side: WorkerSide,
  now: () => Date,
  logger: Logger,
): DirectDispatch {
  return directDispatch({
    client: side.client,
    rules: config.obligations,
    attachments: side.attachments,
    ledger: side.ledger,
    logger,
    now,
    onPark: overrides.onPark,
  });
}
