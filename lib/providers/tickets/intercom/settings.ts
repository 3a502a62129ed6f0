import { text } from '#lib/settings.ts';
import { defineProvider } from '../../define.ts';

export interface IntercomSettings {
  /**
   * INTERCOM_CASE_ID_ATTRIBUTE: the conversation/ticket custom attribute holding the wolkvox case
   * id, by its name as Intercom's API shows it (default `wolkvox_id`).
   */
  caseIdAttribute: string;
}

export const DEFAULT_CASE_ID_ATTRIBUTE = 'wolkvox_id';

/** Intercom webhooks from a Developer Hub app (docs/providers/intercom.md). */
export default defineProvider({
  family: 'tickets',
  slug: 'intercom',
  name: 'Intercom',
  secrets: { required: ['INTERCOM_CLIENT_SECRET'], optional: [] },
  env: {
    INTERCOM_CASE_ID_ATTRIBUTE: text(),
  },
  read: (env): IntercomSettings => ({
    caseIdAttribute: env.INTERCOM_CASE_ID_ATTRIBUTE ?? DEFAULT_CASE_ID_ATTRIBUTE,
  }),
  local: {
    secrets: { INTERCOM_CLIENT_SECRET: 'intercom_local_demo_Qx7Vb3Nm9Kt2Wr5Hc8Jp4Ls' },
    settings: {},
  },
  load: async () => (await import('./provider.ts')).default,
});
