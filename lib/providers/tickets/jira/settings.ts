import { DAY_SECONDS, integer, matching } from '#lib/settings.ts';
import { defineProvider } from '../../define.ts';

export interface JiraSettings {
  /** JIRA_SITE: `acme.atlassian.net`, where attachments may come from. */
  site: string | undefined;
  /**
   * JIRA_CASE_ID_FIELD: the issue field holding the wolkvox case id, e.g. `customfield_10050`.
   * Unset, Jira deliveries are still verified and read, and parked with that reason.
   */
  caseIdField: string | undefined;
  /** JIRA_SOLUTION_FIELD: an issue field with the resolution text; else comments are used. */
  solutionField: string | undefined;
  /** JIRA_MAX_AGE_SECONDS: how old the body's signed `timestamp` may be. */
  maxAgeSeconds: number;
}

const CUSTOM_FIELD = /^customfield_\d+$/;

/** Jira Cloud / Jira Service Management admin webhooks (docs/providers/jira.md). */
export default defineProvider({
  family: 'tickets',
  slug: 'jira',
  name: 'Jira Service Management',
  secrets: { required: ['JIRA_WEBHOOK_SECRET'], optional: ['JIRA_API_EMAIL', 'JIRA_API_TOKEN'] },
  env: {
    JIRA_SITE: matching(
      /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/i,
      'must be a host such as acme.atlassian.net',
    ),
    JIRA_CASE_ID_FIELD: matching(CUSTOM_FIELD, 'must be a custom field id such as customfield_10050'),
    JIRA_SOLUTION_FIELD: matching(CUSTOM_FIELD, 'must be a custom field id such as customfield_10060'),
    JIRA_MAX_AGE_SECONDS: integer(2 * DAY_SECONDS, 60, 30 * DAY_SECONDS),
  },
  read: (env): JiraSettings => ({
    site: env.JIRA_SITE?.toLowerCase(),
    caseIdField: env.JIRA_CASE_ID_FIELD,
    solutionField: env.JIRA_SOLUTION_FIELD,
    maxAgeSeconds: env.JIRA_MAX_AGE_SECONDS,
  }),
  replayWindow: (s) => ({ setting: 'JIRA_MAX_AGE_SECONDS', seconds: s.maxAgeSeconds }),
  local: {
    secrets: { JIRA_WEBHOOK_SECRET: 'jira_local_demo_Hm4Kx9Rb2Wq7Nc5Tv8Lp3Zd' },
    settings: {
      JIRA_SITE: 'acme.atlassian.net',
      JIRA_CASE_ID_FIELD: 'customfield_10050',
      JIRA_SOLUTION_FIELD: 'customfield_10060',
    },
  },
  load: async () => (await import('./provider.ts')).default,
});
