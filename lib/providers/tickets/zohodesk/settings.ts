import * as z from 'zod/mini';
import '#lib/zod-mini.ts';
import { preprocess, text } from '#lib/settings.ts';
import { defineProvider } from '../../define.ts';

/** How a Zoho Desk request proves itself (docs/providers/zohodesk.md, "Which mode"). */
export const ZOHODESK_AUTH_MODES = ['hmac', 'token'] as const;
export type ZohoDeskAuth = (typeof ZOHODESK_AUTH_MODES)[number];

/** The ticket custom field (its API name, under `cf`) holding the wolkvox case id by default. */
export const ZOHODESK_DEFAULT_CASE_ID_FIELD = 'cf_wolkvox_id';
/** The status that closes a case unless ZOHODESK_CLOSED_STATUSES names others. */
export const ZOHODESK_DEFAULT_CLOSED_STATUSES = ['closed'];

export interface ZohoDeskSettings {
  /**
   * ZOHODESK_AUTH: `hmac` (default) — a Deluge custom function signs the body it sends with
   * ZOHODESK_WEBHOOK_TOKEN as the HMAC-SHA256 key; `token` — Zoho's own webhook, with
   * ZOHODESK_WEBHOOK_TOKEN in the URL's `token` query parameter. Only the chosen mode is accepted.
   */
  auth: ZohoDeskAuth;
  /** ZOHODESK_CASE_ID_FIELD: the custom field's API name under the ticket's `cf` (default `cf_wolkvox_id`). */
  caseIdField: string;
  /** ZOHODESK_CLOSED_STATUSES: comma-separated status names that close the case, lower-cased (default `Closed`). */
  closedStatuses: readonly string[];
}

/** Zoho Desk webhooks or a workflow's Deluge custom function (docs/providers/zohodesk.md). */
export default defineProvider({
  family: 'tickets',
  slug: 'zohodesk',
  name: 'Zoho Desk',
  secrets: { required: ['ZOHODESK_WEBHOOK_TOKEN'], optional: [] },
  env: {
    ZOHODESK_AUTH: preprocess(
      (value) => (typeof value === 'string' ? value.trim().toLowerCase() || undefined : value),
      z._default(z.enum(ZOHODESK_AUTH_MODES), 'hmac'),
    ),
    ZOHODESK_CASE_ID_FIELD: text(),
    ZOHODESK_CLOSED_STATUSES: text(),
  },
  read: (env): ZohoDeskSettings => {
    const closed = (env.ZOHODESK_CLOSED_STATUSES ?? '')
      .split(',')
      .map((status) => status.trim().toLowerCase())
      .filter(Boolean);
    return {
      auth: env.ZOHODESK_AUTH,
      caseIdField: env.ZOHODESK_CASE_ID_FIELD || ZOHODESK_DEFAULT_CASE_ID_FIELD,
      closedStatuses: closed.length > 0 ? closed : ZOHODESK_DEFAULT_CLOSED_STATUSES,
    };
  },
  local: {
    secrets: { ZOHODESK_WEBHOOK_TOKEN: 'zoho_local_demo_Vn4Kq8Rt2Wm6Xc1Hb9Lp3Zs7' },
  },
  load: async () => (await import('./provider.ts')).default,
});
