import { createEnvStore, type EnvStoreOptions } from './env.ts';
import { SecretsError } from './errors.ts';
import type { SecretStore } from './secrets.ts';
import { createSecretsManagerStore, type SecretsManagerStoreOptions } from './secrets-manager.ts';

export { createEnvStore, type EnvStoreOptions } from './env.ts';
export {
  MalformedSecretError,
  MissingSecretError,
  SecretsError,
  type SecretsErrorOptions,
  type SecretsErrorReason,
} from './errors.ts';
export { requireSecret, type Secrets, type SecretStore } from './secrets.ts';
export {
  createSecretsManagerStore,
  parseSecretString,
  type SecretsManagerStore,
  type SecretsManagerStoreOptions,
} from './secrets-manager.ts';

export interface SecretStoreOptions extends Omit<SecretsManagerStoreOptions, 'secretId'>, EnvStoreOptions {
  /** SECRET_ID; blank counts as unset. */
  secretId?: string | undefined;
  /** Whether this runs inside AWS Lambda; the caller derives it from AWS_LAMBDA_FUNCTION_NAME. */
  inLambda: boolean;
}

/** Secrets Manager when SECRET_ID is set; the environment outside Lambda; an init failure inside Lambda without it. */
export function createSecretStore(options: SecretStoreOptions): SecretStore {
  const secretId = options.secretId?.trim();
  if (secretId) return createSecretsManagerStore({ ...options, secretId });
  if (options.inLambda) {
    throw new SecretsError(
      'SECRET_ID is required inside AWS Lambda: set it to the name or ARN of the Secrets Manager secret holding WOLKVOX_TOKEN and the webhook secrets',
      { reason: 'not-configured', retryable: false },
    );
  }
  return createEnvStore(options);
}
