/**
 * Fair baseline (bench only): the queue message between its ingress functions and its worker, and
 * the small helpers both ingress functions use. zod and node:crypto only: no client is built here.
 */
import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

export const messageSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('payment'),
    identity: z.string().min(1),
    wolkvoxId: z.string().min(1),
    obligation: z.string().min(1),
    amountMinor: z.number().int().nonnegative(),
    exponent: z.number().int().min(0).max(4),
    paidAt: z.string().datetime({ offset: true }),
  }),
  z.object({
    kind: z.literal('case'),
    identity: z.string().min(1),
    caseId: z.string().min(1),
    status: z.string().min(1),
    solution: z.string().min(1),
    priority: z.string().optional(),
  }),
]);
export type Message = z.infer<typeof messageSchema>;

/** Constant-time comparison of two signatures or tokens. */
export const same = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

export function json(statusCode: number, body: Record<string, unknown>) {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}
