/**
 * collections/{insert,update,query}Obligation.php (§5). Raw JSON bodies; the record is named by
 * `wolkvox_id` with an underscore (reading A4), the obligation by its own `id`.
 */
import { OBLIGATION_TEXT_FIELDS } from '#lib/wolkvox/types.ts';
import { MESSAGES } from '#lib/wolkvox/vendor.ts';
import {
  found,
  INVENTED_MESSAGES,
  type Reply,
  reject,
  rejectMissingParameters,
  written,
} from './envelope.ts';
import { isDayMonthYear, isIntegerString, isPlainDecimal, isPlainObject, nonEmptyString } from './formats.ts';
import { requireJsonObject } from './params.ts';
import type { Store } from './store.ts';
import type { Obligation, ObligationFormField } from './types.ts';

const TEXT_FIELDS = OBLIGATION_TEXT_FIELDS;
type TextField = (typeof TEXT_FIELDS)[number];

const DECIMAL = { check: isPlainDecimal, expected: 'PLAIN DECIMAL WITHOUT SEPARATORS EXPECTED' };
const DATE = { check: isDayMonthYear, expected: 'DATE DD-MM-YYYY EXPECTED' };
const FORMAT_RULES: Partial<Record<TextField, { check: (v: string) => boolean; expected: string }>> = {
  total_balance: DECIMAL,
  last_pay: DECIMAL,
  days_delay: { check: isIntegerString, expected: 'INTEGER EXPECTED' },
  last_pay_date: DATE,
  expiring_date: DATE,
};

/** 412 for malformed values; the vendor's real answer is unknown (A16), status and text are invented. */
function rejectInvalid(field: string, why: string): never {
  return reject(412, INVENTED_MESSAGES.invalidField(field, why));
}

function parseForm(value: unknown): ObligationFormField[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) return rejectInvalid('form', 'ARRAY OF {name, value} EXPECTED');
  return value.map((item: unknown) => {
    if (!isPlainObject(item) || typeof item.name !== 'string' || typeof item.value !== 'string') {
      return rejectInvalid('form', 'ARRAY OF {name, value} EXPECTED');
    }
    return { name: item.name, value: item.value };
  });
}

/**
 * Builds a complete obligation from `fields`: every omitted key becomes ''. Values must be
 * strings, as in every documented example; a number is refused so a client cannot drift into
 * sending `10000` where the docs show `"10000"`.
 */
function toObligation(fields: Record<string, unknown>): Obligation {
  const text: Record<TextField, string> = {
    id: '',
    name: '',
    total_balance: '',
    portfolio_type: '',
    last_pay: '',
    last_pay_date: '',
    expiring_date: '',
    days_delay: '',
  };
  for (const key of TEXT_FIELDS) {
    const value = fields[key];
    if (value === undefined) continue;
    if (typeof value !== 'string') return rejectInvalid(key, 'STRING EXPECTED');
    const rule = FORMAT_RULES[key];
    if (value !== '' && rule && !rule.check(value)) return rejectInvalid(key, rule.expected);
    text[key] = value;
  }
  return { ...text, form: parseForm(fields.form) };
}

export function insertObligation(json: unknown, store: Store): Reply {
  const body = requireJsonObject(json, store.operation);
  const { wolkvox_id: wolkvoxId, fields } = body;
  if (!nonEmptyString(wolkvoxId) || !isPlainObject(fields) || !nonEmptyString(fields.id)) {
    return rejectMissingParameters();
  }
  const record = store.findRecord(wolkvoxId);
  if (!record) return reject(404, INVENTED_MESSAGES.recordNotFound);
  const obligation = toObligation(fields);
  if (record.obligations.some((o) => o.id === obligation.id)) {
    return reject(412, INVENTED_MESSAGES.obligationExists);
  }
  record.obligations.push(obligation);
  return written(MESSAGES.created, record.wolkvox_id);
}

/**
 * Replaces the whole obligation with `fields`: keys left out become ''. Whether wolkvox blanks
 * omitted fields is unverified (A15); the sandbox takes the pessimistic reading so a client that
 * skips the read-modify-write loses data here, in tests, instead of in production.
 */
export function updateObligation(json: unknown, store: Store): Reply {
  const body = requireJsonObject(json, store.operation);
  const { wolkvox_id: wolkvoxId, obligation: obligationId, fields } = body;
  if (!nonEmptyString(wolkvoxId) || !nonEmptyString(obligationId) || !isPlainObject(fields)) {
    return rejectMissingParameters();
  }
  const record = store.findRecord(wolkvoxId);
  if (!record) return reject(404, INVENTED_MESSAGES.recordNotFound);
  const index = record.obligations.findIndex((o) => o.id === obligationId);
  if (index === -1) return reject(404, INVENTED_MESSAGES.obligationNotFound);
  const next = toObligation(fields);
  // Renaming through `fields.id` is undocumented; refuse it rather than guess (invented rule).
  if (next.id === '') next.id = obligationId;
  else if (next.id !== obligationId) return reject(412, INVENTED_MESSAGES.obligationIdMismatch);
  record.obligations[index] = next;
  return written(MESSAGES.edited, record.wolkvox_id);
}

/** "Not found" is not an error on queries: code "200", "0 records were are found", `data: []`. */
export function queryObligation(json: unknown, store: Store): Reply {
  const body = requireJsonObject(json, store.operation);
  const { wolkvox_id: wolkvoxId, obligation: obligationId } = body;
  if (!nonEmptyString(wolkvoxId) || !nonEmptyString(obligationId)) return rejectMissingParameters();
  const obligation = store.findRecord(wolkvoxId)?.obligations.find((o) => o.id === obligationId);
  return found(obligation ? [structuredClone(obligation)] : []);
}
