/**
 * The only way input text reaches an answer, a log line or a parked reason: at most `max`
 * characters (code points), with every control or invisible formatting character (line breaks,
 * NUL, bidi overrides, …) and the quote and backslash escaped, so a quoted excerpt can neither
 * forge a log line, hide text, nor grow an answer. Linear in `max`, not in the input.
 */
export const EXCERPT_MAX = 64;

const INVISIBLE = /[\p{Cc}\p{Cf}\u2028\u2029]/u;
const SHORT: Readonly<Record<string, string>> = {
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '"': '\\"',
  '\\': '\\\\',
};

export function excerpt(value: unknown, max = EXCERPT_MAX): string {
  const text = typeof value === 'string' ? value : String(value);
  let out = '';
  let taken = 0;
  for (const char of text) {
    if (taken === max) return `${out}…`;
    taken++;
    const short = Object.hasOwn(SHORT, char) ? SHORT[char] : undefined;
    if (short !== undefined) out += short;
    else if (INVISIBLE.test(char)) out += `\\u{${(char.codePointAt(0) ?? 0).toString(16)}}`;
    else out += char;
  }
  return out;
}

/** `"…"`: an excerpt in quotes, as reasons quote what they refer to. */
export function quoted(value: unknown, max = EXCERPT_MAX): string {
  return `"${excerpt(value, max)}"`;
}
