import type { PaymentReceived, TicketResolved } from '#lib/events.ts';
import type { Logger } from '#lib/log.ts';
import type { Secrets } from '#lib/secrets/index.ts';

/**
 * What a provider is, in the order a request meets it. A provider lives in one folder,
 * lib/providers/<family>/<slug>/:
 *   settings.ts  what the configuration, the secret and local tools need to know without its code
 *                (a slice of the environment schema, its secret keys, the local demo values);
 *   provider.ts  its code, loaded on the first request for its slug: verify and read, the trust it
 *                declares, its answer rules, its attachment hosts, and the signer local tools and
 *                tests use (sign beside verify, as stripe-node and standard-webhooks keep them).
 * lib/providers/registry.ts lists them; routes, configuration, signer, demo, .env.example, the
 * attachment policy and the README's tables are derived from that list.
 */

export type Family = 'payments' | 'tickets';

/** The normalized event each family produces. */
export interface FamilyEvent {
  payments: PaymentReceived;
  tickets: TicketResolved;
}

/** The request as the provider sent it: exact bytes, lower-cased header names. */
export interface RawRequest {
  body: Buffer;
  headers: Readonly<Record<string, string>>;
  query: Readonly<Record<string, string>>;
  /**
   * The request line as API Gateway saw it — method, raw path, raw query string — for providers
   * that sign the URL they called (HubSpot). Absent in requests built by hand (tests, tools).
   */
  line?: { method: string; path: string; rawQuery: string };
}

/**
 * What a provider decides about a verified request: not relevant (200 ignored), relevant but not
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

/**
 * What reading a request gives: one decision, or one per item of a batch (Adyen may send several
 * notifications in one request), each taken in on its own.
 */
export type Reading<E> = Decision<E> | { action: 'each'; items: readonly Decision<E>[] };

export interface ProviderContext {
  secrets: Secrets;
  now: () => Date;
  /** Aborts calls to the provider's API before the function runs out of time. */
  signal: AbortSignal;
  logger: Logger;
}

/**
 * What a provider may believe (DESIGN.md, trust model), stated so the trust table (docs/trust.md) and the
 * field-tampering tests read the same declaration as the code.
 * - `bytes`: a signature over the exact body bytes (plus `signed` headers): nothing in the body
 *   can change without a 401.
 * - `values`: a signature over the values `signed` names; anything else the provider uses comes
 *   from its API (`confirmed`) or is listed in `unverified`.
 * - `sender`: a shared secret proves who sent the request, not what it says: whoever holds the
 *   token is believed.
 */
export interface Trust {
  covers: 'bytes' | 'values' | 'sender';
  /** How a request proves it came from the provider, in one line (docs/trust.md). */
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
  /** Where the replay window is read from, in one line (docs/trust.md). */
  replayWindow: string;
}

/** A request whose authenticity was checked, ready to be read. */
export interface Verified<E> {
  /**
   * Parses and decides; may confirm values with the provider's API. Throws MalformedError (400).
   * Answers at once when it calls no API: see verify.
   */
  read(context: ProviderContext): Reading<E> | Promise<Reading<E>>;
}

/** A provider configured for this deployment: what ingress calls. */
export interface Provider<E> {
  family: Family;
  slug: string;
  /** The one status every 2xx answer takes, when the provider accepts only one (its code's rule). */
  onlyStatus?: number;
  /** The exact text every 2xx answer carries, when the provider expects one (Adyen: `[accepted]`). */
  acceptedBody?: string;
  trust: Trust;
  /**
   * Throws SignatureError when the request is not authentic (missing, wrong or stale). Runs before
   * anything reads the request for use, and returns what it verified.
   *
   * A promise only when it waits for something (PayPal's certificate); the others answer at once
   * and refuse by throwing. Ingress takes either: each promise is a microtask turn on every webhook,
   * and a provider that needs none should not pay for one (the warm
   * ingress target, docs/performance.md). Tests that want a promise use `settled()`.
   */
  verify(request: RawRequest, context: ProviderContext): Verified<E> | Promise<Verified<E>>;
}

export type PaymentProvider = Provider<PaymentReceived>;
export type TicketProvider = Provider<TicketResolved>;

/** A request signed as the provider would sign it (local tools and tests; never in Lambda). */
export interface SignedRequest {
  /** The body to send: the sample's bytes, or re-serialized where the provider signs values. */
  body: string;
  /** Lower-case header names, as an HTTP API (payload v2) hands them to the Lambda. */
  headers: Record<string, string>;
  /** Query parameters of the URL it is sent to, where the provider signs them (Mercado Pago's `data.id`). */
  query?: Record<string, string>;
}

/** Where a helpdesk's attachments may come from, and with which credentials (lib/attachments). */
export interface AttachmentAccess<S> {
  /** The allowed hosts (`*.example.com` for subdomains); [] allows none. */
  hosts(settings: S): string[];
  /** The Authorization header for the helpdesk's API, or undefined when its secrets are missing. */
  authorization(secrets: Readonly<Record<string, string>>): string | undefined;
}

/** What a provider.ts exports: its code, given its settings. */
export interface ProviderCode<E, S> {
  create(settings: S & { operation: string }): Provider<E>;
  /** An answer rule: the one HTTP status every 2xx answer must be (Wompi retries anything but 200). */
  onlyStatus?: number;
  /** The exact body of every 2xx answer, when the provider expects one (Adyen: `[accepted]`). */
  acceptedBody?: string;
  /** Signs a body at `now` with `secrets` (the first of a comma-separated list), as the provider does. */
  sign(body: string, secrets: Readonly<Record<string, string>>, now: Date): SignedRequest;
  /** What the provider's requests look like on the wire, for local tools' API Gateway events. */
  userAgent: string;
  attachments?: AttachmentAccess<S>;
}
