/**
 * What the console shows of a request: every value that authenticates it (signatures, tokens,
 * authorization, keys) replaced by a mask, wherever it travels — a header, the URL's query, a form
 * or JSON field. The page only ever receives the masked copy; replay uses the raw one server-side.
 */

/** Names whose values prove who sent a request or grant access: never shown. */
const SECRET_NAME =
  /signature|token|authori[sz]ation|secret|password|api[-_]?key|access[-_]?key|checksum|hmac|cookie|x[-_]hub|^key$|^sig$|^auth$/i;

export const MASK = '••••••';

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** Header values of secret names masked; the names stay, so the page shows what was sent. */
export function maskHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name] = isSecretName(name) ? MASK : value;
  return out;
}

/** A query string or form body with the values of secret names masked. */
export function maskParams(text: string): string {
  const parameters = new URLSearchParams(text);
  for (const name of new Set(parameters.keys())) if (isSecretName(name)) parameters.set(name, MASK);
  return parameters.toString();
}

function maskJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskJson);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [key, isSecretName(key) ? MASK : maskJson(inner)]),
  );
}

/**
 * The body as the page may show it: JSON and forms with secret fields masked (ePayco signs in a
 * form field), anything else as text. A body that is neither is shown as is: it carries no named field.
 */
export function maskBody(body: string, contentType: string): string {
  if (/^application\/x-www-form-urlencoded/i.test(contentType)) return maskParams(body);
  try {
    return JSON.stringify(maskJson(JSON.parse(body)), null, 2);
  } catch {
    return body;
  }
}
