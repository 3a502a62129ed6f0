/**
 * Naive baseline of functions/wolkvox-sync.ts (bench only): Powertools' BatchProcessor, which
 * processes a batch's records in parallel (its default), so several wolkvox requests per token
 * are in flight at once and wolkvox refuses the ones past its limit of 2; the refused records are
 * reported as batch item failures and come back later. Idempotency: a DynamoDB marker per event
 * (conditional put, deleted again when the wolkvox write fails). Payments: query the obligation,
 * reduce its balance, write it back. Cases: one multipart update.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { ConditionalCheckFailedException, DeleteItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { FormData } from 'undici';
import { z } from 'zod';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import {
  dynamo,
  env,
  getSecrets,
  logger,
  type Message,
  messageSchema,
  metrics,
  observed,
  wolkvox,
} from './shared.ts';

const processor = new BatchProcessor(EventType.SQS);

const obligationSchema = z
  .object({ total_balance: z.coerce.string(), days_delay: z.coerce.string().optional() })
  .passthrough();

function bogotaDate(iso: string): string {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: env.WOLKVOX_TIMEZONE,
    day: '2-digit',
    month: '2-digit',
    year: 'numeric',
  }).formatToParts(new Date(iso));
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
  form.append('operation', env.WOLKVOX_OPERATION);
  form.append('wolkvox-id', message.caseId);
  form.append('status', message.status);
  form.append('solution', message.solution);
  if (message.priority) form.append('priority', message.priority);
  await wolkvox('cases/update.php', token, form);
}

async function processRecord(record: SQSRecord, token: string) {
  const message = messageSchema.parse(JSON.parse(record.body));
  const Key = { pk: { S: `NAIVE#${message.identity}` }, sk: { S: 'NAIVE' } };
  try {
    await dynamo.send(
      new PutItemCommand({
        TableName: env.LEDGER_TABLE,
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
    await dynamo.send(new DeleteItemCommand({ TableName: env.LEDGER_TABLE, Key }));
    logger.warn('will retry', { identity: message.identity, error: (error as Error).message });
    throw error;
  }
}

export const handler = middy(async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  const secrets = await getSecrets();
  const token = secrets.WOLKVOX_TOKEN ?? '';
  return processPartialResponse(event, (record: SQSRecord) => processRecord(record, token), processor, {
    context,
  });
}).use(observed);
