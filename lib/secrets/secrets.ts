import { MissingSecretError } from './errors.ts';

/** Flat string keys named `<PROVIDER>_<WHAT>`: `WOLKVOX_TOKEN`, `STRIPE_WEBHOOK_SECRET`, … */
export type Secrets = Readonly<Record<string, string>>;

export interface SecretStore {
  get(): Promise<Secrets>;
  /**
   * What get() would resolve to right now without fetching, or undefined (nothing cached, or
   * expired): lets a warm request skip an await. Optional: a store without a cache has none.
   */
  cached?(): Secrets | undefined;
  /** Fetches anew, e.g. after wolkvox rejected the token; concurrent calls share one fetch. */
  refresh(): Promise<Secrets>;
  readonly kind: 'secrets-manager' | 'environment';
}

// Where each Secrets object came from, so requireSecret can say where it looked without an extra parameter.
const origins = new WeakMap<Secrets, string>();

/** Freezes `entries` and remembers `origin` for requireSecret's message. */
export function seal(entries: Record<string, string>, origin: string): Secrets {
  const secrets: Secrets = Object.freeze(entries);
  origins.set(secrets, origin);
  return secrets;
}

/** The value of `name`; a missing or empty one is a MissingSecretError naming the key and where it looked. */
export function requireSecret(secrets: Secrets, name: string): string {
  const value = Object.hasOwn(secrets, name) ? secrets[name] : undefined;
  if (value === undefined || value === '') {
    const location = origins.get(secrets) ?? 'the secrets';
    throw new MissingSecretError(name, location, value === '' ? 'empty' : 'missing');
  }
  return value;
}
