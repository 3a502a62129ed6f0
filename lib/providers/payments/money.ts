/**
 * Amounts and times as the Latin American gateways send them: major units as decimal text (PayU
 * `value`, ePayco `x_amount`) or JSON numbers (Mercado Pago `transaction_amount`, Bold `total`),
 * and local times without a zone. Never float arithmetic: `0.29 * 100` is 28.999999999999996.
 */

const DECIMAL = /^(\d{1,15})(?:\.(\d{1,20}))?$/;

/**
 * `150`, `150.5`, `150.26` → minor units with `exponent` digits (15000, 15050, 15026); undefined
 * when the text is not a plain non-negative decimal, or has more digits than the exponent allows
 * (trailing zeros beyond it are fine: `150.000`).
 */
export function minorUnits(text: string, exponent = 2): number | undefined {
  const match = DECIMAL.exec(text.trim());
  if (!match) return undefined;
  const [, whole = '', fraction = ''] = match;
  let significant = fraction;
  while (significant.endsWith('0')) significant = significant.slice(0, -1);
  if (significant.length > exponent) return undefined;
  const minor = Number(whole) * 10 ** exponent + Number(significant.padEnd(exponent, '0') || '0');
  return Number.isSafeInteger(minor) ? minor : undefined;
}

/**
 * A JSON number of major units in minor units, through its shortest decimal text (what the JSON
 * carried): 59900 → 5990000, 150.26 → 15026. Exponent notation or a negative is undefined.
 */
export function minorOfNumber(value: number, exponent = 2): number | undefined {
  return Number.isFinite(value) ? minorUnits(String(value), exponent) : undefined;
}

const LOCAL_TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/;

/**
 * `YYYY-MM-DD HH:mm:ss` as a Colombian gateway writes it, read in Bogotá's time (UTC−5 all year:
 * Colombia has no daylight saving time) → ISO UTC; undefined when it is not such a time.
 */
export function bogotaTime(local: string): string | undefined {
  const match = LOCAL_TIME.exec(local.trim());
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match;
  const iso = `${y}-${mo}-${d}T${h}:${mi}:${s}-05:00`;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}
