import type * as z from 'zod/mini';
import type { Family, FamilyEvent, ProviderCode } from './types.ts';

/**
 * A provider's settings.ts: everything about it that is needed before its code is, so the
 * configuration can validate its settings at cold start and the registry can say which providers a
 * deployment serves, while each function loads a provider's code only for a request to it.
 */
/** Local demo values: the secret keys and the settings the samples need. */
export interface LocalValues {
  secrets: Readonly<Record<string, string>>;
  settings?: Readonly<Record<string, string>>;
}

export interface ProviderDefinition<
  F extends Family,
  Slug extends string,
  Env extends z.core.$ZodShape,
  S,
  L extends LocalValues = LocalValues,
> {
  family: F;
  slug: Slug;
  /** How the README and guides name it. */
  name: string;
  /**
   * Its keys in the one JSON secret, `<PROVIDER>_<WHAT>`. The required ones enable it: a provider
   * whose required keys are all present is served (unless PROVIDERS lists others).
   */
  secrets: { required: readonly string[]; optional?: readonly string[] };
  /** Its slice of the environment schema (lib/settings.ts helpers), composed by lib/config.ts. */
  env: Env;
  /** The validated slice → the settings its code is created with. */
  read(env: z.infer<z.ZodMiniObject<Env>>): S;
  /** A replay window the ledger must outlive (config.ts refuses settings that break this). */
  replayWindow?(settings: S): { setting: string; seconds: number };
  /** Built-in values for local runs only (lib/local/defaults.ts): the demo secret, the samples' settings. */
  local: L;
  /** Its code: a separate chunk, loaded on the first request for it. */
  load(): Promise<ProviderCode<FamilyEvent[F], S>>;
}

/** Types a settings.ts's definition (an identity function: the checks are the compiler's). */
export function defineProvider<
  F extends Family,
  Slug extends string,
  Env extends z.core.$ZodShape,
  S,
  L extends LocalValues,
>(definition: ProviderDefinition<F, Slug, Env, S, L>): ProviderDefinition<F, Slug, Env, S, L> {
  return definition;
}
