import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { newAwsClient } from '#lib/aws-client.ts';
import { classifyAwsError, MalformedSecretError } from './errors.ts';
import { type Secrets, type SecretStore, seal } from './secrets.ts';

export interface SecretsManagerStore extends SecretStore {
  /** GetSecretValue calls started by this source: "Secrets Manager calls per container per TTL". */
  readonly fetchCount: number;
}

export interface SecretsManagerStoreOptions {
  secretId: string;
  /** Default: one created on first fetch, with connection/request timeouts. */
  client?: SecretsManagerClient;
  ttlMs?: number;
  now?: () => number;
}

/** Validates a SecretString: a JSON object whose values are all strings (what the console's key/value editor writes). */
export function parseSecretString(secretId: string, secretString: string): Secrets {
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString);
  } catch {
    // No cause: V8's SyntaxError message can quote the input, which is the secret.
    throw new MalformedSecretError(secretId, 'SecretString is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    const got = Array.isArray(parsed) ? 'an array' : parsed === null ? 'null' : `a ${typeof parsed}`;
    throw new MalformedSecretError(secretId, `SecretString must be a JSON object, got ${got}`);
  }
  const entries = Object.entries(parsed);
  const offending = entries.filter(([, value]) => typeof value !== 'string').map(([key]) => key);
  if (offending.length > 0) throw new MalformedSecretError(secretId, 'values must be strings', offending);
  return seal(Object.fromEntries(entries) as Record<string, string>, `Secrets Manager secret "${secretId}"`);
}

// Not Powertools' SecretsProvider: it neither shares an in-flight fetch nor validates flat-string JSON.
export function createSecretsManagerStore(options: SecretsManagerStoreOptions): SecretsManagerStore {
  const { secretId, ttlMs = 300_000, now = Date.now } = options;
  let client = options.client;
  let cached: { secrets: Secrets; expiresAt: number } | undefined;
  let inFlight: Promise<Secrets> | undefined;
  let fetchCount = 0;

  async function fetchSecrets(): Promise<Secrets> {
    // Created on first use so a cold start pays for the client only when a request needs it.
    client ??= newAwsClient(SecretsManagerClient);
    let output: { SecretString?: string | undefined };
    try {
      output = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    } catch (error) {
      throw classifyAwsError(secretId, error);
    }
    if (typeof output.SecretString !== 'string') {
      throw new MalformedSecretError(secretId, 'it has no SecretString (binary secrets are not supported)');
    }
    return parseSecretString(secretId, output.SecretString);
  }

  // One fetch at a time: every caller arriving while it runs (get after expiry, refresh) shares it.
  function load(): Promise<Secrets> {
    if (inFlight) return inFlight;
    fetchCount += 1;
    const attempt = fetchSecrets().then((secrets) => {
      cached = { secrets, expiresAt: now() + ttlMs };
      return secrets;
    });
    inFlight = attempt;
    // A failure is not cached: clearing the slot lets the next call try again.
    const clear = (): void => {
      if (inFlight === attempt) inFlight = undefined;
    };
    attempt.then(clear, clear);
    return attempt;
  }

  return {
    kind: 'secrets-manager',
    get fetchCount() {
      return fetchCount;
    },
    get: () => (cached && now() < cached.expiresAt ? Promise.resolve(cached.secrets) : load()),
    cached: () => (cached && now() < cached.expiresAt ? cached.secrets : undefined),
    refresh: load,
  };
}
