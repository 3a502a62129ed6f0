import {
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { Logger } from '@aws-lambda-powertools/logger';
import type { LogItemExtraInput, LogItemMessage } from '@aws-lambda-powertools/logger/types';
import { queuedMessageSchema } from '#lib/dispatch/message.ts';
import { createDynamoLedger } from '#lib/ledger/dynamodb.ts';
import { queueNames } from '#lib/ops/redrive.ts';
import { stageResources } from '#lib/ops/status.ts';
import type { Runtime, RuntimeOverrides } from '#lib/runtime/types.ts';
import type { CallRecord } from '#lib/wolkvox/client.ts';
import { awsIntake, type Intake } from '#lib/worker/intake.ts';
import { intakeProbeHandler, wolkvoxSyncHandler } from '#lib/wiring.ts';
import { type Dynalite, startDynalite } from './dynalite.ts';
import { localContext } from './runtime.ts';
import { type LocalSqs, type SqsObservation, startLocalSqs } from './sqs.ts';

/**
 * `npm start -- --queue`: the deployed path on a developer's machine. Ingress enqueues into the
 * in-process SQS FIFO model (lib/local/sqs.ts: groups, visibility, receive counts, a DLQ after 20
 * receives, the parked queue), drained by the real worker handler in two slots — the event source's
 * maximumConcurrency, each slot a container with its own wolkvox client (1 request in flight) and
 * outage breaker — against the real DynamoDB ledger on dynalite, whose conditional writes are what
 * make retries safe. Both listen on fixed loopback ports as the `local` stage, so `npm run redrive`
 * and `npm run status` reach them through AWS_ENDPOINT_URL_*. Every step is told on the console.
 */
export const STAGE = 'local';
/** serverless.yml: the work queue's settings and the event source's. */
const VISIBILITY_TIMEOUT_SECONDS = 360;
const MAX_RECEIVE_COUNT = 20;
const BATCH_SIZE = 5;
const SLOTS = 2;
/** The worker's timeout (serverless.yml): each invocation's deadline. */
const WORKER_TIMEOUT_MS = 60_000;
/** How often an idle slot polls again (Lambda long-polls; the model answers at once). */
const IDLE_POLL_MS = 200;
const PROBE_EVERY_MS = 60_000;

export interface QueueModeOptions {
  /** The SQS model's port, dynalite on the next one; 0: free ports (tests). Default 4566. */
  port?: number;
  /** Where each step is told (default console.log). */
  say?: (line: string) => void;
}

/** A worker step of one command, for the browser console (lib/local/console/journal.ts). */
export interface QueueStep {
  kind: 'queue';
  identity: string;
  event: string;
  detail?: Record<string, string | number | boolean>;
}

export interface QueueMode {
  /** Settings that give the local runtime the deployed dispatch: queue URLs, ledger table. */
  env: Record<string, string>;
  /** The SQS client and ledger for the ingress runtime. */
  ingressOverrides: RuntimeOverrides;
  /** Starts the two worker slots; `container` builds one runtime (a Lambda container) per slot. */
  drain(container: (overrides: RuntimeOverrides) => Runtime): void;
  sqs: LocalSqs;
  dynalite: Dynalite;
  /** Moves the queue's clock forward: a held message comes back now instead of after its backoff. */
  advance(seconds: number): void;
  /** Environment lines that point `npm run redrive` and `npm run status` here. */
  toolEnv: Record<string, string>;
  /** Where the worker's steps go besides the console lines: the browser console's journal. */
  onStep(sink: (step: QueueStep) => void): void;
  close(): Promise<void>;
}

/** The worker's Powertools logger, its lines told as steps; JSON only for errors (a bug, a crash). */
class NarratingLogger extends Logger {
  readonly #tell: (message: string, fields: Record<string, unknown>) => void;
  constructor(tell: (message: string, fields: Record<string, unknown>) => void) {
    super({ serviceName: 'wolkvox-webhooks', logLevel: 'ERROR' });
    this.#tell = tell;
  }
  /** The worker logs each record through a child (its correlation id): the child narrates too. */
  override createChild(): Logger {
    return new NarratingLogger(this.#tell);
  }
  #forward(input: LogItemMessage, extra: LogItemExtraInput) {
    const message = typeof input === 'string' ? input : input.message;
    const fields = Object.assign({}, typeof input === 'string' ? {} : input, ...extra) as Record<
      string,
      unknown
    >;
    this.#tell(message, fields);
  }
  override info(input: LogItemMessage, ...extra: LogItemExtraInput): void {
    this.#forward(input, extra);
    super.info(input, ...extra);
  }
  override warn(input: LogItemMessage, ...extra: LogItemExtraInput): void {
    this.#forward(input, extra);
    super.warn(input, ...extra);
  }
  override error(input: LogItemMessage, ...extra: LogItemExtraInput): void {
    this.#forward(input, extra);
    super.error(input, ...extra);
  }
}

/** One worker log line as a step: the ones a developer follows; the rest by message and reason. */
export function describeWorkerLine(message: string, fields: Record<string, unknown>): string | undefined {
  const event = `${String(fields.provider ?? '?')} ${String(fields.eventId ?? '?')}`;
  switch (message) {
    case 'will retry':
      return `${event}: attempt ${String(fields.receiveCount)} failed (${String(fields.kind)}): ${String(fields.reason)}; retry in ${String(fields.retryInSeconds)} s`;
    case 'applied':
      return `${event}: applied to ${String(fields.record)}${fields.overpaidBy ? ` (overpaid by ${String(fields.overpaidBy)})` : ''}`;
    case 'skipped':
      return `${event}: skipped (${String(fields.reason)})`;
    case 'parked':
      // Told by the parked queue's observation, with ingress' parks alike.
      return undefined;
    default:
      return `${message}${fields.reason ? `: ${String(fields.reason)}` : ''}`;
  }
}

/** `provider eventId` of a queued command's body; undefined for anything else. */
function queuedEvent(body: string | undefined): string | undefined {
  try {
    const { meta } = queuedMessageSchema.parse(JSON.parse(body ?? ''));
    return `${meta.provider} ${meta.eventId}`;
  } catch {
    return undefined;
  }
}

/** A queue message as the step it is: queued, parked or dead-lettered. */
export function describeObservation(observation: SqsObservation, names: { parked: string }): string {
  const { message } = observation;
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(message.body) as Record<string, unknown>;
  } catch {
    // An unreadable body is told by its message id alone.
  }
  if (observation.action === 'dead-lettered') {
    return `dead-lettered after ${message.receiveCount} receives: message ${message.messageId} → ${observation.deadLetterQueue}`;
  }
  if (observation.queue === names.parked) {
    return `${String(body.provider)} ${String(body.eventId)}: parked: ${String(body.reason)}`;
  }
  const what = queuedEvent(message.body) ?? message.messageId;
  return `${what}: queued in group ${message.groupId ?? '-'} (${observation.queue})`;
}

