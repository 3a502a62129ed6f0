import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import '#lib/zod-mini.ts';
import { recordKey, type WolkvoxCommand, wolkvoxCommandSchema } from '#lib/events.ts';

/** The SQS message body between ingress and the worker. */
export const queuedMessageSchema = z.lazy(() =>
  z.object({
    command: wolkvoxCommandSchema,
    meta: z.object({ provider: z.string(), eventId: z.string(), receivedAt: z.string() }),
    /** The ingress request's id (API Gateway), so the worker's log lines for it can be found with it. */
    correlationId: z.optional(z.string()),
  }),
);
export type QueuedMessage = z.infer<typeof queuedMessageSchema>;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * FIFO group = the wolkvox record, so changes to one record are applied one at a time, in order.
 * SQS allows 128 characters of printable ASCII without spaces (obligation ids may have some).
 */
export function messageGroupId(command: WolkvoxCommand): string {
  const key = encodeURIComponent(recordKey(command));
  return key.length <= 128 ? key : sha256(key);
}

/** Dedup = the payment's identity: several deliveries of one payment within 5 minutes collapse. */
export function deduplicationId(identity: string): string {
  return sha256(identity);
}
