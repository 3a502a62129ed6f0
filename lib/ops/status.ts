import {
  type CloudWatchLogsClient,
  DescribeLogGroupsCommand,
  GetQueryResultsCommand,
  type ResultField,
  StartQueryCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  ResourceNotFoundException,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { GetQueueUrlCommand, QueueDoesNotExist, type SQSClient } from '@aws-sdk/client-sqs';
import type { Family } from '#lib/providers/types.ts';
import {
  countVisible,
  describeMessage,
  type ListedMessage,
  OpsError,
  receiveAll,
  release,
  SERVICE,
} from './redrive.ts';

/**
 * "What happened to payment X?": the ledger's entry for the event, any parked or dead-lettered
 * message of it, and its log lines across the three functions, in one read-only pass.
 *
 * Ledger items are keyed `EVENT#<identity>` (lib/ledger/dynamodb.ts). A payment's identity is
 * `<slug>:<payment id>`, so it is one GetItem. A ticket's is `<slug>:<ticket id>:<resolved at>`
 * and the table has no index on the ticket id: without the resolution time it takes a Scan,
 * bounded by `scanLimit` items and reported as such.
 *
 * The queues are peeked as `npm run redrive` lists them: received with a short visibility
 * timeout and given back at once, never deleted. A receive adds one to a message's receive count,
 * which matters only on a queue with a redrive policy; the parked queue and the DLQ have none
 * (serverless.yml), so nothing moves.
 */

export const FUNCTIONS = ['paymentReceived', 'ticketResolved', 'wolkvoxSync'] as const;

/** The resource names serverless.yml gives a stage (fixed names, so no CloudFormation lookup). */
export function stageResources(stage: string) {
  return {
    table: `${SERVICE}-${stage}-ledger`,
    parkedQueue: `${SERVICE}-${stage}-parked.fifo`,
    dlq: `${SERVICE}-${stage}-dlq.fifo`,
    logGroupPrefix: `/aws/lambda/${SERVICE}-${stage}-`,
    logGroups: FUNCTIONS.map((name) => `/aws/lambda/${SERVICE}-${stage}-${name}`),
  };
}

export interface StatusClients {
  dynamodb: DynamoDBClient;
  sqs: SQSClient;
  logs: CloudWatchLogsClient;
}

export interface StatusOptions {
  stage: string;
  family: Family;
  provider: string;
  /** A payment id, a ticket id, or a ticket's `<id>:<resolved at>`. */
  id: string;
  /** Overrides of the stage's resource names (a local run, a renamed stack). */
  table?: string;
  parkedQueueUrl?: string;
  dlqUrl?: string;
  /** How far back the logs are searched, in milliseconds. */
  sinceMs: number;
  /** Most ledger items a ticket's Scan reads. */
  scanLimit?: number;
  /** Gives up on a Logs Insights query after this long. */
  queryTimeoutMs?: number;
  /** Between GetQueryResults polls; injectable so tests do not wait. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => Date;
}

/** The ledger's event item, without its token and fingerprints (ownership internals). */
export interface LedgerView {
  identity: string;
  status: string;
  attempts: number;
  record?: string;
  kind?: string;
  eventTime?: string;
  outcome?: string;
  outcomeAt?: string;
  reason?: string;
  leaseUntil?: string;
}

export interface LogLine {
  timestamp: string;
  function: string;
  fields: Record<string, unknown>;
}

export interface StatusReport {
  found: boolean;
  ledger: LedgerView[];
  parked: PeekedMessage[];
  deadLettered: PeekedMessage[];
  correlationIds: string[];
  logLines: LogLine[];
}

/** A stage's resource that does not exist (a wrong stage, region or name): exit code 2. */
export class ConfigError extends OpsError {
  override name = 'ConfigError';
}

const DEFAULT_SCAN_LIMIT = 100_000;
const DEFAULT_QUERY_TIMEOUT_MS = 120_000;
const POLL_MS = 1_000;
const MAX_CORRELATION_IDS = 20;
const MAX_LOG_LINES = 1_000;

/** The identity a payment has, or the prefix every resolution of a ticket shares. */
export function identityOf(
  family: Family,
  provider: string,
  id: string,
): { exact?: string; prefix?: string } {
  if (family === 'payments') return { exact: `${provider}:${id}` };
  // `<ticket id>:<resolved at>` names one resolution; a bare id matches all of them.
  return id.includes(':') ? { exact: `${provider}:${id}` } : { prefix: `${provider}:${id}:` };
}

const str = (item: Record<string, AttributeValue>, name: string) => item[name]?.S;

function ledgerView(item: Record<string, AttributeValue>): LedgerView {
  const status = str(item, 'status') ?? '?';
  const leaseUntil = Number(item.leaseUntil?.N);
  const optional = {
    record: str(item, 'record'),
    kind: str(item, 'kind'),
    eventTime: str(item, 'eventTime'),
    outcome: str(item, 'outcome'),
    outcomeAt: str(item, 'outcomeAt'),
    reason: str(item, 'reason'),
    leaseUntil: status === 'pending' && leaseUntil > 0 ? new Date(leaseUntil).toISOString() : undefined,
  };
  return {
    identity: (str(item, 'pk') ?? '').replace(/^EVENT#/, ''),
    status,
    attempts: Number(item.attempts?.N ?? 1),
    ...Object.fromEntries(Object.entries(optional).filter(([, value]) => value !== undefined)),
  };
}

/** The event's ledger items: one GetItem for an exact identity, else a bounded Scan by prefix. */
export async function readLedger(
  client: DynamoDBClient,
  table: string,
  wanted: { exact?: string; prefix?: string },
  scanLimit = DEFAULT_SCAN_LIMIT,
): Promise<{ entries: LedgerView[]; how: string }> {
  try {
    if (wanted.exact !== undefined) {
      const { Item } = await client.send(
        new GetItemCommand({
          TableName: table,
          Key: { pk: { S: `EVENT#${wanted.exact}` }, sk: { S: 'EVENT' } },
        }),
      );
      return { entries: Item ? [ledgerView(Item)] : [], how: `GetItem EVENT#${wanted.exact}` };
    }
    const entries: LedgerView[] = [];
    let scanned = 0;
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await client.send(
        new ScanCommand({
          TableName: table,
          FilterExpression: 'begins_with(#pk, :prefix) AND #sk = :event',
          ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
          ExpressionAttributeValues: { ':prefix': { S: `EVENT#${wanted.prefix}` }, ':event': { S: 'EVENT' } },
          ExclusiveStartKey: start,
          Limit: Math.min(1_000, scanLimit - scanned),
        }),
      );
      scanned += page.ScannedCount ?? 0;
      entries.push(...(page.Items ?? []).map(ledgerView));
      start = page.LastEvaluatedKey;
    } while (start && scanned < scanLimit);
    const bounded = start
      ? `, stopped at ${scanLimit} (raise --scan-limit, or give <ticket id>:<resolved at>)`
      : '';
    return {
      entries: entries.sort((a, b) => (a.eventTime ?? '').localeCompare(b.eventTime ?? '')),
      how: `Scan for EVENT#${wanted.prefix}… (no index on ticket ids: ${scanned} items read${bounded})`,
    };
  } catch (error) {
    if (error instanceof ResourceNotFoundException) {
      const region = await client.config.region();
      throw new ConfigError(
        `No ledger table ${table} in ${region}: is the stage deployed there? (--region, --table)`,
      );
    }
    throw error;
  }
}

/** The parked queue's and the DLQ's URLs: the overrides, else looked up by the stage's names. */
export async function resolveStatusQueues(
  client: SQSClient,
  options: Pick<StatusOptions, 'stage' | 'parkedQueueUrl' | 'dlqUrl'>,
): Promise<{ parked: string; dlq: string }> {
  const names = stageResources(options.stage);
  async function lookup(given: string | undefined, name: string, flag: string): Promise<string> {
    if (given) return given;
    try {
      const { QueueUrl } = await client.send(new GetQueueUrlCommand({ QueueName: name }));
      if (QueueUrl) return QueueUrl;
    } catch (error) {
      if (!(error instanceof QueueDoesNotExist)) throw error;
    }
    const region = await client.config.region();
    throw new ConfigError(
      `No queue ${name} in ${region}: is stage '${options.stage}' deployed there? (--region, ${flag})`,
    );
  }
  return {
    parked: await lookup(options.parkedQueueUrl, names.parkedQueue, '--parked-queue'),
    dlq: await lookup(options.dlqUrl, names.dlq, '--dlq'),
  };
}

/** Whether a queued or parked message is about the event. */
function concerns(message: ListedMessage, body: unknown, options: StatusOptions): boolean {
  if (message.provider !== options.provider) return false;
  const wanted = identityOf(options.family, options.provider, options.id);
  const identity = message.redrive?.command.identity;
  if (
    identity !== undefined &&
    (identity === wanted.exact || (wanted.prefix && identity.startsWith(wanted.prefix)))
  )
    return true;
  if (message.eventId === options.id) return true;
  // A parked event without a command names the payment or ticket only in its summary.
  const summary = (body as { summary?: unknown } | undefined)?.summary;
  return typeof summary === 'object' && summary !== null && Object.values(summary).includes(options.id);
}

/** A listed message and, when the ingress put it in (lib/dispatch/message.ts), its request's correlation id. */
export type PeekedMessage = ListedMessage & { correlationId?: string };

/** The event's messages in a queue, peeked: received briefly, then given back, never deleted. */
export async function peekQueue(
  client: SQSClient,
  queueUrl: string,
  options: StatusOptions,
): Promise<{ matches: PeekedMessage[]; looked: number; hidden: number }> {
  const held = new Map<string, string>();
  try {
    const received = await receiveAll(client, queueUrl, { visibilityTimeout: 30 });
    for (const message of received) held.set(message.MessageId ?? '', message.ReceiptHandle ?? '');
    const hidden = await countVisible(client, queueUrl);
    const matches = received
      .map((message, i) => ({ listed: describeMessage(message, i + 1), body: parseJson(message.Body) }))
      .filter(({ listed, body }) => concerns(listed, body, options))
      .map(({ listed, body }): PeekedMessage => {
        const correlationId = (body as { correlationId?: unknown } | undefined)?.correlationId;
        return typeof correlationId === 'string' ? { ...listed, correlationId } : listed;
      })
      .sort((a, b) => (a.sentAt?.getTime() ?? 0) - (b.sentAt?.getTime() ?? 0));
    return { matches, looked: received.length, hidden };
  } finally {
    await release(client, queueUrl, held);
  }
}

function parseJson(text: string | undefined): unknown {
  try {
    return JSON.parse(text ?? '');
  } catch {
    return undefined;
  }
}

/** A Logs Insights string literal (ids are checked free of control characters by the CLI). */
const quote = (value: string) => JSON.stringify(value);
/** A Logs Insights regex literal matching strings that start with `prefix`. */
const startsWith = (prefix: string) => `/^${prefix.replace(/[\\^$.*+?()[\]{}|/-]/g, (c) => `\\${c}`)}/`;

/** Finds the requests (correlation ids) whose lines name the event by identity or event id. */
export function correlationQuery(
  wanted: { exact?: string; prefix?: string },
  provider: string,
  eventIds: string[],
): string {
  const identity =
    wanted.exact !== undefined
      ? `identity = ${quote(wanted.exact)}`
      : `identity like ${startsWith(wanted.prefix ?? '')}`;
  const byEvent = `(provider = ${quote(provider)} and eventId in [${eventIds.map(quote).join(', ')}])`;
  return [
    'fields @timestamp, correlation_id',
    `filter ${identity} or ${byEvent}`,
    'stats count(*) as lines by correlation_id',
    `limit ${MAX_CORRELATION_IDS}`,
  ].join('\n| ');
}

/** Every line of those requests, oldest first; the whole JSON line is parsed here. */
export function linesQuery(correlationIds: string[]): string {
  return [
    'fields @timestamp, @log, @message',
    `filter correlation_id in [${correlationIds.map(quote).join(', ')}]`,
    'sort @timestamp asc',
    `limit ${MAX_LOG_LINES}`,
  ].join('\n| ');
}

async function runQuery(
  client: CloudWatchLogsClient,
  logGroupNames: string[],
  queryString: string,
  options: StatusOptions,
): Promise<Record<string, string>[]> {
  const now = (options.now ?? (() => new Date()))().getTime();
  const sleep = options.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
  const { queryId } = await client.send(
    new StartQueryCommand({
      logGroupNames,
      startTime: Math.floor((now - options.sinceMs) / 1000),
      endTime: Math.ceil(now / 1000),
      queryString,
    }),
  );
  const timeoutMs = options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
  for (let waited = 0; ; waited += POLL_MS) {
    const answer = await client.send(new GetQueryResultsCommand({ queryId }));
    if (answer.status === 'Complete') {
      return (answer.results ?? []).map((row: ResultField[]) =>
        Object.fromEntries(row.map((cell) => [cell.field ?? '', cell.value ?? ''])),
      );
    }
    if (answer.status !== 'Running' && answer.status !== 'Scheduled') {
      throw new OpsError(`Logs Insights query ${queryId ?? ''} ended ${answer.status ?? 'without a status'}`);
    }
    if (waited >= timeoutMs) {
      throw new OpsError(`Logs Insights query ${queryId ?? ''} still running after ${timeoutMs / 1000} s`);
    }
    await sleep(POLL_MS);
  }
}

/** The function a log group belongs to: `…:/aws/lambda/wolkvox-webhooks-prod-wolkvoxSync` → wolkvoxSync. */
const functionOf = (log: string) => FUNCTIONS.find((name) => log.endsWith(`-${name}`)) ?? log;

/** The event's log lines: its requests found by identity or event id, then all of their lines. */
export async function readLogs(
  client: CloudWatchLogsClient,
  stage: string,
  options: StatusOptions,
  eventIds: string[],
  /** Requests already known to be about the event (from its queued message). */
  knownCorrelationIds: string[] = [],
): Promise<{ groups: string[]; correlationIds: string[]; lines: LogLine[] }> {
  const resources = stageResources(stage);
  // A function never invoked has no log group yet, and one missing group fails the whole query.
  const { logGroups = [] } = await client.send(
    new DescribeLogGroupsCommand({ logGroupNamePrefix: resources.logGroupPrefix }),
  );
  const existing = new Set(logGroups.map((group) => group.logGroupName));
  const groups = resources.logGroups.filter((name) => existing.has(name));
  if (groups.length === 0) return { groups, correlationIds: [], lines: [] };

  const wanted = identityOf(options.family, options.provider, options.id);
  const ids = [...new Set([options.id, ...eventIds])];
  const requests = await runQuery(client, groups, correlationQuery(wanted, options.provider, ids), options);
  const correlationIds = [
    ...new Set([...knownCorrelationIds, ...requests.map((row) => row.correlation_id ?? '')]),
  ].filter(Boolean);
  if (correlationIds.length === 0) return { groups, correlationIds, lines: [] };

  const rows = await runQuery(client, groups, linesQuery(correlationIds), options);
  const parsed = rows.flatMap((row) => {
    const fields = parseJson(row['@message']);
    if (typeof fields !== 'object' || fields === null) return [];
    const line: LogLine = {
      timestamp: row['@timestamp'] ?? '',
      function: functionOf(row['@log'] ?? ''),
      fields: fields as Record<string, unknown>,
    };
    return [line];
  });
  // A batch request carries other events too: their lines are not this event's story. A line
  // without an identity (before translation, or a worker's park) is ours by its event id.
  const identityIn = (line: LogLine) =>
    typeof line.fields.identity === 'string' ? line.fields.identity : undefined;
  const isOurs = (identity: string) =>
    identity === wanted.exact || (wanted.prefix !== undefined && identity.startsWith(wanted.prefix));
  const ourEventIds = new Set(ids);
  for (const line of parsed) {
    const identity = identityIn(line);
    if (identity !== undefined && isOurs(identity) && line.fields.eventId !== undefined)
      ourEventIds.add(String(line.fields.eventId));
  }
  const lines = parsed.filter((line) => {
    const identity = identityIn(line);
    if (identity !== undefined) return isOurs(identity);
    return line.fields.eventId === undefined || ourEventIds.has(String(line.fields.eventId));
  });
  return { groups, correlationIds, lines };
}

/** The keys printed from a log line: ids, decisions and reasons (lines hold no personal data, and these keys none). */
const SHOWN_KEYS = [
  'provider',
  'eventId',
  'identity',
  'status',
  'outcome',
  'reason',
  'failure',
  'attempt',
  'endpoint',
  'check',
  'messageId',
] as const;

function formatLine(line: LogLine): string {
  const { level, message } = line.fields;
  const keys = SHOWN_KEYS.flatMap((key) => {
    const value = line.fields[key];
    if (value === undefined || value === null || typeof value === 'object') return [];
    return [`${key}=${String(value)}`];
  });
  return `  ${line.timestamp}  ${line.function.padEnd(15)}  ${String(level ?? '').padEnd(5)}  ${String(message ?? '')}  ${keys.join(' ')}`.trimEnd();
}

function formatLedger(entry: LedgerView): string[] {
  const ended = entry.outcome ? `${entry.outcome} at ${entry.outcomeAt ?? '?'}` : entry.status;
  const lines = [`  ${entry.identity}: ${ended}, after ${entry.attempts} attempt(s)`];
  if (entry.status === 'pending')
    lines.push(`    in progress or awaiting a retry; lease until ${entry.leaseUntil ?? '?'}`);
  if (entry.reason) lines.push(`    reason: ${entry.reason}`);
  lines.push(
    `    wolkvox record ${entry.record ?? '?'} (${entry.kind ?? '?'}), event time ${entry.eventTime ?? '?'}`,
  );
  return lines;
}

function formatMessage(message: PeekedMessage): string[] {
  return [
    `  ${message.sentAt?.toISOString() ?? '?'}  ${message.disposition}  event ${message.eventId}  ${message.summary}`,
    `    reason: ${message.reason}`,
    `    received ${message.receiveCount} time(s); ${message.redrive ? 'can be redriven' : (message.unredrivable ?? '')}`,
    ...(message.correlationId ? [`    correlation id ${message.correlationId}`] : []),
  ];
}

/** The whole story of one event, printed section by section. */
export async function runStatus(
  clients: StatusClients,
  options: StatusOptions,
  out: (line: string) => void,
): Promise<StatusReport> {
  const resources = stageResources(options.stage);
  // Every name is checked before anything is read: a wrong stage or region fails as one message.
  const urls = await resolveStatusQueues(clients.sqs, options);
  const table = options.table ?? resources.table;
  out(`${options.provider} ${options.id} (${options.family}), stage ${options.stage}`);

  const wanted = identityOf(options.family, options.provider, options.id);
  const ledger = await readLedger(clients.dynamodb, table, wanted, options.scanLimit);
  out(`\nLedger (${table}, ${ledger.how}):`);
  if (ledger.entries.length === 0) out('  no entry: the worker never claimed this event');
  for (const entry of ledger.entries) for (const line of formatLedger(entry)) out(line);

  const queues = [
    { title: 'Parked queue', url: urls.parked },
    { title: 'Dead-letter queue', url: urls.dlq },
  ];
  const found: PeekedMessage[][] = [];
  for (const queue of queues) {
    const peeked = await peekQueue(clients.sqs, queue.url, options);
    found.push(peeked.matches);
    out(`\n${queue.title} (${queue.url}, ${peeked.looked} message(s) looked at):`);
    if (peeked.matches.length === 0) out('  nothing for this event');
    for (const message of peeked.matches) for (const line of formatMessage(message)) out(line);
    if (peeked.hidden > 0)
      out(`  about ${peeked.hidden} more wait behind in-flight messages of their FIFO groups, unseen`);
  }
  const [parked = [], deadLettered = []] = found;

  const eventIds = [...parked, ...deadLettered].map((message) => message.eventId);
  const known = [...parked, ...deadLettered].flatMap((message) => message.correlationId ?? []);
  const logs = await readLogs(clients.logs, options.stage, options, eventIds, known);
  const days = Math.round((options.sinceMs / 86_400_000) * 10) / 10;
  const searched =
    logs.groups.length > 0
      ? `${resources.logGroupPrefix}{${logs.groups.map((name) => name.slice(resources.logGroupPrefix.length)).join(',')}}`
      : `no log group ${resources.logGroupPrefix}… yet`;
  out(`\nLogs (${searched}, last ${days} d):`);
  if (logs.lines.length === 0) out('  no lines about this event');
  else out(`  ${logs.correlationIds.length} request(s): ${logs.correlationIds.join(', ')}`);
  for (const line of logs.lines) out(formatLine(line));

  const isFound =
    ledger.entries.length > 0 || parked.length > 0 || deadLettered.length > 0 || logs.lines.length > 0;
  if (!isFound)
    out(`\nNot found: no ledger entry, no parked or dead-lettered message and no log line names it.`);
  return {
    found: isFound,
    ledger: ledger.entries,
    parked,
    deadLettered,
    correlationIds: logs.correlationIds,
    logLines: logs.lines,
  };
}
