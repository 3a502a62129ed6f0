import { ServiceError } from '#lib/errors.ts';
import { requireSecret, type SecretStore, type Secrets } from '#lib/secrets/index.ts';
import type { TokenProvider } from './client.ts';
import { parseTokens, tokenLabel } from './tokens.ts';

/**
 * The wolkvox token lives in the secret as WOLKVOX_TOKEN; a rejected token triggers one refresh.
 * With several (comma-separated), `shard` (TOKEN_SHARD, set per worker by the deployment) picks
 * this worker's one, so each token is drained by its own queue's 2 workers only.
 */
export function wolkvoxTokenFrom(source: SecretStore, shard = 0): TokenProvider {
  const pick = (secrets: Secrets) => {
    const parsed = parseTokens(requireSecret(secrets, 'WOLKVOX_TOKEN'));
    if (!parsed.ok) throw new TokenListError(parsed.problems);
    const token = parsed.tokens[shard];
    if (token === undefined) {
      throw new TokenListError([
        `holds ${parsed.tokens.length} token(s); this worker (TOKEN_SHARD=${shard}) uses ${tokenLabel(shard)}`,
      ]);
    }
    return token;
  };
  return {
    get: async () => pick(await source.get()),
    refresh: async () => pick(await source.refresh()),
  };
}

/** WOLKVOX_TOKEN cannot serve this worker: like a missing key, someone must fix the secret (auth). */
export class TokenListError extends ServiceError {
  override readonly name = 'TokenListError';
  readonly problems: readonly string[];
  constructor(problems: string[]) {
    super('secrets', 'auth', `Secret key WOLKVOX_TOKEN: ${problems.join('; ')}`);
    this.problems = problems;
  }
}
