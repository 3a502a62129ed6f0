import type { Tracer } from '@aws-lambda-powertools/tracer';
import type { Context } from 'aws-lambda';
import { SERVICE } from '#lib/telemetry.ts';

// One tracer per container, set once at cold start: the SDK clients are made in several places,
// on first use, long after the handler was built, and each is captured as it is made.
let tracer: Tracer | undefined;

/** serverless.yml's `tracing` param: POWERTOOLS_TRACE_ENABLED=true on stages that trace (prod). */
export const tracingEnabled = (env: NodeJS.ProcessEnv = process.env) =>
  env.POWERTOOLS_TRACE_ENABLED?.trim().toLowerCase() === 'true';

type Handler<E, R> = (event: E, context: Context) => Promise<R>;
/** Wraps a handler in its X-Ray subsegment (`## <handler>`), annotated with cold start and service. */
export type TraceHandler = <E, R>(handler: Handler<E, R>) => Handler<E, R>;

/**
 * X-Ray (Powertools Tracer) when tracing is on: the handler's subsegment, each AWS SDK client's calls
 * (traced()) and each HTTP request of undici — wolkvox, the Lambda API, attachment downloads — as
 * a subsegment of its own (the tracer listens on undici's diagnostics channels). Off, nothing is
 * loaded: the tracer brings aws-xray-sdk-core, which a cold start would otherwise pay for (the
 * bench measures both). Powertools' manual instrumentation rather than its middy middleware, which
 * the worker does not carry; no response as metadata (answers name payments and cases). Loaded
 * without a top-level await (`osls invoke local` require()s the bundle): the first invocation waits
 * for it, before any client is made.
 */
export function startTracing(): TraceHandler | undefined {
  if (!tracingEnabled()) return undefined;
  const loading = import('@aws-lambda-powertools/tracer').then(({ Tracer }) => {
    // Not captureHTTPsRequests: it patches node:http's exports, which the bundles reach through
    // fixed getters (scripts/build.ts) and which nothing here calls directly; undici's requests are
    // traced through its diagnostics channels instead.
    const active = new Tracer({ serviceName: SERVICE, captureHTTPsRequests: false });
    if (active.isTracingEnabled()) active.provider.instrumentFetch();
    return (tracer = active);
  });
  // The first invocation waits for the tracer; later ones await nothing of their own, and the
  // subsegment ends in the handler's one `then`. (The bundles keep X-Ray's context on
  // AsyncLocalStorage, lib/xray-context.ts; under cls-hooked, as in tests run from source, every
  // promise would also run its async hook.)
  // Lambda sets _HANDLER once per container; process.env is read through a getter on every access.
  const name = `## ${process.env._HANDLER ?? 'handler'}`;
  return (handler) => (event, context) =>
    tracer
      ? within(tracer, name, handler, event, context)
      : loading.then((active) => within(active, name, handler, event, context));
}

/** Runs `handler` in a subsegment of its own, closed (and the parent made current again) when it settles. */
function within<E, R>(
  active: Tracer,
  name: string,
  handler: Handler<E, R>,
  event: E,
  context: Context,
): Promise<R> {
  const segment = active.getSegment();
  const subsegment = segment?.addNewSubsegment(name);
  if (subsegment) active.setSegment(subsegment);
  active.annotateColdStart();
  active.addServiceNameAnnotation();
  const end = () => {
    subsegment?.close();
    if (segment) active.setSegment(segment);
  };
  let running: Promise<R>;
  try {
    running = handler(event, context);
  } catch (error) {
    // A handler that throws before its first await (not an async function): the same ending.
    running = Promise.reject(error as Error);
  }
  return running.then(
    (result) => {
      end();
      return result;
    },
    (error: unknown) => {
      if (error instanceof Error) active.addErrorAsMetadata(error);
      end();
      throw error;
    },
  );
}

/** An AWS SDK v3 client whose calls are subsegments when tracing is on; the client itself when off. */
export function traced<C>(client: C): C {
  return tracer ? tracer.captureAWSv3Client(client) : client;
}
