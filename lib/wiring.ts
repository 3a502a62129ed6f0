import { ChangeMessageVisibilityCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createDynamoLedger } from './ledger/dynamodb.ts';
import { createMemoryLedger } from './ledger/memory.ts';
import type { Ledger } from './ledger/types.ts';
import { MAX_VISIBILITY_SECONDS } from './worker/retry.ts';
import type { Config } from './config.ts';
import { directDispatcher } from './dispatch/direct.ts';
import { queueDispatcher } from './dispatch/queue.ts';
import type { Dispatcher, ParkedEvent } from './dispatch/types.ts';
import type { Dispatcher as HttpDispatcher } from 'undici';
import type { PaymentReceived, TicketResolved } from './events.ts';
import { webhookIngress } from './http/ingress.ts';
import { createLogger, type Logger, type LogLevel } from './log.ts';
import { createSecretsSource, type SecretsSource } from './secrets/index.ts';
import { paymentSources } from './sources/payments/index.ts';
import { ticketSources } from './sources/tickets/index.ts';
import { caseCommand } from './translate/case.ts';
import { formatMajor, paymentCommand } from './translate/obligation.ts';
import { type CallRecord, createWolkvoxClient, type WolkvoxClient } from './wolkvox/client.ts';
import { wolkvoxTokenFrom } from './wolkvox/token.ts';
import type { AttachmentFetcher } from './worker/apply.ts';
import { wolkvoxSyncHandler } from './worker/sync.ts';

/** What the functions are built from; tests and local tools pass their own pieces. */
export interface Runtime {
  config: Config;
  secrets: SecretsSource;
  client: WolkvoxClient;
  dispatcher: Dispatcher;
  attachments: AttachmentFetcher;
  ledger: Ledger;
  sqs: SQSClient | undefined;
  logger: Logger;
  now: () => Date;
}

export interface RuntimeOverrides {
  secrets?: SecretsSource;
  sqs?: SQSClient;
  now?: () => Date;
  logger?: Logger;
  logLevel?: LogLevel;
  onPark?: (event: ParkedEvent) => void;
  /** Observes every wolkvox call (local tools print them). */
  onCall?: (call: CallRecord) => void;
  /** Local runs serve sample attachments from disk (lib/local/attachments.ts); tests use loopback. */
  attachmentDispatcher?: HttpDispatcher;
  /** The applied-events ledger; default: DynamoDB with LEDGER_TABLE, else in memory (local runs). */
  ledger?: Ledger;
}

/** Everything built once per container (cold start): cheap objects, no network until a request needs it. */
export function createRuntime(config: Config, overrides: RuntimeOverrides = {}): Runtime {
  const logger = overrides.logger ?? createLogger('wolkvox-webhooks', overrides.logLevel ?? config.logLevel);
  const now = overrides.now ?? (() => new Date());
  const secrets =
    overrides.secrets ??
    createSecretsSource({
      secretId: config.secrets.secretId,
      ttlMs: config.secrets.ttlMs,
      inLambda: config.inLambda,
    });
  const client = createWolkvoxClient({
    baseUrl: config.wolkvox.baseUrl,
    operation: config.wolkvox.operation,
    token: wolkvoxTokenFrom(secrets),
    timeoutMs: config.wolkvox.timeoutMs,
    obligationUpdateMethod: config.wolkvox.obligationUpdateMethod,
    onCall: overrides.onCall,
  });
  const attachments: AttachmentFetcher = async (refs, provider, signal) => {
    // Loaded on first use: only resolved tickets with files need the downloader.
    const { attachmentHostsFor, authorizationFor, fetchAttachments } = await import('./attachments/index.ts');
    const policy = {
      ...config.attachments,
      allowedHosts: attachmentHostsFor(provider, {
        zendeskSubdomain: config.zendesk.subdomain,
        jiraSite: config.jira.site,
      }),
      authorization: authorizationFor(provider, await secrets.get()),
    };
    return fetchAttachments(refs, policy, { signal, dispatcher: overrides.attachmentDispatcher });
  };
  const ledger =
    overrides.ledger ??
    (config.queue.ledgerTable
      ? createDynamoLedger({ tableName: config.queue.ledgerTable })
      : createMemoryLedger());
  const dispatcher =
    config.dispatch === 'queue'
      ? queueDispatcher({
          queueUrl: config.queue.url ?? '',
          parkedQueueUrl: config.queue.parkedUrl ?? '',
          client: overrides.sqs,
          now,
        })
      : directDispatcher({
          client,
          rules: config.obligations,
          attachments,
          ledger,
          now,
          onPark: overrides.onPark,
        });
  return { config, secrets, client, dispatcher, attachments, ledger, sqs: overrides.sqs, logger, now };
}

export function paymentReceivedHandler(runtime: Runtime) {
  const { config } = runtime;
  return webhookIngress<PaymentReceived>({
    ...runtime,
    sources: paymentSources(config),
    translate: (event) => paymentCommand(event, config.obligations),
    describe: (event) => ({
      eventId: event.eventId,
      summary: {
        eventType: event.eventType,
        paymentId: event.payment.paymentId,
        amount: formatMajor(event.payment.amount),
        currency: event.payment.amount.currency,
        paidAt: event.payment.paidAt,
        livemode: event.livemode,
      },
    }),
  });
}

export function wolkvoxSyncFromRuntime(runtime: Runtime) {
  return wolkvoxSyncHandler({
    client: runtime.client,
    rules: runtime.config.obligations,
    attachments: runtime.attachments,
    ledger: runtime.ledger,
    delayMessage: async (receiptHandle, seconds) => {
      runtime.sqs ??= new SQSClient({});
      await runtime.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: runtime.config.queue.url,
          ReceiptHandle: receiptHandle,
          VisibilityTimeout: Math.min(MAX_VISIBILITY_SECONDS, seconds),
        }),
      );
    },
    park: (event) => runtime.dispatcher.park(event),
    logger: runtime.logger,
    now: runtime.now,
  });
}

/** POST /webhooks/tickets/{provider}: Zendesk, Freshdesk, Jira. */
export function ticketResolvedHandler(runtime: Runtime) {
  const { config } = runtime;
  const operation = config.wolkvox.operation;
  return webhookIngress<TicketResolved>({
    ...runtime,
    sources: ticketSources({ operation, zendesk: config.zendesk, jira: config.jira }),
    translate: (event) => caseCommand(event, config.cases, operation),
    describe: (event) => ({
      eventId: event.eventId,
      summary: {
        ticketId: event.ticketId,
        caseId: event.caseId,
        resolvedAt: event.resolvedAt,
        attachments: event.attachments.length,
      },
    }),
  });
}
