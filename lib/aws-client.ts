import { getUserAgentMiddlewareOptions, userAgentMiddleware } from '@aws-sdk/core/client';
import { traced } from '#lib/tracing.ts';

/**
 * What every AWS SDK client the functions make starts from: the ledger table's, SQS' and Secrets
 * Manager's (newAwsClient; readyAwsClient finishes them). Each call costs about a millisecond of
 * CPU in the SDK's middleware; the worker makes three or four ledger calls per payment, so what
 * is trimmed here is trimmed from every one (docs/performance.md).
 */
export const AWS_CLIENT_CONFIG = {
  // The SDK has no request timeout by default; a hung socket must not eat the caller's time (a
  // provider waits seconds for our answer; a worker's lease is minutes). Without
  // throwOnRequestTimeout the SDK only logs a warning when requestTimeout passes, and waits on.
  requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000, throwOnRequestTimeout: true },
  // The SDK's own option: the middleware stack is resolved once per command type, not sorted again
  // on every call (a fifth of a ledger call's CPU here). Its one condition — no middleware added or
  // removed after the first call — holds: readyAwsClient changes the stack before any call.
  cacheMiddleware: true,
} as const;

type UserAgentConfig = Parameters<typeof userAgentMiddleware>[0];
type BuildMiddleware = ReturnType<typeof userAgentMiddleware>;

interface AwsClient {
  /** Absent on the tests' stand-ins for a client (an object with `send`): nothing to trim there. */
  middlewareStack?: {
    remove(toRemove: string): boolean;
    add(middleware: BuildMiddleware, options: typeof getUserAgentMiddlewareOptions): void;
  };
  config?: object;
}

/** The headers of the build step's `args.request`: an HttpRequest's, which is all the SDK sends. */
const headersOf = (request: unknown) =>
  (request as { headers?: Record<string, string | undefined> } | undefined)?.headers;

/** The two headers the SDK's user-agent middleware writes (its constants USER_AGENT, X_AMZ_USER_AGENT). */
const USER_AGENT_HEADERS = ['user-agent', 'x-amz-user-agent'] as const;

/**
 * The SDK's user-agent middleware, run once per command type, its two headers written as they
 * were on every call after. The SDK builds the same headers on every call — its version, the OS,
 * Node's version, the features the call uses, each piece escaped, behind four awaits — about 35 µs
 * of each send or ledger call, measured under X-Ray (docs/performance.md). With cacheMiddleware
 * the SDK keeps one handler and one context per command type, and what the features come from (the
 * credentials' source, the retry mode) does not change between its calls: neither do the headers
 * (test/aws-client.test.ts compares them with the SDK's, call by call). A call that fails before
 * its request is built leaves nothing learnt, and the next call works them out again.
 */
function userAgentOncePerCommand(config: UserAgentConfig): BuildMiddleware {
  const sdk = userAgentMiddleware(config);
  return (next, context) => {
    let written: (readonly [string, string])[] | undefined;
    const learn = sdk((args) => {
      const headers = headersOf(args.request);
      if (headers)
        written = USER_AGENT_HEADERS.flatMap((name) => {
          const value = headers[name];
          return value === undefined ? [] : [[name, value] as const];
        });
      return next(args);
    }, context);
    return (args) => {
      const headers = headersOf(args.request);
      if (!written || !headers) return learn(args);
      for (const [name, value] of written) headers[name] = value;
      return next(args);
    };
  };
}

/**
 * A client readied before its first call (the one place its middleware stack changes, as the
 * cached stack requires): traced (X-Ray, when tracing is on), and without middleware that does
 * nothing here but costs every call. Always the SDK's logger middleware: it filters every call's
 * input and output for sensitive members before handing them to the client's logger, and does so
 * even for the default logger, which logs nothing; no client here is given a logger (the SDK's
 * lines would carry table keys and queue bodies), so the filtering bought nothing and cost about
 * 50 µs per call. `idle`: a service's own, left idle by its settings (SQS: lib/dispatch/queue.ts).
 * The SDK's user-agent middleware stays, run once per command type (userAgentOncePerCommand).
 */
export function readyAwsClient<C extends AwsClient>(client: C, idle: readonly string[] = []): C {
  for (const name of ['loggerMiddleware', ...idle]) client.middlewareStack?.remove(name);
  if (client.config && client.middlewareStack?.remove('getUserAgentMiddleware'))
    client.middlewareStack.add(
      userAgentOncePerCommand(client.config as UserAgentConfig),
      getUserAgentMiddlewareOptions,
    );
  return traced(client);
}

/** The deployed way to make a client: AWS_CLIENT_CONFIG and the service's own `options`, readied. */
export function newAwsClient<C extends AwsClient, O extends object = object>(
  Client: new (config: typeof AWS_CLIENT_CONFIG & O) => C,
  options?: O,
  idle?: readonly string[],
): C {
  return readyAwsClient(new Client({ ...AWS_CLIENT_CONFIG, ...(options as O) }), idle);
}
