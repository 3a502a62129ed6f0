import { integer, matching } from '#lib/settings.ts';
import { defineProvider } from '../../define.ts';

/** The record field that holds the wolkvox case id unless SERVICENOW_CASE_ID_FIELD names another. */
export const SERVICENOW_DEFAULT_CASE_ID_FIELD = 'u_wolkvox_id';

export interface ServiceNowSettings {
  /**
   * SERVICENOW_CASE_ID_FIELD: the incident/case field holding the wolkvox case id, by its column
   * name (default `u_wolkvox_id`). The Business Rule sends it under `fields.<name>`.
   */
  caseIdField: string;
  /** SERVICENOW_TOLERANCE_SECONDS: how far the signed timestamp may be from now, either way. */
  toleranceSeconds: number;
}

/** ServiceNow through the Business Rule we publish (docs/providers/servicenow.md). */
export default defineProvider({
  family: 'tickets',
  slug: 'servicenow',
  name: 'ServiceNow',
  secrets: { required: ['SERVICENOW_WEBHOOK_SECRET'], optional: [] },
  env: {
    // A column name as ServiceNow writes them (u_wolkvox_id): nothing else can be a field.
    SERVICENOW_CASE_ID_FIELD: matching(
      /^[a-z][a-z0-9_]{0,79}$/,
      'must be a column name such as u_wolkvox_id',
    ),
    SERVICENOW_TOLERANCE_SECONDS: integer(300, 1, 3_600),
  },
  read: (env): ServiceNowSettings => ({
    caseIdField: env.SERVICENOW_CASE_ID_FIELD ?? SERVICENOW_DEFAULT_CASE_ID_FIELD,
    toleranceSeconds: env.SERVICENOW_TOLERANCE_SECONDS,
  }),
  replayWindow: (s) => ({ setting: 'SERVICENOW_TOLERANCE_SECONDS', seconds: s.toleranceSeconds }),
  local: {
    secrets: { SERVICENOW_WEBHOOK_SECRET: 'sn_local_demo_Ht4Wq9Lm2Xv7Rb5Nc8Jk3Pz6' },
  },
  load: async () => (await import('./provider.ts')).default,
});
