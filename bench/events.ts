/**
 * What the bench feeds the functions: freshly signed API Gateway events (Stripe payments, Zendesk
 * resolutions), SQS records for the worker, and a Lambda context.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2, Context, SQSRecord } from 'aws-lambda';
import { LOCAL_SECRETS } from '#lib/local/defaults.ts';
import { localContext } from '#lib/local/runtime.ts';
import { apiGatewayEvent, signSample } from '#lib/local/sign.ts';
import { OPERATION, type Target } from './services.ts';

const ROOT = join(import.meta.dirname, '..');

/** A Stripe `payment_intent.succeeded` of `pesos` COP on `target`; `id` makes the payment unique. */
export function stripePaymentEvent(id: string, target: Target, pesos: number): APIGatewayProxyEventV2 {
  const now = new Date();
  const body = JSON.stringify({
    id: `evt_${id}`,
    object: 'event',
    api_version: '2025-09-30.clover',
    created: Math.floor(now.getTime() / 1000) - 5,
    livemode: false,
    type: 'payment_intent.succeeded',
    data: {
      object: {
        id: `pi_${id}`,
        object: 'payment_intent',
        amount: pesos * 100,
        amount_received: pesos * 100,
        currency: 'cop',
        status: 'succeeded',
        metadata: {
          wolkvox_id: target.wolkvoxId,
          wolkvox_obligation: target.obligation,
          wolkvox_operation: OPERATION,
        },
      },
    },
  });
  const signed = signSample('stripe', body, LOCAL_SECRETS, now);
  return apiGatewayEvent({ provider: 'stripe', ...signed, now });
}

const zendeskSample = JSON.parse(
  readFileSync(join(ROOT, 'events/zendesk/ticket.solved.no-attachments.json'), 'utf8'),
) as Record<string, unknown>;

/** The Zendesk sample resolution, as ticket `n` resolved at a distinct minute. */
export function zendeskResolutionEvent(n: number): APIGatewayProxyEventV2 {
  const now = new Date();
  const resolvedAt = new Date(Date.UTC(2026, 0, 1) + n * 60_000).toISOString().slice(0, 16);
  const body = JSON.stringify({
    ...zendeskSample,
    ticket_id: String(5000 + n),
    updated_at: `${resolvedAt}Z`,
  });
  const signed = signSample('zendesk', body, LOCAL_SECRETS, now);
  return apiGatewayEvent({ provider: 'zendesk', ...signed, now });
}

export interface QueuedBody {
  MessageBody: string;
  MessageGroupId: string;
  MessageDeduplicationId: string;
}

/** An SQS FIFO record as Lambda hands it to the worker. */
export function sqsRecord(message: QueuedBody, n: number): SQSRecord {
  return {
    messageId: `bench-${n}`,
    receiptHandle: `bench-${n}#1`,
    body: message.MessageBody,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(Date.now()),
      SenderId: 'bench',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
      MessageGroupId: message.MessageGroupId,
      MessageDeduplicationId: message.MessageDeduplicationId,
      SequenceNumber: String(n),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:wolkvox-webhooks-bench-work.fifo',
    awsRegion: 'us-east-1',
  };
}

/** The local tools' Lambda context, but one that never runs out of time (the bench bounds its own loops). */
export function lambdaContext(functionName: string): Context {
  return { ...localContext(functionName), getRemainingTimeInMillis: () => 60_000 };
}
