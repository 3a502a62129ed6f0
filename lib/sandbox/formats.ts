/**
 * Value formats the sandbox enforces on obligation fields. The vendor documents only examples
 * (§8), so these are the strictest reading that the examples satisfy: a client that passes here
 * sends what the docs show, and a client that sends `1.250.000` or an ISO date is caught.
 */

const PLAIN_DECIMAL = /^\d+(?:\.\d+)?$/;
const INTEGER = /^-?\d+$/;
const DD_MM_YYYY = /^(\d{2})-(\d{2})-(\d{4})$/;

export const isPlainDecimal = (value: string): boolean => PLAIN_DECIMAL.test(value);

/** Negative delays are allowed: an obligation paid ahead of its due date is plausible. */
export const isIntegerString = (value: string): boolean => INTEGER.test(value);

/** DD-MM-YYYY (reading A11) and a real calendar day: `31-02-2025` is refused, `25-12-2025` accepted. */
export function isDayMonthYear(value: string): boolean {
  const match = DD_MM_YYYY.exec(value);
  if (!match) return false;
  const day = Number(match[1]);
  const month = Number(match[2]);
  const year = Number(match[3]);
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A required text parameter: present, a string, not blank. */
export function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}
