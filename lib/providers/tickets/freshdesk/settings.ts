import { defineProvider } from '../../define.ts';

/** Freshdesk has no settings of its own: its template names everything. */
export type FreshdeskSettings = Record<never, never>;

/** Freshdesk automation-rule webhooks (docs/providers/freshdesk.md). */
export default defineProvider({
  family: 'tickets',
  slug: 'freshdesk',
  name: 'Freshdesk',
  secrets: { required: ['FRESHDESK_WEBHOOK_TOKEN'], optional: ['FRESHDESK_API_KEY'] },
  env: {},
  read: (): FreshdeskSettings => ({}),
  local: { secrets: { FRESHDESK_WEBHOOK_TOKEN: 'fd_local_demo_Gk7Ws2Qn9Xb4Lm6Tr1Vc8Zp3' } },
  load: async () => (await import('./provider.ts')).default,
});
