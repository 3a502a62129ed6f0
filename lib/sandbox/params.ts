/**
 * Parameter checks shared by every script: a missing parameter is 400 SOME PARAMETERS ARE
 * REQUIRED, and naming an operation other than the token's is 403 PLEASE VALIDATE TOKEN.
 */
import { MESSAGES } from '#lib/wolkvox/vendor.ts';
import { reject, rejectMissingParameters } from './envelope.ts';
import { isPlainObject, nonEmptyString } from './formats.ts';
import type { RecordedForm } from './types.ts';

/** A token belongs to one operation, so another operation's name reads to wolkvox as a bad token. */
export function requireOperation(value: unknown, operation: string): void {
  if (!nonEmptyString(value)) rejectMissingParameters();
  if (value !== operation) reject(403, MESSAGES.validateToken);
}

export function requireJsonObject(json: unknown, operation: string): Record<string, unknown> {
  if (!isPlainObject(json)) return rejectMissingParameters();
  requireOperation(json.operation, operation);
  return json;
}

/**
 * The value of a text part, '' and absent alike meaning "not sent". The last part wins when a
 * name repeats, as PHP's `$_POST` does (the vendor's stack).
 */
export function formText(form: RecordedForm, name: string): string | undefined {
  const value = form.fields[name]?.at(-1);
  return value === undefined || value.trim() === '' ? undefined : value;
}

export function requireFormText(form: RecordedForm, name: string): string {
  return formText(form, name) ?? rejectMissingParameters();
}
