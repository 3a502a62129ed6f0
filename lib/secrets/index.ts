import { createEnvSource, type EnvSourceOptions } from './env.ts';
import { SecretsError } from './errors.ts';
import type { SecretsSource } from './secrets.ts';
import { createSecretsManagerSource, type SecretsManagerSourceOptions } from './secrets-manager.ts';

export { createEnvSource, type EnvSourceOptions } from './env.ts';
export {
  MalformedSecretError,
  MissingSecretError,
  SecretsError,
  type SecretsErrorOptions,
  type SecretsErrorReason,
} from './errors.ts';
export { requireSecret, type Secrets, type SecretsSource } from './secrets.ts';
export {
  createSecretsManagerSource,
  parseSecretString,
  type SecretsManagerSource,
  type SecretsManagerSourceOptions,
} from './secrets-manager.ts';

export interface SecretsSourceOptions
  extends Omit<SecretsManagerSourceOptions, 'secretId'>, EnvSourceOptions {
  /** SECRET_ID; blank counts as unset. */
  secretId?: string | undefined;
  /** Whether this runs inside AWS Lambda; the caller derives it from AWS_LAMBDA_FUNCTION_NAME. */
  inLambda: boolean;
}

/** Secrets Manager when SECRET_ID is set; the environment outside Lambda; an init failure inside Lambda without it. */
export function createSecretsSource(options: SecretsSourceOptions): SecretsSource {
  const secretId = options.secretId?.trim();
  if (secretId) return createSecretsManagerSource({ ...options, secretId });
  if (options.inLambda) {
    throw new SecretsError(
      'SECRET_ID is required inside AWS Lambda: set it to the name or ARN of the Secrets Manager secret holding WOLKVOX_TOKEN and the webhook secrets',
      { reason: 'not-configured', retryable: false },
    );
  }
  return createEnvSource(options);
}
