/**
 * token/tokenInformation.php (§3.2): GET with `?operation=`, no body. It answers with the token's
 * daily limit and today's use — this call included, since it costs a unit like any other — as one
 * object, `code` the string "200" as the vendor's page prints it.
 */
import { MESSAGES } from '#lib/wolkvox/vendor.ts';
import { fail, type Reply } from './envelope.ts';
import type { DailyQuota } from './quota.ts';

export interface TokenInformation {
  description: string;
  token_limit: number;
  token_use_today: number;
  /** Spelled as the vendor spells it. */
  available_consumition_options: number;
  hours_to_restart_count: number;
}

export function tokenInformation(
  query: URLSearchParams,
  operation: string,
  token: string,
  quota: DailyQuota,
  description: string,
): Reply {
  const asked = query.get('operation');
  if (asked === null || asked.trim() === '') return fail(400, MESSAGES.parametersRequired);
  // A token belongs to one operation: another operation's name reads as a bad token (params.ts).
  if (asked !== operation) return fail(403, MESSAGES.validateToken);
  const used = quota.used(token);
  const data: TokenInformation = {
    description,
    token_limit: quota.limit,
    token_use_today: used,
    available_consumition_options: Math.max(0, quota.limit - used),
    hours_to_restart_count: quota.hoursToRestart(),
  };
  return { status: 200, body: { code: '200', error: 'null', msg: MESSAGES.found(1), data } };
}
