import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { Dispatch } from '#lib/dispatch/types.ts';
import type { WolkvoxCommand } from '#lib/events.ts';
import type { Logger } from '#lib/log.ts';
import type { SecretStore } from '#lib/secrets/index.ts';
import { ServiceError } from '#lib/errors.ts';
import type { ProviderLoader } from '#lib/providers/loader.ts';
import type { Decision, Reading } from '#lib/providers/types.ts';
import { countDelivery, countNow, type DeliveryOutcome, type Metrics } from '#lib/telemetry.ts';
import {
  errorResponses,
  json,
  requestLogContext,
  verifiedOf,
  verifyWebhook,
  type WebhookContext,
} from './middleware.ts';

/** What a relevant event becomes: a command to apply, or why there is none (parked, or ignored). */
export type Translation = { command: WolkvoxCommand } | { park: string } | { ignore: string };

export interface IngressDeps<E> {
  providers: ProviderLoader<E>;
  secrets: SecretStore;
  dispatch: Dispatch;
  translate: (event: E) => Translation;
  /** Ids and amounts for logs and parked events: never personal data. */
  describe: (event: E) => { eventId: string; summary: Record<string, string | number | boolean | null> };
  now: () => Date;
  logger: Logger;
  metrics?: Metrics;
  /** Outside Lambda (npm start, osls invoke local): refusals say how to fix them. */
  local?: boolean;
}

/**
 * raw bytes → verify → read → ignore | park | dispatch, answered as DESIGN.md's ingress table
 * says. Answers carry ids and decisions only: providers show them in their dashboards.
 */
export function ingressHandler<E>(deps: IngressDeps<E>) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, WebhookContext>({
    timeoutEarlyInMillis: TIME_TO_ANSWER_MS,
    timeoutEarlyResponse: ranOutOfTime,
  })
    .use(requestLogContext(deps.logger))
    .before(() => {
      // Returns nothing: middy would take a value returned by a before-hook as the response.
      deps.dispatch.prepare?.();
    })
    .use(verifyWebhook(deps.providers, deps.secrets, deps.now, deps.logger))
    .use(
      errorResponses(deps.logger, {
        local: deps.local,
        answered: (provider, status) => delivered(provider, status),
        secretKeyMissing: () => countNow(deps.metrics, 'SecretKeyMissing'),
      }),
    )
    .handler((event, context, { signal }) => {
      // Not an async function, nor are the steps below: what needs no wait (a provider that reads
      // at once, an ignored event) answers without a promise, and what does chains one `then`
      // each: every promise is an allocation and a microtask turn on every webhook. A throw
      // here reaches errorResponses as a rejection would: middy calls the handler inside its try.
      const { provider: served, verified, providerContext } = verifiedOf<E>(context);
      const provider = served.slug;
      const correlationId = event?.requestContext?.requestId;
      const reading = verified.read(providerContext);
      return reading instanceof Promise ? reading.then(answerTo) : answerTo(reading);

      function answerTo(reading: Reading<E>) {
        if (reading.action === 'each') return takeEach(reading.items);
        const taken = take(reading);
        return taken instanceof Promise ? taken.then(alone) : alone(taken);
      }

      function alone(taken: Taken) {
        delivered(provider, taken.outcome);
        return answer(served, taken.status, taken.body);
      }

      // A batch: each item on its own, in order. One that cannot be taken in (a 503) fails the
      // request, and the provider's retry brings the items already queued again: the ledger and the
      // queue's deduplication take each in once.
      async function takeEach(decisions: readonly Decision<E>[]) {
        const items: Record<string, unknown>[] = [];
        for (const item of decisions) {
          const taken = await take(item);
          delivered(provider, taken.outcome);
          items.push(taken.body);
        }
        return answer(served, 200, { status: 'accepted', items });
      }

      /**
       * One decision → what becomes of it, and the answer it gets alone. Not an async function:
       * only dispatching and parking wait for anything, and every promise an async function adds
       * is an allocation and a microtask turn on every request. A throw here fails the request
       * as a rejection would (see the handler).
       */
      function take(decision: Decision<E>): Taken | Promise<Taken> {
        if (decision.action === 'ignore') {
          deps.logger.info('ignored', { provider, reason: decision.reason });
          return { status: 200, outcome: 'ignored', body: { status: 'ignored', reason: decision.reason } };
        }
        if (decision.action === 'park') return park(decision.eventId, decision.reason, decision.summary);
        const { eventId, summary } = deps.describe(decision.event);
        const translation = deps.translate(decision.event);
        if ('ignore' in translation) {
          deps.logger.info('ignored', { provider, eventId, reason: translation.ignore });
          return { status: 200, outcome: 'ignored', body: { status: 'ignored', reason: translation.ignore } };
        }
        if ('park' in translation) return park(eventId, translation.park, summary);
        const { command } = translation;
        return deps.dispatch
          .submit(command, { provider, eventId, correlationId }, signal)
          .then((submitted): Taken => {
            // Direct mode applied it here: a payment over the balance is never silent.
            const overpaid =
              submitted.status === 'applied' ? submitted.applied.details.overpaidBy : undefined;
            const extra = typeof overpaid === 'string' ? { overpaidBy: overpaid } : {};
            deps.logger.info(submitted.status, { provider, eventId, identity: command.identity, ...extra });
            if (submitted.status === 'parked')
              return { status: 202, outcome: 'parked', body: { status: 'parked', reason: submitted.reason } };
            if (submitted.status === 'skipped')
              return {
                status: 200,
                outcome: 'skipped',
                body: { status: 'skipped', reason: submitted.reason },
              };
            return {
              status: 200,
              outcome: submitted.status === 'queued' ? 'accepted' : 'applied',
              body: { status: submitted.status, identity: command.identity, ...extra },
            };
          });
      }

      async function park(
        eventId: string,
        reason: string,
        summary: Record<string, string | number | boolean | null>,
      ): Promise<Taken> {
        await deps.dispatch.park({ provider, eventId, reason, summary, parkedAt: deps.now().toISOString() });
        deps.logger.warn('parked', { provider, eventId, reason });
        return { status: 202, outcome: 'parked', body: { status: 'parked', reason } };
      }
    });

  /** Counted as answered; each count is its own EMF line at once, so ingress has nothing to flush. */
  function delivered(provider: string, outcome: DeliveryOutcome) {
    countDelivery(deps.metrics, deps.providers.family, provider, outcome);
  }
}

