import * as z from 'zod/mini';
import '#lib/zod-mini.ts';
import type { TicketResolved } from '#lib/events.ts';
import { quoted } from '#lib/excerpt.ts';
import { MalformedError, SignatureError } from '#lib/http/errors.ts';
import { firstSecret, parseJson, parseWith, secretList } from '../../common.ts';
import { anySignatureMatches, checkSignedTime, hmac } from '../../schemes/hmac.ts';
import type {
  Decision,
  ProviderCode,
  ProviderContext,
  RawRequest,
  TicketProvider,
  Trust,
} from '../../types.ts';
import { caseTarget, nonBlank, optional, parseInstant } from '../common.ts';
import type { ServiceNowSettings } from './settings.ts';

/**
 * ServiceNow has no webhook of its own (helpdesks.md §8): the admin pastes the async Business Rule
 * of docs/providers/servicenow.md, which posts OUR body. It signs `<timestamp>.<raw body>` with
 * `CertificateEncryption.generateMac(base64(secret), "HmacSHA256", data)` — base64 HMAC-SHA256
 * keyed by the secret's bytes, which is what `hmac('sha256', secret, …, 'base64')` computes here
 * (helpdesks.md §8's self-check vector is in the tests). The timestamp header is signed, so a
 * replay is refused outside SERVICENOW_TOLERANCE_SECONDS; inside it, the ledger applies the
 * identity `servicenow:<sys_id>:<resolved_at>` (both signed) once.
 */

/** The headers the Business Rule sets (the guide's script is checked against these names). */
export const SERVICENOW_SIGNATURE_HEADER = 'x-wolkvox-signature';
export const SERVICENOW_TIMESTAMP_HEADER = 'x-wolkvox-timestamp';

export function serviceNowTrust(toleranceSeconds: number): Trust {
  return {
    covers: 'bytes',
    scheme:
      'HMAC-SHA256 (base64) of the timestamp header, ".", and the raw body with SERVICENOW_WEBHOOK_SECRET (the Business Rule of the guide)',
    signed: [`header:${SERVICENOW_SIGNATURE_HEADER}`, `header:${SERVICENOW_TIMESTAMP_HEADER}`],
    confirmed: [],
    unverified: [],
    replayWindowSeconds: toleranceSeconds,
    replayWindow: `signed timestamp within SERVICENOW_TOLERANCE_SECONDS (${toleranceSeconds} s), both ways`,
  };
}

/**
 * The states that mean resolved, by table (values, not labels: labels are translated). Incident:
 * 6 Resolved, 7 Closed (helpdesks.md §8). CSM case: 6 Resolved, 3 Closed — 7 is Cancelled there,
 * which must not close a wolkvox case with a solution.
 */
export const RESOLVED_STATES: ReadonlyMap<string, readonly string[]> = new Map([
  ['incident', ['6', '7']],
  ['sn_customerservice_case', ['6', '3']],
]);

const text = z.nullish(z.string());
const SYS_ID = /^[0-9a-f]{32}$/i;
const EPOCH_SECONDS = /^\d{1,12}$/;

/** The body the Business Rule builds: every key here is one the guide's script sets. */
const bodyShape = () => ({
  table: z.string().check(z.minLength(1)),
  sys_id: z.string().check(z.regex(SYS_ID, 'must be a 32-character hexadecimal sys_id')),
  number: text,
  state: z.string(),
  resolved_at: text,
  close_code: text,
  close_notes: text,
  assigned_to_email: text,
  priority: text,
  category: text,
  fields: z.nullish(z.record(z.string(), z.nullish(z.string()))),
});
export const serviceNowBody = z.lazy(() => z.object(bodyShape()));

/** The keys of the body the Business Rule sends, for the guide's check. */
export const serviceNowBodyKeys = () => Object.keys(bodyShape()).sort();

/** `2 - High` → `High`: the display value's number is not part of the label CASE_PRIORITY_MAP maps. */
export function priorityLabel(display: string | null | undefined): string | null {
  const value = nonBlank(display ?? undefined);
  if (!value) return null;
  const dash = value.indexOf('-');
  const head = dash > 0 ? value.slice(0, dash).trim() : '';
  return (/^\d+$/.test(head) ? nonBlank(value.slice(dash + 1)) : undefined) ?? value;
}

/**
 * What `generateMac(gs.base64Encode(secret), "HmacSHA256", data)` returns: base64 HMAC-SHA256
 * keyed by the secret's bytes (the base64 is only how the key is handed over).
 */
export const generateMac = (secret: string, data: readonly (string | Buffer)[]) =>
  hmac('sha256', secret, data, 'base64');

