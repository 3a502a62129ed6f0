/**
 * Building the `{code, error, msg, data}` answers. Handlers return a `Reply` (or throw a
 * `Rejection` carrying one); only the server turns it into HTTP, so the status always mirrors
 * the body's `code` on errors (A10).
 */
import { ERROR_TEXT, MESSAGES, type WolkvoxEnvelope } from '#lib/wolkvox/vendor.ts';

export interface Reply {
  status: number;
  body: WolkvoxEnvelope;
}

/**
 * Messages the vendor never published (§4.2, A16): the sandbox needs some text, so these are
 * invented. Each contains a stable upper-case keyword a test can match on; a client must not
 * rely on them.
 */
export const INVENTED_MESSAGES = {
  methodNotAllowed: 'METHOD NOT ALLOWED, USE POST',
  recordNotFound: 'RECORD NOT FOUND',
  obligationNotFound: 'OBLIGATION NOT FOUND',
  obligationExists: 'OBLIGATION ALREADY EXISTS',
  obligationIdMismatch: 'FIELDS.ID DOES NOT MATCH OBLIGATION',
  caseNotFound: 'CASE NOT FOUND',
  invalidField: (field: string, why: string) => `INVALID VALUE FOR ${field}: ${why}`,
  unknownValue: (what: string, value: string) => `${what} '${value}' DOES NOT EXIST`,
  unexpectedFilePart: (field: string) => `UNEXPECTED FILE PART '${field}', ATTACHMENTS GO IN 'files'`,
  maintenance: 'THE SERVICE IS UNDER MAINTENANCE, PLEASE TRY AGAIN LATER',
  internalError: 'INTERNAL SERVER ERROR',
} as const;

/** `error` texts the vendor table does not list (5xx are not in it). */
const EXTRA_ERROR_TEXT: Record<number, string> = { 500: 'INTERNAL SERVER ERROR' };

export function fail(status: number, msg: string): Reply {
  const error = ERROR_TEXT[status] ?? EXTRA_ERROR_TEXT[status] ?? 'ERROR';
  return { status, body: { code: status, error, msg, data: [] } };
}

/**
 * Thrown by handlers to answer with an error from deep inside a validation; the router catches
 * it. Keeps each handler a straight line of checks.
 */
export class Rejection extends Error {
  readonly reply: Reply;

  constructor(reply: Reply) {
    super(reply.body.msg);
    this.name = 'Rejection';
    this.reply = reply;
  }
}

export function reject(status: number, msg: string): never {
  throw new Rejection(fail(status, msg));
}

export function rejectMissingParameters(): never {
  return reject(400, MESSAGES.parametersRequired);
}

/** Writes answer `code: 200` as a number, as the cases-update and obligation pages print it. */
export function written(msg: string, wolkvoxId: string): Reply {
  return { status: 200, body: { code: 200, error: 'null', msg, data: { wolkvox_id: wolkvoxId } } };
}

/**
 * Queries answer `code: "200"` as a string: the one real response captured in public code (a
 * query) used a string, so the sandbox keeps the vendor's inconsistency and clients must cope (A9).
 */
export function found(data: unknown[]): Reply {
  return { status: 200, body: { code: '200', error: 'null', msg: MESSAGES.found(data.length), data } };
}
