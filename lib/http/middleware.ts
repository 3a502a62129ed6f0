import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { excerpt } from '#lib/excerpt.ts';
import type { Logger } from '#lib/log.ts';
import type { Secrets, SecretStore } from '#lib/secrets/index.ts';
import type { ProviderLoader } from '#lib/providers/loader.ts';
import type { Provider, ProviderContext, Verified } from '#lib/providers/types.ts';
import { stackFrames } from '#lib/stack-traces.ts';
import { ServiceError } from '#lib/errors.ts';
import { MissingSecretError } from '#lib/secrets/errors.ts';
import { IngressError, MAX_ANSWER_BYTES, SignatureError, UnknownProviderError } from './errors.ts';
import { providerSlug, rawRequest } from './request.ts';

/** What the verifying middleware hands the handler (middy handlers see the context, not the request). */
export interface VerifiedWebhook<E> {
  provider: Provider<E>;
  verified: Verified<E>;
  /** For the reading that follows: the same secrets, clock, deadline and logger. */
  providerContext: ProviderContext;
}

export type WebhookContext = Context & {
  webhook?: VerifiedWebhook<unknown>;
  /** The provider's slug once it is known to be served: before that, the path's slug is anyone's text. */
  servedProvider?: string;
};
type WebhookMiddleware = MiddlewareObj<
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Error,
  WebhookContext
>;

export function verifiedOf<E>(context: WebhookContext): VerifiedWebhook<E> {
  if (!context.webhook) throw new Error('verifyWebhook did not run before the handler');
  return context.webhook as VerifiedWebhook<E>;
}

/**
 * The request's log context, as Powertools' injectLambdaContext(logger, { resetKeys: true }) set
 * it: Lambda's context (function, request id, cold start) and the correlation id on every line of
 * the request — and on the worker's for its events, as the queued message carries it — removed
 * after it so nothing leaks to the next request. Without that middleware's other per-request work,
 * which cost more than this on every request and does nothing here: re-deciding debug sampling
 * (done only when POWERTOOLS_LOGGER_SAMPLE_RATE asks for it), logging the event (a body is never
 * logged), the log buffer (off) and cleanup bookkeeping for middlewares that answer early (none).
 */
export function requestLogContext(logger: Logger): WebhookMiddleware {
  const sampling = (process.env.POWERTOOLS_LOGGER_SAMPLE_RATE ?? '').trim() !== '';
  const reset = () => logger.resetKeys();
  return {
    before: ({ event, context }) => {
      if (sampling) logger.refreshSampleRateCalculation();
      logger.addContext(context);
      logger.setCorrelationId(event?.requestContext?.requestId);
    },
    after: reset,
    onError: reset,
  };
}

/** Time kept back from a provider API call, so the answer still gets out before the Lambda's timeout. */
const ANSWER_RESERVE_MS = 1_000;

/**
 * The first `before`: find the provider, take the exact bytes, verify. It throws, so that a bad
 * request reaches the error handler and nothing after it runs; no body parser runs before it.
 */
export function verifyWebhook<E>(
  providers: ProviderLoader<E>,
  secrets: SecretStore,
  now: () => Date,
  logger: Logger,
): WebhookMiddleware {
  /** Verifies with `provider`; the verified request is on the context once it returns or resolves. */
  function verify(
    request: Parameters<NonNullable<WebhookMiddleware['before']>>[0],
    provider: Provider<E>,
    values: Secrets,
  ): Promise<void> | undefined {
    request.context.servedProvider = provider.slug;
    const raw = rawRequest(request.event);
    const remaining = request.context.getRemainingTimeInMillis?.() ?? 10_000;
    const deadline = Date.now() + remaining - ANSWER_RESERVE_MS;
    let signal: AbortSignal | undefined;
    const providerContext: ProviderContext = {
      secrets: values,
      now,
      // Made on first use, still counting from the request's start: most providers never call
      // their API, and every AbortSignal.timeout arms a timer of its own.
      get signal() {
        return (signal ??= AbortSignal.timeout(Math.max(1, deadline - Date.now())));
      },
      logger,
    };
    const done = (verified: Verified<E>) => {
      request.context.webhook = { provider, verified, providerContext } as VerifiedWebhook<unknown>;
    };
    const verifying = provider.verify(raw, providerContext);
    if (verifying instanceof Promise) return verifying.then(done);
    done(verifying);
    return undefined;
  }

  return {
    before: (request) => {
      const slug = providerSlug(request.event);
      // Warm, the secrets are cached and the provider's code is loaded: nothing to await, and for a
      // provider that verifies at once (all but PayPal's certificate fetch) no promise at all, so
      // middy awaits nothing: each promise would be a microtask turn, on every request. Anything
      // else (cold, expired secrets, an unknown or misconfigured provider) takes the awaited path,
      // which decides, loads and refuses. A throw here reaches onError as a rejection would.
      const values = secrets.cached?.();
      const ready = values && providers.loaded?.(slug, values);
      if (values && ready) return verify(request, ready, values);
      return (async () => {
        const fetched = await secrets.get();
        const provider = await providers.provider(slug, fetched);
        if (!provider) throw new UnknownProviderError(slug, providers.enabled(fetched));
        await verify(request, provider, fetched);
      })();
    },
  };
}

