/**
 * Fair baseline (bench only): the one JSON secret, fetched once per container and kept for five
 * minutes, as the AWS docs' caching advice has it. The client is built at the top level, outside
 * the handler, and only in the functions that import this module; its calls are traced.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { tracer } from './powertools.ts';

const client = tracer.captureAWSv3Client(new SecretsManagerClient({}));
const TTL_MS = 5 * 60_000;
let cached: { value: Record<string, string>; until: number } | undefined;

export async function getSecrets(): Promise<Record<string, string>> {
  if (cached && cached.until > Date.now()) return cached.value;
  const output = await client.send(new GetSecretValueCommand({ SecretId: process.env.SECRET_ID }));
  const value = JSON.parse(output.SecretString ?? '{}') as Record<string, string>;
  cached = { value, until: Date.now() + TTL_MS };
  return value;
}