/** What the event source mapping hands the function: the received messages as an SQS event. */
function toEvent(messages: Message[], queueArn: string): SQSEvent {
  const Records = messages.map((m): SQSRecord => ({
    messageId: m.MessageId ?? '',
    receiptHandle: m.ReceiptHandle ?? '',
    body: m.Body ?? '',
    attributes: m.Attributes as unknown as SQSRecord['attributes'],
    messageAttributes: {},
    md5OfBody: m.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: 'us-east-1',
  }));
  return { Records };
}

/** A worker log line about one command as a journey step (retry with its delay, parked with its reason). */
export function workerStep(
  message: string,
  fields: Record<string, unknown>,
  worker: string,
): QueueStep | undefined {
  if (typeof fields.identity !== 'string') return undefined;
  const detail: Record<string, string | number | boolean> = { worker };
  for (const key of ['receiveCount', 'kind', 'reason', 'retryInSeconds', 'record'] as const) {
    const value = fields[key];
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
      detail[key] = value;
  }
  return {
    kind: 'queue',
    identity: fields.identity,
    event: message === 'will retry' ? 'retry' : message,
    detail,
  };
}

export async function startQueueMode(options: QueueModeOptions = {}): Promise<QueueMode> {
  let stepSink: ((step: QueueStep) => void) | undefined;
  const say = options.say ?? ((line: string) => console.log(line));
  const names = { ...queueNames(STAGE), dlq: stageResources(STAGE).dlq };
  const table = stageResources(STAGE).table;
  const port = options.port ?? 4566;
  const sqs = await startLocalSqs({
    port,
    observe: (observation) => say(describeObservation(observation, names)),
    // `npm run status` reads CloudWatch Logs too: locally there are none (the steps are on this console).
    otherTargets: { 'Logs_20140328.DescribeLogGroups': () => ({ logGroups: [] }) },
  });
  let dynalite: Dynalite;
  try {
    dynalite = await startDynalite(port === 0 ? 0 : port + 1);
    await dynalite.createTable(table);
  } catch (error) {
    await sqs.close();
    throw error;
  }
  const dlqUrl = sqs.createQueue(names.dlq);
  const workUrl = sqs.createQueue(names.work, {
    visibilityTimeout: VISIBILITY_TIMEOUT_SECONDS,
    redrive: { deadLetterQueue: dlqUrl, maxReceiveCount: MAX_RECEIVE_COUNT },
  });
  const parkedUrl = sqs.createQueue(names.parked);
  const queueArn = `arn:aws:sqs:us-east-1:000000000000:${names.work}`;

  // The breaker's pause as deployed (recorded beside the ledger); the "mapping" is the slots' switch.
  let enabled = true;
  const intake: Intake = awsIntake({
    tableName: table,
    dynamo: dynalite.client,
    mappings: {
      find: async () => 'local-event-source',
      setEnabled: async (_uuid, on) => {
        if (on !== enabled)
          say(on ? 'intake resumed: the worker receives again' : 'intake paused: the worker stops receiving');
        enabled = on;
      },
    },
  });
  const ledger = () => createDynamoLedger({ tableName: table, client: dynalite.client });

  let stopped = false;
  const running: Promise<void>[] = [];
  let probeTimer: NodeJS.Timeout | undefined;
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());

  async function slot(name: string, runtime: Runtime, client: SQSClient): Promise<void> {
    const handler = wolkvoxSyncHandler(runtime);
    while (!stopped) {
      if (!enabled) {
        await pause(IDLE_POLL_MS);
        continue;
      }
      let messages: Message[];
      try {
        ({ Messages: messages = [] } = await client.send(
          new ReceiveMessageCommand({
            QueueUrl: workUrl,
            MaxNumberOfMessages: BATCH_SIZE,
            MessageSystemAttributeNames: ['All'],
          }),
        ));
      } catch (error) {
        if (stopped) return;
        say(`${name}: receive failed: ${(error as Error).message}`);
        await pause(IDLE_POLL_MS);
        continue;
      }
      if (messages.length === 0) {
        await pause(IDLE_POLL_MS);
        continue;
      }
      for (const m of messages)
        say(
          `${name}: ${queuedEvent(m.Body) ?? m.MessageId}: attempt ${m.Attributes?.ApproximateReceiveCount ?? '?'}`,
        );
      let failed: Set<string>;
      try {
        const answer = await handler(
          toEvent(messages, queueArn),
          localContext('wolkvoxSync', WORKER_TIMEOUT_MS),
        );
        failed = new Set(answer.batchItemFailures.map((f) => f.itemIdentifier));
      } catch (error) {
        // A crash fails the whole batch: SQS brings it back after the visibility timeout, as deployed.
        say(
          `${name}: the invocation failed (${(error as Error).name}); the batch returns in ${VISIBILITY_TIMEOUT_SECONDS} s`,
        );
        continue;
      }
      // The event source mapping deletes what the function did not report as failed.
      for (const m of messages.filter((m) => !failed.has(m.MessageId ?? ''))) {
        await client
          .send(new DeleteMessageCommand({ QueueUrl: workUrl, ReceiptHandle: m.ReceiptHandle }))
          .catch((error: unknown) => say(`${name}: delete failed: ${(error as Error).message}`));
      }
    }
  }

  return {
    env: {
      DISPATCH: 'queue',
      QUEUE_URL: workUrl,
      PARKED_QUEUE_URL: parkedUrl,
      LEDGER_TABLE: table,
      // serverless.yml: each worker container keeps one request in flight, two containers.
      WOLKVOX_MAX_IN_FLIGHT: '1',
    },
    ingressOverrides: { sqs: sqs.client, ledger: ledger(), intake },
    drain(container) {
      for (let i = 1; i <= SLOTS; i += 1) {
        const name = `worker-${i}`;
        const tell = (message: string, fields: Record<string, unknown>) => {
          const line = describeWorkerLine(message, fields);
          if (line) say(`${name}: ${line}`);
          const step = workerStep(message, fields, name);
          if (step) stepSink?.(step);
        };
        const onCall = (call: CallRecord) =>
          say(
            `${name}:   wolkvox ${call.endpoint} → ${call.status ?? call.outcome} (${Math.round(call.ms)} ms)`,
          );
        const runtime = container({
          sqs: sqs.client,
          ledger: ledger(),
          intake,
          logger: new NarratingLogger(tell),
          onCall,
        });
        running.push(slot(name, runtime, sqs.client));
        // The schedule beside the queue: one probe a minute resumes a paused intake.
        if (i === 1) {
          const probe = intakeProbeHandler(runtime);
          probeTimer = setInterval(
            () => void probe(localContext('wolkvoxSync', WORKER_TIMEOUT_MS)).catch(() => undefined),
            PROBE_EVERY_MS,
          );
          probeTimer.unref();
        }
      }
    },
    sqs,
    dynalite,
    advance: (seconds) => sqs.advance(seconds * 1000),
    onStep: (sink) => {
      stepSink = sink;
    },
    toolEnv: {
      AWS_ENDPOINT_URL_SQS: sqs.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: dynalite.endpoint,
      AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: sqs.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    },
    async close() {
      stopped = true;
      clearInterval(probeTimer);
      await Promise.allSettled(running);
      await dynalite.close();
      await sqs.close();
    },
  };
}

