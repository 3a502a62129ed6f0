import { text } from '#lib/settings.ts';
import { defineProvider } from '../../define.ts';

/** The custom field that holds the wolkvox case id unless HELPSCOUT_CASE_ID_FIELD names another. */
export const HELPSCOUT_DEFAULT_CASE_ID_FIELD = 'wolkvox_id';

export interface HelpScoutSettings {
  /**
   * HELPSCOUT_CASE_ID_FIELD: the conversation custom field holding the wolkvox case id, by name
   * (compared ignoring case) or by numeric id. Default `wolkvox_id`.
   */
  caseIdField: string;
}

/** Help Scout Mailbox webhooks, event "Conversation status updated" (docs/providers/helpscout.md). */
export default defineProvider({
  family: 'tickets',
  slug: 'helpscout',
  name: 'Help Scout',
  secrets: { required: ['HELPSCOUT_WEBHOOK_SECRET'], optional: [] },
  env: {
    HELPSCOUT_CASE_ID_FIELD: text(),
  },
  read: (env): HelpScoutSettings => ({
    caseIdField: env.HELPSCOUT_CASE_ID_FIELD || HELPSCOUT_DEFAULT_CASE_ID_FIELD,
  }),
  local: {
    // Help Scout takes a secret key of at most 40 characters.
    secrets: { HELPSCOUT_WEBHOOK_SECRET: 'hs_local_demo_Qw8Ze3Rk6Tn1Ym4Xb7Lc2Vd5' },
  },
  load: async () => (await import('./provider.ts')).default,
});
