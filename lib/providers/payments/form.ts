import type { RawRequest } from '../types.ts';

/**
 * The fields of a form-style confirmation (PayU, ePayco), exactly as sent (percent-decoded): their
 * signatures are over these values. An `application/x-www-form-urlencoded` body; a JSON object
 * (PayU's API `notifyUrl` may send one) with its scalar values as text; or, when the body is empty,
 * the query string (ePayco's GET confirmations). A Map: a field named `constructor` is just a field.
 * Nothing here is trusted until the provider's signature over it has been checked.
 */
export function formFields(request: RawRequest): Map<string, string> {
  const text = request.body.toString('utf8');
  if (text.trim() === '') return new Map(Object.entries(request.query));
  if ((request.headers['content-type'] ?? '').includes('json')) {
    try {
      const value: unknown = JSON.parse(text);
      if (value && typeof value === 'object' && !Array.isArray(value)) {
        return new Map(
          Object.entries(value).flatMap(([key, item]) =>
            typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean'
              ? [[key, String(item)] as [string, string]]
              : [],
          ),
        );
      }
    } catch {
      // Not JSON after all: read it as a form.
    }
  }
  const fields = new Map<string, string>();
  // The first of a repeated field, as PHP's $_POST does not (it keeps the last): a repeat is refused
  // by the signature anyway, since the signed value is the one the provider meant.
  for (const [key, value] of new URLSearchParams(text)) if (!fields.has(key)) fields.set(key, value);
  return fields;
}
