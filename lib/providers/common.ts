import { timingSafeEqual } from 'node:crypto';
import * as z from 'zod/mini';
import '#lib/zod-mini.ts';
import type { PaymentReceived } from '#lib/events.ts';
import { excerpt, quoted } from '#lib/excerpt.ts';
import { describeIssues, MalformedError, SignatureError } from '#lib/http/errors.ts';

/** A JSON object (not null, not an array): for signers that check a sample's shape before touching it. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Timing-safe equality of two strings, after the length check timingSafeEqual needs (by bytes). */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Several secrets may be active at once during a rotation: `a,b` in one variable. */
export function secretList(value: string | undefined, name: string): string[] {
  const secrets = (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (secrets.length === 0) throw new SignatureError(`${name} is not configured`);
  return secrets;
}

/** Parses a JSON body; a body that is not JSON is a 400 that says where it broke (never what it says). */
export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (error) {
    // V8's message may quote the input around the break (`…, "<input>" is not valid JSON`): cut there.
    const [what = ''] = (error as Error).message.split(', "', 1);
    throw new MalformedError([`(body): not valid JSON (${excerpt(what, 80)})`]);
  }
}

/**
 * Validates `value`; a mismatch is a 400 listing each failing path under `prefix`. Any zod schema
 * will do (zod/mini or classic: the same core), so a caller outside the cold-start path may keep
 * classic zod.
 */
export function parseWith<T>(schema: z.core.$ZodType<T>, value: unknown, prefix = ''): T {
  const result = z.safeParse(schema, value);
  if (!result.success) {
    throw new MalformedError(
      describeIssues(result.error.issues).map((line) => (prefix ? `${prefix}.${line}` : line)),
    );
  }
  return result.data;
}

/**
 * The obligation a payment names, or why it names none (then it is parked). A payment for
 * another operation is not ours to apply: its token and records live elsewhere.
 */
export function obligationTarget(
  named: { operation?: string | undefined; wolkvoxId?: string | undefined; obligation?: string | undefined },
  servedOperation: string,
  missing: string,
): Pick<PaymentReceived, 'target' | 'targetProblem'> {
  const wolkvoxId = named.wolkvoxId?.trim();
  const obligation = named.obligation?.trim();
  const operation = named.operation?.trim() || servedOperation;
  if (!wolkvoxId || !obligation) return { target: null, targetProblem: missing };
  if (operation !== servedOperation) {
    return {
      target: null,
      targetProblem: `the payment names operation ${quoted(operation, 40)}; this deployment serves "${servedOperation}"`,
    };
  }
  return { target: { operation, wolkvoxId, obligation } };
}

/**
 * For signers (local tools and tests): the first of a comma-separated list (a rotation in
 * progress), which is what a provider signs with.
 */
export function firstSecret(secrets: Readonly<Record<string, string>>, name: string): string {
  const [first = ''] = (secrets[name] ?? '').split(',');
  const secret = first.trim();
  if (!secret) throw new Error(`${name} is not set: cannot sign the sample event`);
  return secret;
}

/** Unix seconds of `now` for a signer; an invalid date is a mistake to say, not a 1970 signature. */
export function unixSeconds(now: Date): number {
  const ms = now.getTime();
  if (!Number.isFinite(ms)) throw new Error('Invalid signing time');
  return Math.floor(ms / 1000);
}
