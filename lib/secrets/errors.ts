// Messages carry the secret id, the AWS error name and key names only: a value must never reach a log line.
import { ServiceError } from '#lib/errors.ts';

/** Why GetSecretValue failed; only `throttled` and `unavailable` are worth retrying. */
export type AwsReason =
  'not-found' | 'access-denied' | 'decryption-failure' | 'throttled' | 'unavailable' | 'rejected';
export type SecretsErrorReason = AwsReason | 'malformed' | 'not-configured' | 'unreadable';

export interface SecretsErrorOptions extends ErrorOptions {
  reason: SecretsErrorReason;
  retryable: boolean;
  secretId?: string;
  awsErrorName?: string;
}

/** The secrets could not be read: transient when Secrets Manager may answer later, else permanent (configuration). */
export class SecretsError extends ServiceError {
  override readonly name: string = 'SecretsError';
  readonly reason: SecretsErrorReason;
  readonly secretId: string | undefined;
  readonly awsErrorName: string | undefined;

  constructor(message: string, options: SecretsErrorOptions) {
    super('secrets', options.retryable ? 'transient' : 'permanent', message, options);
    this.reason = options.reason;
    this.secretId = options.secretId;
    this.awsErrorName = options.awsErrorName;
  }
}

/** The secret's content is not a JSON object of strings; `keys` lists the offending keys, never values. */
export class MalformedSecretError extends SecretsError {
  override readonly name = 'MalformedSecretError';
  readonly keys: readonly string[];

  constructor(secretId: string, problem: string, keys: readonly string[] = []) {
    const listed = keys.length > 0 ? ` (keys: ${keys.join(', ')})` : '';
    super(`Secret "${secretId}" is malformed: ${problem}${listed}`, {
      reason: 'malformed',
      retryable: false,
      secretId,
    });
    this.keys = keys;
  }
}

/** A key the work needs is not in the secret: someone must add it (auth: retried later, and alarmed). */
export class MissingSecretError extends ServiceError {
  override readonly name = 'MissingSecretError';
  readonly key: string;
  /** `Secrets Manager secret "<id>"` or `environment/.env`. */
  readonly location: string;

  constructor(key: string, location: string, problem: 'missing' | 'empty') {
    super('secrets', 'auth', `Secret key ${key} is ${problem} in ${location}`);
    this.key = key;
    this.location = location;
  }
}

const notRetryable: Readonly<Record<string, AwsReason>> = {
  ResourceNotFoundException: 'not-found',
  AccessDeniedException: 'access-denied',
  UnrecognizedClientException: 'access-denied',
  InvalidSignatureException: 'access-denied',
  ExpiredTokenException: 'access-denied',
  DecryptionFailure: 'decryption-failure',
};
const throttling = new Set(['ThrottlingException', 'Throttling', 'TooManyRequestsException']);

/** Turns what `client.send(GetSecretValue)` threw (after the SDK's own retries) into a SecretsError. */
export function classifyAwsError(secretId: string, error: unknown): SecretsError {
  const failed = `Secrets Manager GetSecretValue for "${secretId}" failed`;
  const e = (typeof error === 'object' && error !== null ? error : {}) as {
    name?: unknown;
    code?: unknown;
    $metadata?: { httpStatusCode?: number };
  };
  // A 200 whose body the SDK could not parse: its SyntaxError may quote the body (the secret), so no cause.
  if (error instanceof SyntaxError || '$responseBodyText' in e) {
    const options = {
      reason: 'unavailable',
      retryable: true,
      secretId,
      awsErrorName: 'SyntaxError',
    } as const;
    return new SecretsError(`${failed}: unparseable response (unavailable, retryable)`, options);
  }
  // Socket errors are plain Errors whose `code` (ECONNREFUSED, …) is the useful name.
  const name = e.name === 'Error' && typeof e.code === 'string' ? e.code : e.name;
  const awsErrorName = typeof name === 'string' ? name : 'UnknownError';
  const status = e.$metadata?.httpStatusCode;
  const known = notRetryable[awsErrorName];
  const [reason, retryable]: [AwsReason, boolean] = known
    ? [known, false]
    : throttling.has(awsErrorName) || status === 429
      ? ['throttled', true]
      : status === undefined || status >= 500 || status === 408
        ? ['unavailable', true] // network errors and timeouts arrive without a status
        : ['rejected', false];
  const message = `${failed}: ${awsErrorName} (${reason}, ${retryable ? 'retryable' : 'not retryable'})`;
  return new SecretsError(message, { reason, retryable, secretId, awsErrorName, cause: error });
}