/** `npm start -- --queue` (LOCAL_AWS_PORT: the SQS model's port, default 4566); undefined without the flag. */
export async function queueModeFromArgs(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<QueueMode | undefined> {
  if (!argv.includes('--queue')) return undefined;
  const port = Number(env.LOCAL_AWS_PORT ?? 4566);
  if (!Number.isInteger(port) || port < 0 || port > 65534) {
    throw new Error(`LOCAL_AWS_PORT must be a port number, got "${env.LOCAL_AWS_PORT}"`);
  }
  try {
    return await startQueueMode({ port });
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'EADDRINUSE') throw error;
    throw new Error(
      `port ${port} or ${port + 1} is in use (another npm start -- --queue, LocalStack?): set LOCAL_AWS_PORT`,
      { cause: error },
    );
  }
}

/** What `npm start -- --queue` prints once it listens: where things are, and how to reach them. */
export function queueModeBanner(queue: QueueMode, control: string): string[] {
  const exports = Object.entries(queue.toolEnv)
    .map(([name, value]) => `${name}=${value}`)
    .join(' ');
  return [
    `queue:      SQS FIFO model on ${queue.sqs.endpoint} (${queueNames(STAGE).work}, -parked, -dlq), ` +
      `ledger on dynalite ${queue.dynalite.endpoint} (${stageResources(STAGE).table}); worker: 2 slots × batch ${BATCH_SIZE}`,
    `faults:     curl -X POST ${control}/_local/sandbox/fail-next -d '{"kind":"error500"}'   (README, Local use)`,
    `tools:      export ${exports}`,
    `            npm run redrive -- --stage ${STAGE}    npm run status -- --stage ${STAGE} <provider> <id>`,
  ];
}
