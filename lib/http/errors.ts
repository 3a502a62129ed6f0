/**
 * Errors that end an ingress request, each with the status DESIGN.md's ingress table gives it.
 * Their messages are safe to return: they never include a secret, a signature or the body.
 */
export abstract class IngressError extends Error {
  abstract readonly status: number;
  /** Extra fields for the JSON answer. */
  details(): Record<string, unknown> {
    return {};
  }
}

/** Missing, wrong or stale signature. The answer never says which part failed. */
export class SignatureError extends IngressError {
  override readonly name = 'SignatureError';
  readonly status = 401;
  /** For our logs only: which check failed. */
  readonly internalReason: string;

  constructor(internalReason: string) {
    super('invalid signature');
    this.internalReason = internalReason;
  }
}

export class MalformedError extends IngressError {
  override readonly name = 'MalformedError';
  readonly status = 400;
  readonly problems: string[];

  constructor(problems: string[]) {
    super('malformed body');
    this.problems = problems;
  }

  override details() {
    return { problems: this.problems };
  }
}

export class UnknownProviderError extends IngressError {
  override readonly name = 'UnknownProviderError';
  readonly status = 404;
  constructor(slug: string, known: string[]) {
    super(`unknown provider "${slug.slice(0, 40)}"; known: ${known.join(', ') || 'none'}`);
  }
}

export class PayloadTooLargeError extends IngressError {
  override readonly name = 'PayloadTooLargeError';
  readonly status = 413;
  constructor(limit: number) {
    super(`body over ${limit / 1024} KiB`);
  }
}

/** We could not take the event in (queue down, or in direct mode a transient wolkvox failure). */
export class UnavailableError extends IngressError {
  override readonly name = 'UnavailableError';
  readonly status = 503;
}

/** zod issues → `path: message` lines, for a 400 that says what is wrong. */
export function describeIssues(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): string[] {
  return issues.map((issue) => `${issue.path.map(String).join('.') || '(body)'}: ${issue.message}`);
}
