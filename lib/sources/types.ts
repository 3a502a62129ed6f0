import type { Logger } from '#lib/log.ts';
import type { Secrets } from '#lib/secrets/index.ts';
import type { PaymentReceived, TicketResolved } from '#lib/events.ts';

/** The request as the provider sent it: exact bytes, lower-cased header names. */
export interface RawRequest {
  body: Buffer;
  headers: Readonly<Record<string, string>>;
  query: Readonly<Record<string, string>>;
}

/**
 * What a source decides about a verified request: not relevant (200 ignored), relevant but not
 * applicable as it stands (202 parked, kept for an operator), or an event to translate and apply.
 */
export type Decision<E> =
  | { action: 'ignore'; reason: string }
  | {
      action: 'park';
      reason: string;
      eventId: string;
      summary: Record<string, string | number | boolean | null>;
    }
  | { action: 'accept'; event: E };

export interface SourceContext {
  secrets: Secrets;
  now: () => Date;
  /** Aborts calls to the provider's API before the function runs out of time. */
  signal: AbortSignal;
  logger: Logger;
}

/**
 * What a source may believe (DESIGN.md, trust model), stated so the README's trust table and the
 * field-tampering tests read the same declaration as the code.
 * - `bytes`: a signature over the exact body bytes (plus `signed` headers): nothing in the body
 *   can change without a 401.
 * - `values`: a signature over the values `signed` names; anything else the source uses comes
 *   from the provider's API (`confirmed`) or is listed in `unverified`.
 * - `sender`: a shared secret proves who sent the request, not what it says: whoever holds the
 *   token is believed.
 */
export interface Trust {
  covers: 'bytes' | 'values' | 'sender';
  /** How a request proves it came from the provider, in one line (README). */
  scheme: string;
  /** Request fields the authentication covers, beyond `covers` (headers as `header:<name>`). */
  signed: readonly string[];
  /** Fields taken from the provider's API instead of the request; the API's value wins. */
  confirmed: readonly string[];
  /** Fields used without signature or confirmation: a risk the operator chose (e.g. WOMPI_CONFIRM=false). */
  unverified: readonly string[];
  /**
   * The oldest (and, for signed times, how far ahead) a signed request may be, in seconds; it must
   * be shorter than the ledger's memory of applied events (config.ts checks). null for `sender`:
   * with nothing signed there is nothing to replay that the token holder could not send anew.
   */
  replayWindowSeconds: number | null;
  /** Where the replay window is read from, in one line (README). */
  replayWindow: string;
}

/** A request whose authenticity was checked, ready to be read. */
export interface Verified<E> {
  /** Parses and decides; may confirm values with the provider's API. Throws MalformedError (400). */
  read(context: SourceContext): Promise<Decision<E>>;
}

export interface Source<E> {
  slug: string;
  /** HTTP status for every 2xx answer, when the provider accepts only one (Wompi: exactly 200). */
  onlyStatus?: number;
  trust: Trust;
  /**
   * Throws SignatureError when the request is not authentic (missing, wrong or stale). Runs before
   * anything reads the request for use, and returns what it verified.
   */
  verify(request: RawRequest, context: SourceContext): Promise<Verified<E>>;
}

export type PaymentSource = Source<PaymentReceived>;

export type TicketSource = Source<TicketResolved>;
