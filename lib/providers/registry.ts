import adyen from './payments/adyen/settings.ts';
import bold from './payments/bold/settings.ts';
import epayco from './payments/epayco/settings.ts';
import mercadopago from './payments/mercadopago/settings.ts';
import paypal from './payments/paypal/settings.ts';
import payu from './payments/payu/settings.ts';
import standard from './payments/standard/settings.ts';
import stripe from './payments/stripe/settings.ts';
import wompi from './payments/wompi/settings.ts';
import freshdesk from './tickets/freshdesk/settings.ts';
import helpscout from './tickets/helpscout/settings.ts';
import hubspot from './tickets/hubspot/settings.ts';
import intercom from './tickets/intercom/settings.ts';
import servicenow from './tickets/servicenow/settings.ts';
import standardTickets from './tickets/standard/settings.ts';
import jira from './tickets/jira/settings.ts';
import zendesk from './tickets/zendesk/settings.ts';
import zohodesk from './tickets/zohodesk/settings.ts';
import type { Family } from './types.ts';

/**
 * Every provider the service knows, by family: POST /webhooks/<family>/<slug>. The configuration,
 * the enabled providers, the local signer, the demo, .env.example, the attachment policy and the
 * README's tables are derived from this list; each entry is the provider's settings.ts, which
 * loads its code on the first request for it. To add a provider, see docs/add-a-provider.md.
 */
export const REGISTRY = [
  stripe,
  wompi,
  mercadopago,
  payu,
  epayco,
  bold,
  adyen,
  paypal,
  standard,
  zendesk,
  freshdesk,
  jira,
  hubspot,
  intercom,
  helpscout,
  zohodesk,
  servicenow,
  standardTickets,
] as const;

export type RegistryEntry = (typeof REGISTRY)[number];

/** Each provider's settings, by family and slug (what lib/config.ts reads from the environment). */
export type ProviderSettings = {
  [F in Family]: {
    [E in Extract<RegistryEntry, { family: F }> as E['slug']]: ReturnType<E['read']>;
  };
};

/** The providers of one family, in the registry's order. */
export function providersOf(family: Family): readonly RegistryEntry[] {
  return REGISTRY.filter((entry) => entry.family === family);
}

/** The entry for `slug` in `family`, or undefined (an own match: `constructor` is no provider). */
export function findProvider(family: Family, slug: string): RegistryEntry | undefined {
  return REGISTRY.find((entry) => entry.family === family && entry.slug === slug);
}
