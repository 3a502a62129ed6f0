/**
 * Ours, the fair baseline and the naive one, loaded in this process from source for the warm and throughput
 * measurements (the cold starts load the bundles in fresh processes instead). Both read the same
 * deploy-like environment (env.ts); both ingress paths send to an in-memory SQS.
 */
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
  SQSBatchResponse,
  SQSEvent,
} from 'aws-lambda';
import { loadConfig } from '#lib/config.ts';
import type { Ledger } from '#lib/ledger/types.ts';
import type { OutageBreaker } from '#lib/worker/breaker.ts';
import {
  createRuntime,
  paymentReceivedHandler,
  ticketResolvedHandler,
  wolkvoxSyncHandler,
} from '#lib/wiring.ts';
import type { TraceHandler } from '#lib/tracing.ts';
import { type MemorySqs, memorySqs, redirect } from './memory-sqs.ts';
import type { Variant } from './build.ts';
import type * as FairWorker from './fair/wolkvox-sync.ts';
import type * as NaiveWorker from './naive/wolkvox-sync.ts';

export type { Variant };

export type Ingress = (event: APIGatewayProxyEventV2, context: Context) => Promise<unknown>;
export type Worker = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

export interface Implementation {
  variant: Variant;
  /** Where both ingress functions send (in memory). */
  queue: MemorySqs;
  payment: Ingress;
  ticket: Ingress;
  /**
   * One worker container. Ours: a runtime of its own (its own secrets cache and batch processor),
   * sharing `ledger` when given (DynamoDB with LEDGER_TABLE otherwise). Fair and naive: a fresh
   * instance of the handler module. Both share this process's module-level state otherwise (ours: the
   * per-token semaphore and the keep-alive agent), so connections are counted per run, not per
   * container.
   */
  worker(options?: { ledger?: Ledger; breaker?: OutageBreaker }): Worker;
}

/** `trace`: startTracing()'s wrapper when tracing is on (lib/tracing.ts), as functions/ use it. */
export function ours(trace?: TraceHandler): Implementation {
  const config = loadConfig(process.env);
  const queue = memorySqs();
  const traced = <E, R>(handler: (event: E, context: Context) => Promise<R>) =>
    trace ? trace(handler) : handler;
  return {
    variant: 'ours',
    queue,
    // One runtime per function, as each is its own Lambda (its own container and secrets cache).
    payment: traced(paymentReceivedHandler(createRuntime(config, { sqs: queue.client }))) as Ingress,
    ticket: traced(ticketResolvedHandler(createRuntime(config, { sqs: queue.client }))) as Ingress,
    worker: (options = {}) =>
      traced(
        wolkvoxSyncHandler(createRuntime(config, { sqs: queue.client, ledger: options.ledger }), {
          breaker: options.breaker,
        }),
      ),
  };
}

/** Imported only after the environment is set, as naive(): it reads it at its top level. */
export async function fair(): Promise<Implementation> {
  const payment = await import('./fair/payment-received.ts');
  const ticket = await import('./fair/ticket-resolved.ts');
  const queue = memorySqs();
  let containers = 0;
  // Each fair ingress function builds its own SQS client, as a Lambda of its own would.
  redirect(payment.sqs, queue);
  redirect(ticket.sqs, queue);
  return {
    variant: 'fair',
    queue,
    payment: payment.handler as unknown as Ingress,
    ticket: ticket.handler as unknown as Ingress,
    // A module instance per container, as naive()'s: the FIFO processor keeps a batch's state.
    worker: () => {
      containers += 1;
      const url = `${new URL('./fair/wolkvox-sync.ts', import.meta.url).href}?container=${containers}`;
      const loading = import(url) as Promise<typeof FairWorker>;
      return async (event, context) => (await loading).handler(event, context);
    },
  };
}

/** Imported only after the environment is set: the baseline reads it at its top level. */
export async function naive(): Promise<Implementation> {
  const payment = await import('./naive/payment-received.ts');
  const ticket = await import('./naive/ticket-resolved.ts');
  const queue = memorySqs();
  let containers = 0;
  // Both ingress modules share the baseline's one SQS client (naive/shared.ts).
  redirect(payment.sqs, queue);
  return {
    variant: 'naive',
    queue,
    payment: payment.handler as unknown as Ingress,
    ticket: ticket.handler as unknown as Ingress,
    // A module instance per container: Powertools' BatchProcessor keeps one batch's state at the
    // module's top level, which two containers sharing a process would trample. The query string
    // makes Node evaluate wolkvox-sync.ts anew (shared.ts and its clients stay shared).
    worker: () => {
      containers += 1;
      const url = `${new URL('./naive/wolkvox-sync.ts', import.meta.url).href}?container=${containers}`;
      const loading = import(url) as Promise<typeof NaiveWorker>;
      return async (event, context) => (await loading).handler(event, context);
    },
  };
}

/** A 2xx answer that took the event in (queued), as the provider would see it. */
export function accepted(result: unknown): boolean {
  const answer = result as APIGatewayProxyStructuredResultV2 | undefined;
  return answer?.statusCode === 200 && String(answer.body).includes('"queued"');
}

/** A worker answer with no failed record. */
export function applied(result: unknown): boolean {
  const answer = result as SQSBatchResponse | undefined;
  return Array.isArray(answer?.batchItemFailures) && answer.batchItemFailures.length === 0;
}