/** What the error answers count (lib/telemetry.ts). */
export interface ErrorOptions {
  /**
   * A local run (npm start, osls invoke local): a refused signature's log line says how to sign
   * again — a sample signed minutes ago has expired. Deployed, the line stays without advice.
   */
  local?: boolean;
  /** Deliveries: `provider` is `unknown` until the path named a served one. */
  answered?: (provider: string, outcome: '400' | '401' | '404' | '413' | '503') => void;
  /** A served provider's key (or the wolkvox token) is not in the secret: a configuration error. */
  secretKeyMissing?: () => void;
}

/** A JSON answer; an answer over MAX_ANSWER_BYTES is a bug, so it is replaced rather than sent. */
export function json(
  statusCode: number,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 {
  let text = JSON.stringify(body);
  if (Buffer.byteLength(text) > MAX_ANSWER_BYTES) {
    text = JSON.stringify({ status: body.status ?? body.error ?? 'answered', note: 'answer shortened' });
  }
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: text };
}

/**
 * How long a provider should wait before delivering again after a 503. Zendesk retries a 503 only
 * when Retry-After is under 60 s (docs/providers/zendesk.md); the others retry on their own schedule.
 */
const RETRY_AFTER_SECONDS = '30';

/**
 * Registered last, so its onError runs first: the one place failures become answers. A request's
 * own fault is its 4xx; a service failure that may pass (lib/errors.ts: anything but permanent) is a
 * 503 naming only the component, so the provider retries; a permanent one (configuration) and
 * anything unclassified are a 500. The log gets what happened; the answer never does.
 */
export function errorResponses(logger: Logger, counts: ErrorOptions = {}): WebhookMiddleware {
  const answered = counts.answered ?? (() => undefined);
  return {
    onError: (request) => {
      const { error } = request;
      const provider = excerpt(providerSlug(request.event), 40);
      // A metric dimension per slug sent would let anyone add metrics (and cost): only served ones.
      const counted = request.context.servedProvider ?? 'unknown';
      if (error instanceof SignatureError) {
        const hint = counts.local
          ? {
              hint: `signatures expire (most in 5 minutes): sign the sample again right before sending it (npm run sign -- ${provider} <sample.json>), or send it with npm run trigger -- ${provider} <sample>`,
            }
          : {};
        logger.warn('rejected: signature', { provider, check: error.internalReason, ...hint });
        answered(counted, '401');
        return json(401, { error: error.message });
      }
      if (error instanceof IngressError) {
        logger.warn(`rejected: ${error.name}`, { provider, status: error.status, reason: error.message });
        const status = String(error.status);
        if (status === '400' || status === '401' || status === '404' || status === '413')
          answered(counted, status);
        return json(error.status, { error: error.message, ...error.details() });
      }
      if (error instanceof ServiceError) {
        const fields = { provider, code: error.component, kind: error.kind, reason: error.message };
        if (error instanceof MissingSecretError) counts.secretKeyMissing?.();
        if (!error.retryable) {
          logger.error('failed', fields);
          return json(500, { error: 'internal error' });
        }
        logger.error('unavailable', fields);
        answered(counted, '503');
        return json(
          503,
          { error: 'temporarily unavailable', code: error.component },
          { 'retry-after': RETRY_AFTER_SECONDS },
        );
      }
      logger.error('unexpected failure', {
        provider,
        error: error instanceof Error ? error.name : 'unknown',
        at: stackFrames(error),
      });
      return json(500, { error: 'internal error' });
    },
  };
}
