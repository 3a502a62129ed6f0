import { requireSecret, type SecretStore } from '#lib/secrets/index.ts';
import type { TokenProvider } from './client.ts';

/** The wolkvox token lives in the secret as WOLKVOX_TOKEN; a rejected token triggers one refresh. */
export function wolkvoxTokenFrom(source: SecretStore): TokenProvider {
  return {
    get: async () => requireSecret(await source.get(), 'WOLKVOX_TOKEN'),
    refresh: async () => requireSecret(await source.refresh(), 'WOLKVOX_TOKEN'),
  };
}
