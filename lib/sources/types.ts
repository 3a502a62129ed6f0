import type { Secrets } from '#lib/secrets/index.ts';
import type { PaymentReceived, TicketResolved } from '#lib/events.ts';

/** The request as the provider sent it: exact bytes, lower-cased header names. */
export interface RawRequest {
  body: Buffer;
  headers: Readonly<Record<string, string>>;
  query: Readonly<Record<string, string>>;
}

/** What a source decides about a verified request. */
export type Decision<E> = { action: 'ignore'; reason: string } | { action: 'accept'; event: E };

export interface SourceContext {
  secrets: Secrets;
  now: () => Date;
}

export interface Source<E> {
  slug: string;
  /** HTTP status for every 2xx answer, when the provider accepts only one (Wompi: exactly 200). */
  onlyStatus?: number;
  /** Throws SignatureError when the request is not authentic. Runs before any parsing for use. */
  verify(request: RawRequest, context: SourceContext): void;
  /** Parses and decides; throws MalformedError naming the failing paths. */
  normalize(request: RawRequest, context: SourceContext): Decision<E>;
}

export type PaymentSource = Source<PaymentReceived>;

export type TicketSource = Source<TicketResolved>;
