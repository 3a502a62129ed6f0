import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { Logger } from '#lib/log.ts';
import { type Secrets, SecretsError, type SecretsSource } from '#lib/secrets/index.ts';
import type { RawRequest, Source } from '#lib/sources/types.ts';
import { stackFrames } from '#lib/stack-traces.ts';
import { IngressError, SignatureError, UnknownProviderError } from './errors.ts';
import { providerSlug, rawRequest } from './request.ts';

/** What the verifying middleware hands the handler (middy handlers see the context, not the request). */
export interface Verified<E> {
  source: Source<E>;
  raw: RawRequest;
  secrets: Secrets;
}

export type WebhookContext = Context & { webhook?: Verified<unknown> };
type WebhookMiddleware = MiddlewareObj<
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Error,
  WebhookContext
>;

export function verifiedOf<E>(context: WebhookContext): Verified<E> {
  if (!context.webhook) throw new Error('verifyWebhook did not run before the handler');
  return context.webhook as Verified<E>;
}

/**
 * The first `before`: find the provider, take the exact bytes, verify. It throws, so that a bad
 * request reaches the error handler and nothing after it runs; no body parser runs before it.
 */
export function verifyWebhook<E>(
  sources: Readonly<Record<string, Source<E>>>,
  secrets: SecretsSource,
  now: () => Date,
): WebhookMiddleware {
  return {
    before: async (request) => {
      const slug = providerSlug(request.event);
      const source = Object.hasOwn(sources, slug) ? sources[slug] : undefined;
      if (!source) throw new UnknownProviderError(slug, Object.keys(sources));
      const raw = rawRequest(request.event);
      const values = await secrets.get();
      source.verify(raw, { secrets: values, now });
      request.context.webhook = { source, raw, secrets: values } as Verified<unknown>;
    },
  };
}

export function json(statusCode: number, body: Record<string, unknown>): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/**
 * Registered last, so its onError runs first: typed errors become their status; anything else a
 * generic 500 (logged, never echoed). A secrets outage is a 503 so the provider retries.
 */
export function errorResponses(logger: Logger): WebhookMiddleware {
  return {
    onError: (request) => {
      const { error } = request;
      const provider = providerSlug(request.event);
      if (error instanceof SignatureError) {
        logger.warn('rejected: signature', { provider, check: error.internalReason });
        return json(401, { error: error.message });
      }
      if (error instanceof IngressError) {
        const level = error.status >= 500 ? 'error' : 'warn';
        logger[level](`rejected: ${error.name}`, { provider, status: error.status, reason: error.message });
        return json(error.status, { error: error.message, ...error.details() });
      }
      if (error instanceof SecretsError) {
        logger.error('secrets unavailable', { provider, reason: error.reason, retryable: error.retryable });
        return json(error.retryable ? 503 : 500, { error: 'configuration unavailable, retry later' });
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
