import type { Config } from '#lib/config.ts';
import type { Logger } from '#lib/log.ts';
import { MissingSecretError, type Secrets } from '#lib/secrets/index.ts';
import { findProvider, providersOf, type RegistryEntry } from './registry.ts';
import type { Family, FamilyEvent, Provider, ProviderCode } from './types.ts';

/**
 * A function's providers (one family): which are enabled, and each one's code, loaded on the first
 * request for it and kept for the container's life, so a cold start pays only for the providers it
 * is asked about and adding providers does not grow it.
 *
 * Enabled: those PROVIDERS lists, or — without the setting — those whose required secret keys are
 * all present. A provider that is not enabled answers 404, as an unknown one does. One PROVIDERS
 * lists whose keys are missing is a configuration problem, not a stream of silent 401s: its
 * requests fail with a MissingSecretError (503: the provider retries while an operator fixes it),
 * and the log says which key is missing.
 */
export interface ProviderLoader<E> {
  family: Family;
  /** The providers of this family that are served with these secrets (logged when the set changes). */
  enabled(secrets: Secrets): readonly string[];
  /** The provider for `slug`, or undefined when there is none or it is not enabled. */
  provider(slug: string, secrets: Secrets): Promise<Provider<E> | undefined>;
  /**
   * The warm path's shortcut: the provider for `slug` when it is served and its code is loaded
   * already, so a request need not await provider(). Undefined in every other case (not served,
   * lacking a key, not loaded yet): provider() then decides, loads or refuses.
   */
  loaded?(slug: string, secrets: Secrets): Provider<E> | undefined;
}

const hasValue = (secrets: Secrets, key: string) =>
  Object.hasOwn(secrets, key) && (secrets[key] ?? '').trim() !== '';

/** A provider's code with its settings: what ingress calls, with its code's answer rule. */
export function createProvider<E>(
  code: ProviderCode<E, unknown>,
  settings: unknown,
  operation: string,
): Provider<E> {
  const provider = code.create({ ...(settings as object), operation });
  return {
    ...provider,
    ...(code.onlyStatus === undefined ? {} : { onlyStatus: code.onlyStatus }),
    ...(code.acceptedBody === undefined ? {} : { acceptedBody: code.acceptedBody }),
  };
}

/** Which of `entries` are served, and which of those lack a required key (only when listed). */
export function enabledProviders(
  entries: readonly RegistryEntry[],
  secrets: Secrets,
  listed: readonly string[] | undefined,
): { enabled: RegistryEntry[]; missing: Map<string, string[]> } {
  const missing = new Map<string, string[]>();
  const enabled = entries.filter((entry) => {
    const lacking = entry.secrets.required.filter((key) => !hasValue(secrets, key));
    if (!listed) return lacking.length === 0;
    if (!listed.includes(entry.slug) && !listed.includes(`${entry.family}/${entry.slug}`)) return false;
    if (lacking.length > 0) missing.set(entry.slug, lacking);
    return true;
  });
  return { enabled, missing };
}

export function providerLoader<F extends Family>(
  family: F,
  config: Pick<Config, 'providers' | 'enabledProviders' | 'wolkvox'>,
  logger: Logger,
): ProviderLoader<FamilyEvent[F]> {
  const entries = providersOf(family);
  const loaded = new Map<string, Promise<Provider<FamilyEvent[F]>>>();
  // The same providers once their code has loaded, for loaded() to hand out without a promise.
  const ready = new Map<string, Provider<FamilyEvent[F]>>();
  let decided: { secrets: Secrets; enabled: RegistryEntry[]; missing: Map<string, string[]> } | undefined;
  let logged: string | undefined;

  function decide(secrets: Secrets) {
    if (decided?.secrets !== secrets) {
      decided = { secrets, ...enabledProviders(entries, secrets, config.enabledProviders) };
      const names = decided.enabled.map((entry) => entry.slug).join(',');
      // Once per container, and again when a refreshed secret changes the set.
      if (names !== logged) {
        logged = names;
        logger.info('providers enabled', {
          family,
          enabled: decided.enabled.map((entry) => entry.slug),
          by: config.enabledProviders ? 'PROVIDERS' : 'secret keys present',
        });
        for (const [slug, keys] of decided.missing) {
          logger.error('provider enabled without its secret keys', { family, provider: slug, missing: keys });
        }
      }
    }
    return decided;
  }

  function load(entry: RegistryEntry): Promise<Provider<FamilyEvent[F]>> {
    let provider = loaded.get(entry.slug);
    if (!provider) {
      const settings = (config.providers[family] as Record<string, unknown>)[entry.slug];
      provider = (entry.load() as Promise<ProviderCode<FamilyEvent[F], unknown>>).then(
        (code) => {
          const made = createProvider<FamilyEvent[F]>(code, settings, config.wolkvox.operation);
          ready.set(entry.slug, made);
          return made;
        },
        (error: unknown) => {
          // Not kept: the next request tries to load it again.
          loaded.delete(entry.slug);
          throw error;
        },
      );
      loaded.set(entry.slug, provider);
    }
    return provider;
  }

  return {
    family,
    enabled: (secrets) => decide(secrets).enabled.map((entry) => entry.slug),
    async provider(slug, secrets) {
      const { enabled, missing } = decide(secrets);
      const entry = enabled.find((candidate) => candidate.slug === slug);
      if (!entry) return undefined;
      const lacking = missing.get(slug);
      if (lacking?.[0]) throw new MissingSecretError(lacking[0], 'the secret', 'missing');
      return load(entry);
    },
    loaded(slug, secrets) {
      const { enabled, missing } = decide(secrets);
      if (missing.has(slug) || !enabled.some((candidate) => candidate.slug === slug)) return undefined;
      return ready.get(slug);
    },
  };
}

/**
 * Where a helpdesk's attachments may be downloaded from, and with which credentials (the worker's
 * attachment policy): what its provider.ts declares. None for a provider without attachments.
 */
export async function attachmentAccess(
  config: Pick<Config, 'providers'>,
  slug: string,
  secrets: Secrets,
): Promise<{ hosts: string[]; authorization: string | undefined }> {
  const entry = findProvider('tickets', slug);
  const code = entry ? ((await entry.load()) as ProviderCode<unknown, unknown>) : undefined;
  if (!entry || !code?.attachments) return { hosts: [], authorization: undefined };
  const settings = (config.providers.tickets as Record<string, unknown>)[entry.slug];
  return { hosts: code.attachments.hosts(settings), authorization: code.attachments.authorization(secrets) };
}
