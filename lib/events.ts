import { z } from 'zod';

/**
 * The normalized events every source produces, and the commands they translate into. Plain JSON:
 * a command travels through SQS and is re-validated by the worker.
 */

/** Money as an integer of minor units plus its currency and exponent: never a float. */
export const moneySchema = z.object({
  minor: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  currency: z.string().regex(/^[A-Z]{3}$/),
  exponent: z.number().int().min(0).max(4),
});
export type Money = z.infer<typeof moneySchema>;

/** Which wolkvox obligation a payment settles. */
export const obligationTargetSchema = z.object({
  operation: z.string().min(1),
  wolkvoxId: z.string().min(1),
  obligation: z.string().min(1),
});
export type ObligationTarget = z.infer<typeof obligationTargetSchema>;

export const paymentSchema = z.object({
  provider: z.string().min(1),
  /** The provider's id of the payment (not of the delivery): the dedupe key. */
  paymentId: z.string().min(1),
  amount: moneySchema,
  /** When the payment was made (ISO 8601 instant). */
  paidAt: z.iso.datetime({ offset: true }),
  /** The balance the provider says remains after this payment, when it says so. */
  balanceAfter: moneySchema.optional(),
});
export type Payment = z.infer<typeof paymentSchema>;

export interface PaymentReceived {
  kind: 'payment';
  /** The delivery's own id (evt_…), for logs: one payment can arrive in several deliveries. */
  eventId: string;
  eventType: string;
  payment: Payment;
  /** null when nothing in the event names a wolkvox obligation: the event is parked. */
  target: ObligationTarget | null;
  /** Why there is no target, for the parked answer. */
  targetProblem?: string;
  livemode: boolean;
}

export const applyPaymentCommandSchema = z.object({
  kind: z.literal('applyPayment'),
  /** `<provider>:<paymentId>`: the same payment always has the same identity. */
  identity: z.string().min(1),
  target: obligationTargetSchema,
  payment: paymentSchema,
});
export type ApplyPaymentCommand = z.infer<typeof applyPaymentCommandSchema>;

export const wolkvoxCommandSchema = z.discriminatedUnion('kind', [applyPaymentCommandSchema]);
export type WolkvoxCommand = z.infer<typeof wolkvoxCommandSchema>;

/** The wolkvox record a command changes: the FIFO message group, so one record's changes never race. */
export function recordKey(command: WolkvoxCommand): string {
  const { operation, wolkvoxId, obligation } = command.target;
  return `${operation}:${wolkvoxId}:${obligation}`;
}
