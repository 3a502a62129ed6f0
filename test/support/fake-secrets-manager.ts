import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SecretsManagerClient, type SecretsManagerClientConfig } from '@aws-sdk/client-secrets-manager';

/**
 * A loopback Secrets Manager speaking AWS JSON 1.1 for `secretsmanager.GetSecretValue`, for tests and for the
 * cold-start benchmark. Errors are shaped like the real service's: HTTP 400 (500 for InternalServiceError)
 * with `x-amzn-errortype` and `{"__type", "Message"}`. The SDK recognises ThrottlingException by its name
 * (its throttling list), not by the status, which is 400 as the real service sends it.
 */

/** A string is a SecretString; bytes are a binary-only secret (SecretBinary). */
export type FakeSecretValue = string | Uint8Array;

/**
 * An AWS error name (`ResourceNotFoundException`, `ThrottlingException`, …), `connection-reset` (socket
 * destroyed) or `truncated-response` (a 200 whose JSON body is cut in the middle of the SecretString).
 */
export type FakeFailure = string;

export interface FakeRequest {
  readonly target: string | undefined;
  readonly contentType: string | undefined;
  readonly secretId: string | undefined;
  readonly signed: boolean;
  /** The SDK's `amz-sdk-request` header, e.g. `attempt=2; max=3`. */
  readonly attempt: string | undefined;
}

export interface FakeSecretsManager {
  readonly endpoint: string;
  readonly calls: {
    readonly count: number;
    readonly secretIds: readonly string[];
    readonly requests: readonly FakeRequest[];
  };
  setSecret(id: string, value: FakeSecretValue): void;
  deleteSecret(id: string): void;
  /** The next `count` GetSecretValue requests fail with `errorType`, whatever the secret id. */
  failNext(errorType: FakeFailure, count?: number): void;
  latencyMs: number;
  resetCalls(): void;
  close(): Promise<void>;
}

const statusOf: Readonly<Record<string, number>> = { InternalServiceError: 500, ServiceUnavailable: 503 };

export async function startFakeSecretsManager(
  options: { secrets?: Record<string, FakeSecretValue>; latencyMs?: number } = {},
): Promise<FakeSecretsManager> {
  const secrets = new Map(Object.entries(options.secrets ?? {}));
  const versions = new Map<string, number>();
  const failures: FakeFailure[] = [];
  const requests: FakeRequest[] = [];
  let latencyMs = options.latencyMs ?? 0;

  function send(res: ServerResponse, status: number, body: unknown, errorType?: string): void {
    const headers: Record<string, string> = {
      'content-type': 'application/x-amz-json-1.1',
      'x-amzn-requestid': crypto.randomUUID(),
    };
    // The real header carries a namespace suffix after a colon, which the SDK strips.
    if (errorType)
      headers['x-amzn-errortype'] = `${errorType}:http://internal.amazon.com/coral/com.amazonaws.secrets/`;
    res.writeHead(status, headers).end(JSON.stringify(body));
  }

  function fail(res: ServerResponse, errorType: string, message: string): void {
    send(res, statusOf[errorType] ?? 400, { __type: errorType, Message: message }, errorType);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let secretId: string | undefined;
    try {
      const body: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const id = (body as { SecretId?: unknown } | null)?.SecretId;
      secretId = typeof id === 'string' ? id : undefined;
    } catch {
      secretId = undefined;
    }
    const target = req.headers['x-amz-target'];
    requests.push({
      target: typeof target === 'string' ? target : undefined,
      contentType: req.headers['content-type'],
      secretId,
      signed:
        typeof req.headers.authorization === 'string' &&
        req.headers.authorization.startsWith('AWS4-HMAC-SHA256'),
      attempt:
        typeof req.headers['amz-sdk-request'] === 'string' ? req.headers['amz-sdk-request'] : undefined,
    });
    if (latencyMs > 0) await new Promise((r) => setTimeout(r, latencyMs));

    if (req.method !== 'POST' || target !== 'secretsmanager.GetSecretValue') {
      return fail(res, 'UnknownOperationException', `Unsupported operation ${String(target)}`);
    }
    const failure = failures.shift();
    if (failure === 'connection-reset') {
      req.socket.destroy();
      return;
    }
    if (failure === 'truncated-response') {
      const full = JSON.stringify({ Name: secretId, SecretString: secretId && secrets.get(secretId) });
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(full.slice(0, -10));
      return;
    }
    if (failure)
      return fail(res, failure, failure === 'ThrottlingException' ? 'Rate exceeded' : 'Injected failure');
    if (secretId === undefined) return fail(res, 'InvalidParameterException', 'SecretId is required');
    const value = secrets.get(secretId);
    if (value === undefined) {
      return fail(res, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    }
    const version = versions.get(secretId) ?? 1;
    send(res, 200, {
      ARN: `arn:aws:secretsmanager:us-east-1:000000000000:secret:${secretId}-AbCdEf`,
      Name: secretId,
      VersionId: `00000000-0000-4000-8000-${String(version).padStart(12, '0')}`,
      VersionStages: ['AWSCURRENT'],
      CreatedDate: 1_700_000_000 + version,
      ...(typeof value === 'string'
        ? { SecretString: value }
        : { SecretBinary: Buffer.from(value).toString('base64') }),
    });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls: {
      get count() {
        return requests.length;
      },
      get secretIds() {
        return requests.flatMap((r) => (r.secretId === undefined ? [] : [r.secretId]));
      },
      get requests() {
        return [...requests];
      },
    },
    setSecret(id, value) {
      secrets.set(id, value);
      versions.set(id, (versions.get(id) ?? 1) + 1);
    },
    deleteSecret(id) {
      secrets.delete(id);
    },
    failNext(errorType, count = 1) {
      for (let i = 0; i < count; i += 1) failures.push(errorType);
    },
    get latencyMs() {
      return latencyMs;
    },
    set latencyMs(ms: number) {
      latencyMs = ms;
    },
    resetCalls() {
      requests.length = 0;
    },
    async close() {
      // The SDK keeps connections alive; without this, close() waits for them to idle out.
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}

type RetryStrategyV2 = Extract<
  NonNullable<SecretsManagerClientConfig['retryStrategy']>,
  { recordSuccess: unknown }
>;
type RetryToken = Awaited<ReturnType<RetryStrategyV2['acquireInitialRetryToken']>>;

/**
 * The SDK's standard strategy waits up to seconds before retrying a throttle. This one retries the same
 * error types it does (THROTTLING, TRANSIENT: the SDK's own classification of each failure) with no
 * wait, and records each classification so a test can assert how the SDK saw a response.
 */
export function immediateRetries(maxAttempts: number): RetryStrategyV2 & { readonly seen: string[] } {
  const seen: string[] = [];
  const token = (count: number): RetryToken => ({ getRetryCount: () => count, getRetryDelay: () => 0 });
  return {
    seen,
    acquireInitialRetryToken: async () => token(0),
    async refreshRetryTokenForRetry(previous, info) {
      seen.push(info.errorType);
      const retryable = info.errorType === 'THROTTLING' || info.errorType === 'TRANSIENT';
      if (!retryable || previous.getRetryCount() + 1 >= maxAttempts)
        throw new Error('No retry token available');
      return token(previous.getRetryCount() + 1);
    },
    recordSuccess: () => {},
  };
}

/** A real SDK client pointed at the fake, with dummy credentials and no waits between retries. */
export function fakeClient(endpoint: string, maxAttempts = 3, retryStrategy = immediateRetries(maxAttempts)) {
  return new SecretsManagerClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts,
    retryStrategy,
  });
}
