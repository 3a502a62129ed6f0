/**
 * Fair baseline of functions/ticket-resolved.ts (bench only): Zendesk (HMAC over timestamp + body)
 * and Freshdesk (shared token header), as the naive one, written as payment-received.ts here is:
 * only what it uses, clients once per container, the secret cached, observed the same way (the
 * tracer's middleware and captured clients, one Deliveries count per answer by provider and outcome).
 */
import { createHash, createHmac } from 'node:crypto';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { z } from 'zod';
import { json, type Message, same } from './message.ts';
import { logger, metrics, tracer } from './powertools.ts';
import { getSecrets } from './secrets.ts';

export const sqs = tracer.captureAWSv3Client(new SQSClient({}));
const QUEUE_URL = process.env.QUEUE_URL;
const CASE_RESOLVED_STATUS = process.env.CASE_RESOLVED_STATUS ?? 'Resuelto';

const ticket = z.object({
  ticket_id: z.union([z.string(), z.number()]).transform(String),
  status: z.string(),
  updated_at: z.string().optional(),
  resolved_at: z.string().optional(),
  priority: z.string().optional(),
  wolkvox_id: z.string().regex(/^[0-9a-f]{24}$/),
  resolution: z.string().optional(),
  solution: z.string().optional(),
});

const PRIORITIES: Record<string, string> = { urgent: 'Urgente', high: 'Alta', medium: 'Media', low: 'Baja' };

function verify(
  provider: string,
  event: APIGatewayProxyEventV2,
  body: string,
  secrets: Record<string, string>,
) {
  if (provider === 'zendesk') {
    const timestamp = event.headers['x-zendesk-webhook-signature-timestamp'] ?? '';
    const expected = createHmac('sha256', secrets.ZENDESK_WEBHOOK_SECRET ?? '')
      .update(timestamp + body)
      .digest('base64');
    const signature = event.headers['x-zendesk-webhook-signature'] ?? '';
    if (!same(signature, expected)) throw new Error('bad signature');
    if (Math.abs(Date.now() - Date.parse(timestamp)) > 300_000) throw new Error('stale signature');
  } else if (!same(event.headers['x-wolkvox-webhook-token'] ?? '', secrets.FRESHDESK_WEBHOOK_TOKEN ?? '')) {
    throw new Error('bad token');
  }
}

/** One per answer; an unknown provider's path segment is no dimension (anyone can invent one). */
function delivered(provider: string, outcome: 'queued' | 'ignored' | 'parked' | '400' | '404') {
  metrics.addDimensions({ provider, outcome });
  metrics.addMetric('Deliveries', MetricUnit.Count, 1);
}

async function receive(event: APIGatewayProxyEventV2) {
  const secrets = await getSecrets();
  const provider = event.pathParameters?.provider ?? '';
  if (provider !== 'zendesk' && provider !== 'freshdesk') {
    delivered('unknown', '404');
    return json(404, { error: 'unknown provider' });
  }
  const body = event.isBase64Encoded
    ? Buffer.from(event.body ?? '', 'base64').toString('utf8')
    : (event.body ?? '');
  let parsed: z.infer<typeof ticket>;
  try {
    verify(provider, event, body, secrets);
    parsed = ticket.parse(JSON.parse(body));
  } catch (error) {
    logger.warn('rejected', { provider, error: (error as Error).message });
    delivered(provider, '400');
    return json(400, { error: 'invalid webhook' });
  }
  if (!['solved', 'closed', 'resolved'].includes(parsed.status.toLowerCase())) {
    delivered(provider, 'ignored');
    return json(200, { status: 'ignored', reason: `status ${parsed.status}` });
  }
  const solution = (parsed.resolution ?? parsed.solution ?? '').trim();
  if (!solution) {
    delivered(provider, 'parked');
    return json(202, { status: 'parked', reason: 'no solution' });
  }
  const resolvedAt = new Date(parsed.resolved_at ?? parsed.updated_at ?? Date.now()).toISOString();
  const message: Message = {
    kind: 'case',
    identity: `${provider}:${parsed.ticket_id}:${resolvedAt}`,
    caseId: parsed.wolkvox_id,
    status: CASE_RESOLVED_STATUS,
    solution,
    priority: PRIORITIES[parsed.priority?.toLowerCase() ?? ''],
  };
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: QUEUE_URL,
      MessageBody: JSON.stringify(message),
      MessageGroupId: `case-${parsed.wolkvox_id}`,
      MessageDeduplicationId: createHash('sha256').update(message.identity).digest('hex'),
    }),
  );
  delivered(provider, 'queued');
  logger.info('queued', { provider, identity: message.identity });
  return json(200, { status: 'queued', identity: message.identity });
}

export const handler = middy(receive)
  .use(captureLambdaHandler(tracer, { captureResponse: false }))
  .use(logMetrics(metrics));
