import { AWS_CLIENT_CONFIG } from '#lib/aws-client.ts';

/**
 * SDK client settings for a fake AWS endpoint on loopback: fixed region, dummy keys, no retries —
 * and the deployed clients' cached middleware, so the ledger's tests run the calls (several at once
 * on one client, as settle makes them) the way a deployed client runs them.
 */
export function loopbackClientConfig(endpoint: string) {
  return {
    cacheMiddleware: AWS_CLIENT_CONFIG.cacheMiddleware,
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  };
}
