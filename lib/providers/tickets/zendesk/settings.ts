import { integer, matching } from '#lib/settings.ts';
import { defineProvider } from '../../define.ts';

export interface ZendeskSettings {
  /** ZENDESK_TOLERANCE_SECONDS: how far the signed timestamp may be from now, either way. */
  toleranceSeconds: number;
  /** ZENDESK_SUBDOMAIN: `acme` for acme.zendesk.com, where attachments may come from. */
  subdomain: string | undefined;
}

/** Zendesk trigger webhooks (docs/providers/zendesk.md). */
export default defineProvider({
  family: 'tickets',
  slug: 'zendesk',
  name: 'Zendesk',
  secrets: { required: ['ZENDESK_WEBHOOK_SECRET'], optional: ['ZENDESK_API_EMAIL', 'ZENDESK_API_TOKEN'] },
  env: {
    ZENDESK_TOLERANCE_SECONDS: integer(300, 1, 3_600),
    ZENDESK_SUBDOMAIN: matching(/^[a-z0-9-]+$/i, 'must be a subdomain such as acme'),
  },
  read: (env): ZendeskSettings => ({
    toleranceSeconds: env.ZENDESK_TOLERANCE_SECONDS,
    subdomain: env.ZENDESK_SUBDOMAIN?.toLowerCase(),
  }),
  replayWindow: (s) => ({ setting: 'ZENDESK_TOLERANCE_SECONDS', seconds: s.toleranceSeconds }),
  local: {
    secrets: { ZENDESK_WEBHOOK_SECRET: 'zd_local_demo_Vb3Nq8Lx2Rm7Tk5Wc9Py4Hd6' },
    settings: { ZENDESK_SUBDOMAIN: 'acme' },
  },
  load: async () => (await import('./provider.ts')).default,
});
