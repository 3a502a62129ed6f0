import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Dispatcher as HttpDispatcher } from 'undici';
import type { Config } from '#lib/config.ts';
import type { Dispatch, ParkedEvent } from '#lib/dispatch/types.ts';
import type { SqsOnDemand } from '#lib/dispatch/queue.ts';
import type { Ledger } from '#lib/ledger/types.ts';
import type { Logger, LogLevel } from '#lib/log.ts';
import type { SecretStore } from '#lib/secrets/index.ts';
import type { Metrics } from '#lib/telemetry.ts';
import type { CallRecord, WolkvoxClient } from '#lib/wolkvox/client.ts';
import type { AttachmentFetcher } from '#lib/worker/apply.ts';
import type { Intake } from '#lib/worker/intake.ts';

// Types only: each function's entry point imports just the runtime it needs (ingress.ts or
// worker.ts), so a bundle carries only its own dependency graph.

/** What an ingress function is built from: verify, translate, hand to the dispatch. */
export interface IngressRuntime {
  config: Config;
  secrets: SecretStore;
  dispatch: Dispatch;
  logger: Logger;
  /** CloudWatch EMF (lib/telemetry.ts): off outside Lambda unless POWERTOOLS_METRICS_DISABLED=false. */
  metrics: Metrics;
  now: () => Date;
}

/** Everything, the worker's side included; tests and local tools pass their own pieces. */
export interface Runtime extends IngressRuntime {
  client: WolkvoxClient;
  attachments: AttachmentFetcher;
  ledger: Ledger;
  /** The container's SQS client, made on first use: delays and parks messages. */
  sqs: SqsOnDemand;
  /** The worker's event source, paused while wolkvox is down (deployments: LEDGER_TABLE set). */
  intake: Intake | undefined;
}

export interface RuntimeOverrides {
  secrets?: SecretStore;
  sqs?: SQSClient;
  now?: () => Date;
  logger?: Logger;
  /** Tests pass one that keeps what is emitted (test/support/metrics.ts). */
  metrics?: Metrics;
  logLevel?: LogLevel;
  onPark?: (event: ParkedEvent) => void;
  /** Observes every wolkvox call (local tools print them). */
  onCall?: (call: CallRecord) => void;
  /** Local runs serve sample attachments from disk (lib/local/attachments.ts); tests use loopback. */
  attachmentDispatcher?: HttpDispatcher;
  /** The applied-events ledger; default: DynamoDB with LEDGER_TABLE, else in memory (local runs). */
  ledger?: Ledger;
  /** Default: the Lambda event source mapping, its pause recorded in LEDGER_TABLE; none without one. */
  intake?: Intake;
}
