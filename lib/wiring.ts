import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Config } from './config.ts';
import { directDispatcher } from './dispatch/direct.ts';
import { queueDispatcher } from './dispatch/queue.ts';
import type { Dispatcher, ParkedEvent } from './dispatch/types.ts';
import type { PaymentReceived } from './events.ts';
import { webhookIngress } from './http/ingress.ts';
import { createLogger, type Logger, type LogLevel } from './log.ts';
import { createSecretsSource, type SecretsSource } from './secrets/index.ts';
import { paymentSources } from './sources/payments/index.ts';
import { formatMajor, paymentCommand } from './translate/obligation.ts';
import { type CallRecord, createWolkvoxClient, type WolkvoxClient } from './wolkvox/client.ts';
import { wolkvoxTokenFrom } from './wolkvox/token.ts';
import { wolkvoxSyncHandler } from './worker/sync.ts';

/** What the functions are built from; tests and local tools pass their own pieces. */
export interface Runtime {
  config: Config;
  secrets: SecretsSource;
  client: WolkvoxClient;
  dispatcher: Dispatcher;
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
  const dispatcher =
    config.dispatch === 'queue'
      ? queueDispatcher({
          queueUrl: config.queue.url ?? '',
          parkedQueueUrl: config.queue.parkedUrl ?? '',
          client: overrides.sqs,
          now,
        })
      : directDispatcher({ client, rules: config.obligations, now, onPark: overrides.onPark });
  return { config, secrets, client, dispatcher, logger, now };
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
    park: (event) => runtime.dispatcher.park(event),
    logger: runtime.logger,
    now: runtime.now,
  });
}

/** POST /webhooks/tickets/{provider}: no helpdesk is served yet, so every provider is a 404. */
export function ticketResolvedHandler(runtime: Runtime) {
  return webhookIngress<never>({
    ...runtime,
    sources: {},
    translate: () => ({ park: 'no helpdesk is served yet' }),
    describe: () => ({ eventId: '', summary: {} }),
  });
}
