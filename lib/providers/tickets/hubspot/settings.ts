import * as z from 'zod/mini';
import { blankIsUnset, flag, preprocess, text } from '#lib/settings.ts';
import { defineProvider } from '../../define.ts';
import { apiUrl } from '../../payments/reference.ts';

export interface HubSpotSettings {
  /** HUBSPOT_CASE_ID_PROPERTY: the ticket property holding the wolkvox case id (internal name). */
  caseIdProperty: string;
  /** HUBSPOT_CLOSED_STAGES: pipeline stage ids that mean closed (comma-separated). */
  closedStages: readonly string[];
  /** HUBSPOT_API_URL: HubSpot's API, https://api.hubapi.com. */
  apiUrl: string;
  /**
   * HUBSPOT_WEBHOOK_URL: the exact URL HubSpot calls, when a proxy or custom domain makes the one
   * API Gateway sees differ; unset, it is https://<host><raw path>[?<raw query>].
   */
  webhookUrl: string | undefined;
  /** HUBSPOT_ACCEPT_V2: accept workflow deliveries signed only with the v2 signature (no time). */
  acceptV2: boolean;
}

export const DEFAULT_CASE_ID_PROPERTY = 'wolkvox_id';
/** The default help desk pipeline's Closed stage (helpdesks.md §4.1: portal-specific elsewhere). */
export const DEFAULT_CLOSED_STAGES = ['4'];
export const HUBSPOT_API = 'https://api.hubapi.com';
/** The URL local tools sign for and local runs pin (never a deployment's). */
export const LOCAL_WEBHOOK_URL = 'https://webhooks.local.test/webhooks/tickets/hubspot';

const stageList = preprocess(
  blankIsUnset,
  z.optional(
    z.pipe(
      z.string(),
      z.transform((value, context) => {
        const stages = value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        if (stages.length === 0) {
          context.issues.push({ code: 'custom', message: 'must list at least one stage id', input: value });
          return z.NEVER;
        }
        return stages;
      }),
    ),
  ),
);

/** HubSpot Service Hub tickets: the Webhooks API and workflow webhooks (docs/providers/hubspot.md). */
export default defineProvider({
  family: 'tickets',
  slug: 'hubspot',
  name: 'HubSpot',
  secrets: { required: ['HUBSPOT_CLIENT_SECRET', 'HUBSPOT_ACCESS_TOKEN'], optional: [] },
  env: {
    HUBSPOT_CASE_ID_PROPERTY: text(),
    HUBSPOT_CLOSED_STAGES: stageList,
    /** HubSpot's API; never taken from an event. */
    HUBSPOT_API_URL: apiUrl(HUBSPOT_API),
    HUBSPOT_WEBHOOK_URL: text(),
    HUBSPOT_ACCEPT_V2: flag(true),
  },
  read: (env): HubSpotSettings => ({
    caseIdProperty: env.HUBSPOT_CASE_ID_PROPERTY ?? DEFAULT_CASE_ID_PROPERTY,
    closedStages: env.HUBSPOT_CLOSED_STAGES ?? DEFAULT_CLOSED_STAGES,
    apiUrl: env.HUBSPOT_API_URL,
    webhookUrl: env.HUBSPOT_WEBHOOK_URL,
    acceptV2: env.HUBSPOT_ACCEPT_V2,
  }),
  local: {
    secrets: {
      HUBSPOT_CLIENT_SECRET: 'hubspot-local-demo-7f3c9a2e-5b1d-4e8a-9c6f-0d2b4a8e1f37',
      /** The local fake of HubSpot's API (lib/local/provider-apis.ts) requires it, as HubSpot does. */
      HUBSPOT_ACCESS_TOKEN: 'pat-na1-local-demo-3e9b7c21-8a4f-4d6e-b2c5-71f0a9d8e4b6',
    },
    settings: { HUBSPOT_WEBHOOK_URL: LOCAL_WEBHOOK_URL },
  },
  load: async () => (await import('./provider.ts')).default,
});
