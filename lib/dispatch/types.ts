import type { WolkvoxCommand } from '#lib/events.ts';
import type { Applied } from '#lib/worker/apply.ts';

/** An event an operator must look at: what it was, and why it was not applied. */
export interface ParkedEvent {
  provider: string;
  eventId: string;
  reason: string;
  /** The command, when there was one (a permanent wolkvox failure), so it can be redriven. */
  command?: WolkvoxCommand;
  /** Ids and amounts only: enough to find the payment, no personal data. */
  summary: Record<string, string | number | boolean | null>;
  parkedAt: string;
}

export type Submitted =
  | { status: 'queued'; messageId: string }
  | { status: 'applied'; applied: Applied }
  /** A duplicate, or a state change older than the newest applied: acknowledged, nothing written. */
  | { status: 'skipped'; reason: string }
  | { status: 'parked'; reason: string };

/** Where ingress hands commands: an SQS FIFO queue (deployments) or the worker in-process (local runs). */
export interface Dispatch {
  readonly mode: 'queue' | 'direct';
  /** Starts loading what a submit needs, without network, while the request is verified. */
  prepare?(): void;
  submit(
    command: WolkvoxCommand,
    meta: { provider: string; eventId: string; correlationId?: string },
    signal?: AbortSignal,
  ): Promise<Submitted>;
  park(event: ParkedEvent): Promise<void>;
}
