import * as z from 'zod/mini';
import '#lib/zod-mini.ts';

/**
 * The normalized events every source produces, and the commands they translate into. Plain JSON:
 * a command travels through SQS and is re-validated by the worker.
 */

/** Money as an integer of minor units plus its currency and exponent: never a float. */
export const moneySchema = z.lazy(() =>
  z.object({
    minor: z.number().check(z.int(), z.nonnegative(), z.maximum(Number.MAX_SAFE_INTEGER)),
    currency: z.string().check(z.regex(/^[A-Z]{3}$/)),
    exponent: z.number().check(z.int(), z.minimum(0), z.maximum(4)),
  }),
);
export type Money = z.infer<typeof moneySchema>;

/** Which wolkvox obligation a payment settles. */
export const obligationTargetSchema = z.lazy(() =>
  z.object({
    operation: z.string().check(z.minLength(1)),
    wolkvoxId: z.string().check(z.minLength(1)),
    obligation: z.string().check(z.minLength(1)),
  }),
);
export type ObligationTarget = z.infer<typeof obligationTargetSchema>;

export const paymentSchema = z.lazy(() =>
  z.object({
    provider: z.string().check(z.minLength(1)),
    /** The provider's id of the payment (not of the delivery): the dedupe key. */
    paymentId: z.string().check(z.minLength(1)),
    amount: moneySchema,
    /** When the payment was made (ISO 8601 instant). */
    paidAt: z.iso.datetime({ offset: true }),
    /** The balance the provider says remains after this payment, when it says so. */
    balanceAfter: z.optional(moneySchema),
  }),
);
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

export const applyPaymentCommandSchema = z.lazy(() =>
  z.object({
    kind: z.literal('applyPayment'),
    /** `<provider>:<paymentId>`: the same payment always has the same identity. */
    identity: z.string().check(z.minLength(1)),
    target: obligationTargetSchema,
    payment: paymentSchema,
  }),
);
export type ApplyPaymentCommand = z.infer<typeof applyPaymentCommandSchema>;

/** A file the worker downloads from the helpdesk and attaches to the case. */
export const attachmentRefSchema = z.lazy(() =>
  z.object({
    filename: z.string().check(z.minLength(1)),
    url: z.string().check(z.url()),
    contentType: z.optional(z.string()),
    size: z.optional(z.number().check(z.int(), z.nonnegative())),
  }),
);
export type AttachmentRef = z.infer<typeof attachmentRefSchema>;

/** Who resolved the ticket in the helpdesk: an e-mail, an id (Jira accountId), or both. */
export const agentRefSchema = z.lazy(() =>
  z.object({ email: z.optional(z.string()), id: z.optional(z.string()) }),
);
export type AgentRef = z.infer<typeof agentRefSchema>;

export interface TicketResolved {
  kind: 'ticket';
  provider: string;
  /** The delivery's identity for logs. */
  eventId: string;
  ticketId: string;
  /** When the ticket reached its resolved state (ISO 8601): orders events of one case. */
  resolvedAt: string;
  /** The wolkvox case id (24 hex), or null with targetProblem when the ticket names none. */
  caseId: string | null;
  targetProblem?: string;
  /** The helpdesk's own labels, mapped by lib/translate/case.ts. */
  priority: string | null;
  caseType: string | null;
  assignee: AgentRef | null;
  /** The solution's candidates in DESIGN.md's order of preference; blank ones count as missing. */
  solution: { resolution?: string; closingNote?: string; lastPublicReply?: string };
  /** Helpdesk custom fields by the key the template or API gives them. */
  customFields: Record<string, string>;
  attachments: AttachmentRef[];
}

export const updateCaseCommandSchema = z.lazy(() =>
  z.object({
    kind: z.literal('updateCase'),
    /** `<provider>:<ticketId>:<resolvedAt>`: one resolution of one ticket. */
    identity: z.string().check(z.minLength(1)),
    provider: z.string().check(z.minLength(1)),
    resolvedAt: z.iso.datetime({ offset: true }),
    target: z.object({
      operation: z.string().check(z.minLength(1)),
      wolkvoxId: z.string().check(z.minLength(1)),
    }),
    update: z.object({
      status: z.string().check(z.minLength(1)),
      solution: z.string().check(z.minLength(1)),
      responsible: z.optional(z.string()),
      priority: z.optional(z.string()),
      caseType: z.optional(z.string()),
      form: z.optional(z.record(z.string(), z.string())),
    }),
    attachments: z.array(attachmentRefSchema),
  }),
);
export type UpdateCaseCommand = z.infer<typeof updateCaseCommandSchema>;

export const wolkvoxCommandSchema = z.lazy(() =>
  z.discriminatedUnion('kind', [applyPaymentCommandSchema, updateCaseCommandSchema]),
);
export type WolkvoxCommand = z.infer<typeof wolkvoxCommandSchema>;

/** The wolkvox record a command changes: the FIFO message group, so one record's changes never race. */
export function recordKey(command: WolkvoxCommand): string {
  if (command.kind === 'updateCase') return `${command.target.operation}:case:${command.target.wolkvoxId}`;
  const { operation, wolkvoxId, obligation } = command.target;
  return `${operation}:${wolkvoxId}:${obligation}`;
}
