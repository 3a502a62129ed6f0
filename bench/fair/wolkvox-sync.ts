/**
 * Fair baseline of functions/wolkvox-sync.ts (bench only), written the way Powertools' examples/app
 * and the AWS docs show: Powertools' FIFO processor (records one after another; the first failure
 * fails the rest of the batch, so order per group holds), one keep-alive undici Agent for every
 * wolkvox request of the container, the DynamoDB client and the secret built or fetched once per
 * container. Idempotency is a single conditional PutItem per event (deleted again when the wolkvox
 * write fails, so the retry can apply it). What it does not do, and ours does: recognise a write
 * that landed before a crash (fingerprints), order state changes by event time (newest), park
 * what cannot be applied, cap requests per token across containers, or keep a lease.
 * Observed as Powertools' docs wire it into middy: the tracer's handler segment and the DynamoDB
 * client's calls (wolkvox's requests through the tracer's undici instrumentation), Applied stored
 * and published by logMetrics, each wolkvox call's count and latency by endpoint as single metrics.
 */
import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { Agent, FormData, request } from 'undici';
import { z } from 'zod';
import { type Message, messageSchema } from './message.ts';
import { logger, metrics, tracer } from './powertools.ts';
import { getSecrets } from './secrets.ts';

const processor = new SqsFifoPartialProcessorAsync();
const dynamo = tracer.captureAWSv3Client(new DynamoDBClient({}));
// One pool of keep-alive connections for the container's life (undici keeps sockets alive by default).
const agent = new Agent({ keepAliveTimeout: 60_000 });

const { WOLKVOX_SERVER = '', WOLKVOX_OPERATION = '', LEDGER_TABLE } = process.env;
const TIMEZONE = process.env.WOLKVOX_TIMEZONE ?? 'America/Bogota';
const baseUrl = `${WOLKVOX_SERVER.startsWith('http') ? WOLKVOX_SERVER : `https://${WOLKVOX_SERVER}`}/server/API/v2/`;

const envelopeSchema = z.object({
  code: z.union([z.number(), z.string()]),
  msg: z.string().optional(),
  data: z.unknown(),
});

const obligationSchema = z
  .object({ total_balance: z.coerce.string(), days_delay: z.coerce.string().optional() })
  .passthrough();

/** A metric's dimensions are per EMF line: each call's goes out at once, as the docs' singleMetric. */
function countCall(endpoint: string, outcome: 'done' | 'failed', ms: number) {
  const call = metrics.singleMetric();
  call.addDimensions({ endpoint, outcome });
  call.addMetric('WolkvoxCalls', MetricUnit.Count, 1);
  const latency = metrics.singleMetric();
  latency.addDimension('endpoint', endpoint);
  latency.addMetric('WolkvoxLatency', MetricUnit.Milliseconds, ms);
}

async function wolkvox(endpoint: string, token: string, body: Record<string, unknown> | FormData) {
  const started = performance.now();
  let outcome: 'done' | 'failed' = 'failed';
  try {
    const envelope = await call(endpoint, token, body);
    outcome = 'done';
    return envelope;
  } finally {
    countCall(endpoint, outcome, performance.now() - started);
  }
}

async function call(endpoint: string, token: string, body: Record<string, unknown> | FormData) {
  const response = await request(baseUrl + endpoint, {
    method: 'POST',
    headers: {
      'wolkvox-token': token,
      ...(body instanceof FormData ? {} : { 'content-type': 'application/json' }),
    },
    body: body instanceof FormData ? body : JSON.stringify({ operation: WOLKVOX_OPERATION, ...body }),
    dispatcher: agent,
  });
  const envelope = envelopeSchema.parse(await response.body.json());
  if (response.statusCode !== 200 || String(envelope.code) !== '200') {
    throw new Error(`wolkvox ${endpoint}: ${response.statusCode} ${envelope.msg ?? ''}`);
  }
  return envelope;
}

const bogota = new Intl.DateTimeFormat('en-GB', {
  timeZone: TIMEZONE,
  day: '2-digit',
  month: '2-digit',
  year: 'numeric',
});

function bogotaDate(iso: string): string {
  const parts = bogota.formatToParts(new Date(iso));
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('day')}-${part('month')}-${part('year')}`;
}

async function applyPayment(message: Extract<Message, { kind: 'payment' }>, token: string) {
  const target = { wolkvox_id: message.wolkvoxId, obligation: message.obligation };
  const found = await wolkvox('collections/queryObligation.php', token, target);
  const current = obligationSchema.parse(z.array(z.unknown()).min(1).parse(found.data)[0]);
  const scale = 10 ** message.exponent;
  const balance = Math.max(0, Number(current.total_balance) - message.amountMinor / scale);
  const fields = {
    ...current,
    total_balance: String(balance),
    last_pay: String(message.amountMinor / scale),
    last_pay_date: bogotaDate(message.paidAt),
    days_delay: balance === 0 ? '0' : current.days_delay,
  };
  await wolkvox('collections/updateObligation.php', token, { ...target, fields });
}

async function applyCase(message: Extract<Message, { kind: 'case' }>, token: string) {
  const form = new FormData();
  form.append('operation', WOLKVOX_OPERATION);
  form.append('wolkvox-id', message.caseId);
  form.append('status', message.status);
  form.append('solution', message.solution);
  if (message.priority) form.append('priority', message.priority);
  await wolkvox('cases/update.php', token, form);
}

async function processRecord(record: SQSRecord, token: string) {
  const message = messageSchema.parse(JSON.parse(record.body));
  const Key = { pk: { S: `FAIR#${message.identity}` }, sk: { S: 'FAIR' } };
  try {
    await dynamo.send(
      new PutItemCommand({
        TableName: LEDGER_TABLE,
        Item: Key,
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return;
    throw error;
  }
  try {
    if (message.kind === 'payment') await applyPayment(message, token);
    else await applyCase(message, token);
    metrics.addMetric('Applied', MetricUnit.Count, 1);
    logger.info('applied', { identity: message.identity });
  } catch (error) {
    await dynamo.send(new DeleteItemCommand({ TableName: LEDGER_TABLE, Key }));
    logger.warn('will retry', { identity: message.identity, error: (error as Error).message });
    throw error;
  }
}

async function drain(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  const token = (await getSecrets()).WOLKVOX_TOKEN ?? '';
  return processPartialResponse(event, (record: SQSRecord) => processRecord(record, token), processor, {
    context,
  });
}

export const handler = middy(drain)
  .use(captureLambdaHandler(tracer, { captureResponse: false }))
  .use(logMetrics(metrics));
