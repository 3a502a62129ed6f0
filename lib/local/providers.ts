import { type Family, type FamilyEvent, type ProviderCode } from '#lib/providers/types.ts';
import { REGISTRY, type RegistryEntry } from '#lib/providers/registry.ts';

/**
 * Every provider's code, loaded at once for local tools and tests (the signer, the demo, npm start):
 * they sign and describe any provider. Never imported by a function, which loads a provider's code
 * only for a request to it (lib/providers/loader.ts).
 */
export interface LocalProvider {
  entry: RegistryEntry;
  code: ProviderCode<FamilyEvent[Family], unknown>;
}

export const LOCAL_PROVIDERS: readonly LocalProvider[] = await Promise.all(
  REGISTRY.map(async (entry) => ({
    entry,
    code: (await entry.load()) as ProviderCode<FamilyEvent[Family], unknown>,
  })),
);

/**
 * The provider named `slug` (in `family`, when a slug is served by both): a sample's folder name.
 * Throws naming the known ones.
 */
export function localProvider(slug: string, family?: Family): LocalProvider {
  const matches = LOCAL_PROVIDERS.filter(
    ({ entry }) => entry.slug === slug && (family === undefined || entry.family === family),
  );
  const [found] = matches;
  if (!found || matches.length > 1) {
    const known = LOCAL_PROVIDERS.map(({ entry }) => entry.slug).join(', ');
    throw new Error(
      matches.length > 1
        ? `provider "${slug}" is in both families: say which (payments or tickets)`
        : `no provider "${slug}"; known: ${known}`,
    );
  }
  return found;
}
