/**
 * One vocabulary for every failure this code classifies — wolkvox, the ledger, the secrets, a
 * provider's API, the queue, a command — so "retry or park" is decided in one place (the worker and
 * direct dispatch: failureKind) and "which answer" in one place (ingress: lib/http/middleware.ts).
 *
 * - transient: try again later with backoff (network, timeouts, 5xx, a busy lease, a lost claim);
 * - quota: wolkvox's daily quota is spent: hold until it resets, without burning retries;
 * - auth: credentials were refused or are missing: retry later, and alarm (someone must fix them);
 * - permanent: retrying cannot help: park with the reason (a command), or 500 (configuration).
 *
 * Messages carry ids, statuses and decisions, never a secret, and quote input only through
 * excerpt(): they may be logged and parked as they are. Errors that end an ingress request for what
 * the request itself is (bad signature, malformed body) are IngressErrors (lib/http/errors.ts).
 */
export type FailureKind = 'transient' | 'quota' | 'auth' | 'permanent';

/**
 * What failed: also the short `code` of a 503 answer. `deadline`: an ingress request ran out of
 * time before what it waited for (the queue, the secrets, a provider's API) answered.
 */
export type Component = 'wolkvox' | 'ledger' | 'secrets' | 'provider_api' | 'queue' | 'command' | 'deadline';

export class ServiceError extends Error {
  override readonly name: string = 'ServiceError';
  readonly component: Component;
  readonly kind: FailureKind;

  constructor(component: Component, kind: FailureKind, message: string, options?: ErrorOptions) {
    super(message, options);
    this.component = component;
    this.kind = kind;
  }

  /** Whether the same work may succeed later: every kind but permanent. */
  get retryable(): boolean {
    return this.kind !== 'permanent';
  }
}

/** The command cannot be applied as it stands; retrying will not help (it is parked). */
export class CommandRejectedError extends ServiceError {
  override readonly name = 'CommandRejectedError';
  constructor(message: string) {
    super('command', 'permanent', message);
  }
}

/** How a failure is handled. Anyone else's error (a bug, an SDK's) is retried: it may pass, and its frames are logged. */
export function failureKind(error: unknown): FailureKind {
  return error instanceof ServiceError ? error.kind : 'transient';
}

/** A failure this code classified, as opposed to a bug or someone else's error. */
export function isOwnError(error: unknown): error is ServiceError {
  return error instanceof ServiceError;
}

/**
 * Why an attempt failed, for logs and parked events. Anyone else's message (a bug's TypeError, a
 * parser's) can quote the input, which is personal data: those are named, and logs add where.
 */
export function failureReason(error: unknown): string {
  if (isOwnError(error)) return error.message;
  return error instanceof Error ? error.name : 'unknown error';
}
