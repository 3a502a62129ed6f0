import type { Config } from '#lib/config.ts';
import { type DirectDispatch, directDispatch } from '#lib/dispatch/direct.ts';
import { createDynamoLedger } from '#lib/ledger/dynamodb.ts';
import { createMemoryLedger } from '#lib/ledger/memory.ts';
import type { Logger } from '#lib/log.ts';
import type { SecretStore } from '#lib/secrets/index.ts';
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
): WorkerSide {
  const client = createWolkvoxClient({
    baseUrl: config.wolkvox.baseUrl,
    operation: config.wolkvox.operation,
    token: wolkvoxTokenFrom(secrets, config.wolkvox.tokenShard),
    timeoutMs: config.wolkvox.timeoutMs,
    obligationUpdateMethod: config.wolkvox.obligationUpdateMethod,
    maxInFlight: config.wolkvox.maxInFlight,
    onCall: overrides.onCall,
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
      : createMemoryLedger());
  return { client, attachments, ledger };
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
