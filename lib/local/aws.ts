/** SDK client settings for a fake AWS endpoint on loopback: fixed region, dummy keys, no retries. */
export function loopbackClientConfig(endpoint: string) {
  return {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  };
}
