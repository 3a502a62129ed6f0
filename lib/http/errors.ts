import { excerpt, quoted } from '#lib/excerpt.ts';

/**
 * Errors that end an ingress request, each with the status DESIGN.md's ingress table gives it.
 * Their messages are safe to return: they never include a secret, a signature or the body, and
 * quote input only through excerpt(). No answer they produce is larger than MAX_ANSWER_BYTES.
 */
export abstract class IngressError extends Error {
  abstract readonly status: number;
  /** Extra fields for the JSON answer. */
  details(): Record<string, unknown> {
    return {};
  }
}

/** Answers are shown in providers' dashboards and logs: small, whatever the input. */
export const MAX_ANSWER_BYTES = 1024;

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

/** The problems a 400 lists: the first few that fit, then how many more there were. */
const PROBLEMS_BUDGET = 700;
const PROBLEM_MAX = 160;

export class MalformedError extends IngressError {
  override readonly name = 'MalformedError';
  readonly status = 400;
  readonly problems: string[];

  constructor(problems: string[]) {
    super('malformed body');
    this.problems = problems;
  }

  override details() {
    const listed: string[] = [];
    let used = 0;
    for (const problem of this.problems) {
      // Problems are written by this code; a too-long one is cut, never left out silently.
      const line = problem.length > PROBLEM_MAX ? `${problem.slice(0, PROBLEM_MAX)}…` : problem;
      if (used + line.length > PROBLEMS_BUDGET) break;
      listed.push(line);
      used += line.length + 4;
    }
    const more = this.problems.length - listed.length;
    return { problems: more > 0 ? [...listed, `… and ${more} more`] : listed };
  }
}

export class UnknownProviderError extends IngressError {
  override readonly name = 'UnknownProviderError';
  readonly status = 404;
  constructor(slug: string, known: readonly string[]) {
    // No slug at all: not an HTTP API event (API Gateway always fills the route's {provider}), most
    // likely a raw sample given to `osls invoke local`, so the answer says how to make it one.
    super(
      slug === ''
        ? 'not an API Gateway HTTP API event (no provider in its path): a raw sample must be wrapped and signed first: npm run sign -- <provider> <sample.json> > event.json; or send it to npm start: npm run trigger -- <provider> <sample>'
        : `unknown provider ${quoted(slug, 40)}; known: ${known.join(', ') || 'none'}`,
    );
  }
}

export class PayloadTooLargeError extends IngressError {
  override readonly name = 'PayloadTooLargeError';
  readonly status = 413;
  constructor(limit: number) {
    super(`body over ${limit / 1024} KiB`);
  }
}

/**
 * zod issues → `path: message` lines, for a 400 that says what is wrong. The messages are the
 * schemas' own (zod names types and expected values, never the input); path segments are keys of
 * the sender's JSON (a record's keys are whatever they wrote), so those are excerpted.
 */
export function describeIssues(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): string[] {
  return issues.map((issue) => {
    const path = issue.path.map((segment) => excerpt(String(segment), 40)).join('.');
    return `${path || '(body)'}: ${issue.message.slice(0, 120)}`;
  });
}