/**
 * How long before the Lambda's timeout a request that is still waiting gets its answer instead:
 * time for errorResponses to log, count and answer. Calls to a provider's API stop a second before
 * the timeout (ANSWER_RESERVE_MS, middleware.ts), so this catches what else hangs: a send or a
 * secrets fetch that the SDK is still retrying.
 */
const TIME_TO_ANSWER_MS = 500;

/**
 * The request ran out of time: a 503 with Retry-After (errorResponses), which every provider
 * retries. middy's own early answer is a plain Error, which would be a 500, and Zendesk does not
 * retry a 500 (docs/providers/zendesk.md): the resolution would be lost. A send still under way
 * may land after this answer; the provider's retry then carries the same event, which SQS'
 * deduplication and the ledger take in once.
 */
function ranOutOfTime(): never {
  throw new ServiceError('deadline', 'transient', 'the request ran out of time before it was taken in');
}

/** What one decision became: its answer alone, and its outcome for the Deliveries metric. */
interface Taken {
  status: number;
  outcome: DeliveryOutcome;
  body: Record<string, unknown>;
}

/**
 * The answer, under the provider's rules: the one status it counts as delivered (Wompi: 200), and
 * the exact body it expects (Adyen: `[accepted]`) — then our JSON goes in a header, for logs and tools.
 */
function answer(
  served: { onlyStatus?: number; acceptedBody?: string },
  status: number,
  body: Record<string, unknown>,
): APIGatewayProxyStructuredResultV2 {
  const answered = json(served.onlyStatus ?? status, body);
  if (served.acceptedBody === undefined) return answered;
  return {
    statusCode: answered.statusCode,
    headers: { 'content-type': 'text/plain', [OUTCOME_HEADER]: String(answered.body) },
    body: served.acceptedBody,
  };
}

/** Where our JSON answer goes when a provider expects a fixed body. */
export const OUTCOME_HEADER = 'x-webhook-outcome';
