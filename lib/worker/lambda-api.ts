import type { AwsCredentialIdentity, ChecksumConstructor, HashConstructor } from '@smithy/types';
import { SignatureV4 } from '@smithy/signature-v4';
import { request } from '#lib/undici.ts';

/**
 * The two Lambda API calls the intake needs (ListEventSourceMappings, UpdateEventSourceMapping),
 * signed with the SDK's own SigV4 signer and the credentials, region and hash of a client the
 * worker already has. Not @aws-sdk/client-lambda: its code is ~115 KB more in the worker's zip for
 * two REST calls, and the bench holds the zip to half its old size. Its wire format is checked
 * against the official client in test/intake.test.ts.
 */
export interface LambdaApiOptions {
  region: () => Promise<string>;
  credentials: () => Promise<AwsCredentialIdentity>;
  sha256: ChecksumConstructor | HashConstructor;
  /** Default: the region's public endpoint; tests give a loopback fake. */
  endpoint?: string;
  timeoutMs?: number;
}

export interface EventSourceMappings {
  /** The UUID of the mapping from `queueArn` to `functionName`, if there is one. */
  find(functionName: string, queueArn: string): Promise<string | undefined>;
  setEnabled(uuid: string, enabled: boolean): Promise<void>;
}

/** The Lambda API refused or failed a call: its error type (`ResourceInUseException`, …) and status. */
export class LambdaApiError extends Error {
  override readonly name = 'LambdaApiError';
  readonly type: string;
  readonly status: number;
  constructor(type: string, status: number) {
    super(`Lambda API answered ${status} ${type}`);
    this.type = type;
    this.status = status;
  }
}

const API = '/2015-03-31/event-source-mappings/';

export function eventSourceMappings(options: LambdaApiOptions): EventSourceMappings {
  async function call(
    method: 'GET' | 'PUT',
    path: string,
    query: Record<string, string>,
    body?: unknown,
  ): Promise<unknown> {
    const region = await options.region();
    const endpoint = new URL(options.endpoint ?? `https://lambda.${region}.amazonaws.com`);
    const text = body === undefined ? undefined : JSON.stringify(body);
    const signer = new SignatureV4({
      service: 'lambda',
      region,
      credentials: options.credentials,
      sha256: options.sha256,
    });
    const signed = await signer.sign({
      method,
      protocol: endpoint.protocol,
      hostname: endpoint.hostname,
      port: endpoint.port ? Number(endpoint.port) : undefined,
      path,
      query,
      headers: {
        host: endpoint.host,
        ...(text === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: text,
    });
    const url = new URL(path, endpoint);
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    const response = await request(url, {
      method,
      headers: signed.headers,
      body: text,
      signal: AbortSignal.timeout(options.timeoutMs ?? 3_000),
    });
    const answer = await response.body.text();
    const parsed: unknown = answer ? JSON.parse(answer) : undefined;
    if (response.statusCode >= 300) {
      const type =
        response.headers['x-amzn-errortype']?.toString().split(':')[0] ??
        String((parsed as { Type?: unknown } | undefined)?.Type ?? 'UnknownError');
      throw new LambdaApiError(type, response.statusCode);
    }
    return parsed;
  }

  return {
    async find(functionName, queueArn) {
      const found = (await call('GET', API, { FunctionName: functionName, EventSourceArn: queueArn })) as {
        EventSourceMappings?: Array<{ UUID?: string }>;
      };
      return found.EventSourceMappings?.[0]?.UUID;
    },
    async setEnabled(uuid, enabled) {
      await call('PUT', `${API}${encodeURIComponent(uuid)}`, {}, { Enabled: enabled });
    },
  };
}
