/**
 * The naive baseline's shared module (bench only, never deployed): the same job as the real
 * functions, written the usual way so `npm run bench` has something honest to compare against.
 * Every handler imports this file, so every bundle carries everything built here at top level:
 * all three AWS clients, the Powertools logger, metrics and tracer, the configuration parsed with
 * zod's full API.
 * What makes it naive, on purpose:
 *   - every dependency imported eagerly and every client constructed at cold start;
 *   - a Secrets Manager call on every invocation (no cache);
 *   - a new TCP connection per wolkvox request (a fresh undici Agent, closed afterwards);
 *   - no concurrency control: callers fire wolkvox requests in parallel.
 * It verifies signatures, validates input and applies payments correctly otherwise.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { Agent, FormData, request } from 'undici';
import { z } from 'zod';

export const env = z
  .object({
    WOLKVOX_SERVER: z.string().min(1),
    WOLKVOX_OPERATION: z.string().min(1),
    SECRET_ID: z.string().min(1),
    QUEUE_URL: z.string().min(1),
    LEDGER_TABLE: z.string().min(1),
    CASE_RESOLVED_STATUS: z.string().default('Resuelto'),
    WOLKVOX_TIMEZONE: z.string().default('America/Bogota'),
  })
  .parse(process.env);

export const logger = new Logger({ serviceName: 'wolkvox-webhooks-naive' });
// The same observability as ours (issue 17), set up the usual way: both built at cold start, the
// tracer on or off by POWERTOOLS_TRACE_ENABLED, every client captured.
export const metrics = new Metrics({
  serviceName: 'wolkvox-webhooks-naive',
  namespace: 'wolkvox-webhooks-naive',
});
export const tracer = new Tracer({ serviceName: 'wolkvox-webhooks-naive' });
export const secretsManager = tracer.captureAWSv3Client(new SecretsManagerClient({}));
export const sqs = tracer.captureAWSv3Client(new SQSClient({}));
export const dynamo = tracer.captureAWSv3Client(new DynamoDBClient({}));

/** The queue message between the naive ingress functions and the naive worker. */
export const messageSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('payment'),
    identity: z.string().min(1),
    wolkvoxId: z.string().min(1),
    obligation: z.string().min(1),
    amountMinor: z.number().int().nonnegative(),
    exponent: z.number().int().min(0).max(4),
    paidAt: z.string().datetime({ offset: true }),
  }),
  z.object({
    kind: z.literal('case'),
    identity: z.string().min(1),
    caseId: z.string().min(1),
    status: z.string().min(1),
    solution: z.string().min(1),
    priority: z.string().optional(),
  }),
]);
export type Message = z.infer<typeof messageSchema>;

/** Fetched on every invocation: the usual first version, before anyone adds a cache. */
export async function getSecrets(): Promise<Record<string, string>> {
  const output = await secretsManager.send(new GetSecretValueCommand({ SecretId: env.SECRET_ID }));
  return z.record(z.string(), z.string()).parse(JSON.parse(output.SecretString ?? '{}'));
}

const baseUrl = `${env.WOLKVOX_SERVER.startsWith('http') ? env.WOLKVOX_SERVER : `https://${env.WOLKVOX_SERVER}`}/server/API/v2/`;

const envelopeSchema = z.object({
  code: z.union([z.number(), z.string()]),
  msg: z.string().optional(),
  data: z.unknown(),
});

/** One wolkvox call on its own connection; a non-200 envelope is an error. */
export async function wolkvox(
  endpoint: string,
  token: string,
  body: Record<string, unknown> | FormData,
): Promise<z.infer<typeof envelopeSchema>> {
  const agent = new Agent();
  try {
    const response = await request(baseUrl + endpoint, {
      method: 'POST',
      headers: {
        'wolkvox-token': token,
        ...(body instanceof FormData ? {} : { 'content-type': 'application/json' }),
      },
      body: body instanceof FormData ? body : JSON.stringify({ operation: env.WOLKVOX_OPERATION, ...body }),
      dispatcher: agent,
    });
    const envelope = envelopeSchema.parse(await response.body.json());
    if (response.statusCode !== 200 || String(envelope.code) !== '200') {
      throw new Error(`wolkvox ${endpoint}: ${response.statusCode} ${envelope.msg ?? ''}`);
    }
    return envelope;
  } finally {
    await agent.close();
  }
}

/** Metrics, traces and the Lambda context on the logs, as Powertools' docs wire them into middy. */
export const observed = [injectLambdaContext(logger), captureLambdaHandler(tracer), logMetrics(metrics)];

export function json(statusCode: number, body: Record<string, unknown>) {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}
