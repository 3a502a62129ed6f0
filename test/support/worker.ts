/** Fixtures of the worker's tests: a payment command, the SQS record that carries one, a ledger that counts its calls. */
import type { SQSRecord } from 'aws-lambda';
import { deduplicationId, messageGroupId, type QueuedMessage } from '#lib/dispatch/message.ts';
import type { ApplyPaymentCommand } from '#lib/events.ts';
import type { Ledger } from '#lib/ledger/types.ts';
import { SEED_OBLIGATION_IDS, SEED_RECORD_IDS } from '#lib/sandbox/index.ts';

/** A Wompi payment of `pesos` to Carlos' loan in the seeded sandbox (balance 1,250,000). */
export const wompiPayment = (id: string, pesos: number, paidAt: string): ApplyPaymentCommand => ({
  kind: 'applyPayment',
  identity: `wompi:${id}`,
  target: {
    operation: 'demo',
    wolkvoxId: SEED_RECORD_IDS.carlosRamirez,
    obligation: SEED_OBLIGATION_IDS.carlosLibreInversion,
  },
  payment: {
    provider: 'wompi',
    paymentId: id,
    amount: { minor: pesos * 100, currency: 'COP', exponent: 2 },
    paidAt,
  },
});

let sequence = 0;

/**
 * The SQS record that delivers `body` to the worker (as the event source mapping builds it), on
 * its `receives`-th receive; a string body is delivered as is (an unreadable message).
 */
export function sqsRecord(body: QueuedMessage | string, receives = 1): SQSRecord {
  sequence++;
  const queued = typeof body === 'string' ? undefined : body;
  return {
    messageId: `m-${sequence}`,
    receiptHandle: `rh-${sequence}`,
    body: queued ? JSON.stringify(queued) : (body as string),
    attributes: {
      ApproximateReceiveCount: String(receives),
      SentTimestamp: '1763900000000',
      SenderId: 'AROA',
      ApproximateFirstReceiveTimestamp: '1763900000000',
      MessageGroupId: queued ? messageGroupId(queued.command) : 'garbage',
      MessageDeduplicationId: queued ? deduplicationId(queued.command.identity) : 'x',
      SequenceNumber: String(sequence),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:commands.fifo',
    awsRegion: 'us-east-1',
  };
}

/** `inner`, with the name of each method called pushed onto `calls`, in call order. */
export function countingLedger(inner: Ledger, calls: string[]): Ledger {
  return Object.fromEntries(
    Object.entries(inner).map(([name, method]) => [
      name,
      (...args: unknown[]) => (calls.push(name), (method as (...a: unknown[]) => unknown)(...args)),
    ]),
  ) as unknown as Ledger;
}