const sign = (secret: string, timestamp: string, body: string | Buffer) =>
  generateMac(secret, [timestamp, '.', body]);

function create(settings: ServiceNowSettings & { operation: string }): TicketProvider {
  const tolerance = settings.toleranceSeconds;
  const field = settings.caseIdField;
  return {
    family: 'tickets',
    slug: 'servicenow',
    trust: serviceNowTrust(tolerance),

    verify(request: RawRequest, { secrets, now }: ProviderContext) {
      const signature = request.headers[SERVICENOW_SIGNATURE_HEADER]?.trim();
      const timestamp = request.headers[SERVICENOW_TIMESTAMP_HEADER]?.trim();
      if (!signature || !timestamp)
        throw new SignatureError('no X-Wolkvox-Signature or X-Wolkvox-Timestamp header');
      const keys = secretList(secrets.SERVICENOW_WEBHOOK_SECRET, 'SERVICENOW_WEBHOOK_SECRET');
      if (
        !anySignatureMatches([signature], keys, (secret) => sign(secret, timestamp, request.body), 'base64')
      ) {
        throw new SignatureError('signature does not match');
      }
      if (!EPOCH_SECONDS.test(timestamp)) throw new SignatureError('timestamp is not Unix seconds');
      checkSignedTime(Number(timestamp) * 1000, now().getTime(), {
        maxAgeSeconds: tolerance,
        futureSeconds: tolerance,
        setting: 'SERVICENOW_TOLERANCE_SECONDS',
      });
      return { read: () => read(parseJson(request.body)) };
    },
  };

  function read(parsed: unknown): Decision<TicketResolved> {
    const body = parseWith(serviceNowBody, parsed);
    const resolved = RESOLVED_STATES.get(body.table);
    if (!resolved) {
      return {
        action: 'ignore',
        reason: `table ${quoted(body.table, 60)} is not incident or sn_customerservice_case`,
      };
    }
    if (!resolved.includes(body.state.trim())) {
      return {
        action: 'ignore',
        reason: `${body.table} state ${quoted(body.state, 20)} is not resolved or closed (${resolved.join(', ')})`,
      };
    }
    const resolvedAt = parseInstant(body.resolved_at);
    if (resolvedAt === undefined) {
      throw new MalformedError(['resolved_at: not an ISO 8601 time (the Business Rule sends one)']);
    }
    const sysId = body.sys_id.toLowerCase();
    const fields = body.fields ?? {};
    const email = nonBlank(body.assigned_to_email ?? undefined);
    const customFields: Record<string, string> = {
      ...optional('ticket_id', nonBlank(body.number ?? undefined)),
      ...optional('close_code', nonBlank(body.close_code ?? undefined)),
      table: body.table,
    };
    const event: TicketResolved = {
      kind: 'ticket',
      provider: 'servicenow',
      eventId: `${sysId}:${resolvedAt}`,
      // The sys_id, not the number: numbers are renumbered on clones, sys_ids are not.
      ticketId: sysId,
      resolvedAt,
      ...caseTarget(
        Object.hasOwn(fields, field) ? (fields[field] ?? undefined) : undefined,
        `fields.${field}`,
      ),
      priority: priorityLabel(body.priority),
      caseType: nonBlank(body.category ?? undefined) ?? null,
      assignee: email ? { id: email, email } : null,
      // close_notes is a plain-text field: no markup to strip.
      solution: { ...optional('resolution', nonBlank(body.close_notes ?? undefined)) },
      customFields,
      // Downloading /api/now/attachment/<sys_id>/file needs the instance's credentials: none are copied.
      attachments: [],
    };
    return { action: 'accept', event };
  }
}

const servicenow: ProviderCode<TicketResolved, ServiceNowSettings> = {
  create,
  /** As the Business Rule signs: Unix seconds, and base64 HMAC-SHA256 of `<seconds>.<body>`. */
  sign(body, secrets, now) {
    const secret = firstSecret(secrets, 'SERVICENOW_WEBHOOK_SECRET');
    if (!Number.isFinite(now.getTime())) throw new Error('Invalid signing time');
    const timestamp = String(Math.floor(now.getTime() / 1000));
    return {
      body,
      headers: {
        'content-type': 'application/json',
        [SERVICENOW_SIGNATURE_HEADER]: sign(secret, timestamp, body),
        [SERVICENOW_TIMESTAMP_HEADER]: timestamp,
      },
    };
  },
  // RESTMessageV2's (helpdesks.md §8).
  userAgent: 'ServiceNow/1.0',
};

export default servicenow;
