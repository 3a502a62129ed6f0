import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { Dispatch } from '#lib/dispatch/types.ts';
import type { WolkvoxCommand } from '#lib/events.ts';
import type { Logger } from '#lib/log.ts';
import type { SecretStore } from '#lib/secrets/index.ts';
import type { ProviderLoader } from '#lib/providers/loader.ts';
import { errorResponses, json, verifiedOf, verifyWebhook, type WebhookContext } from './middleware.ts';

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
}

/**
 * raw bytes → verify → read → ignore | park | dispatch, answered as DESIGN.md's ingress table
 * says. Answers carry ids and decisions only: providers show them in their dashboards.
 */
export function ingressHandler<E>(deps: IngressDeps<E>) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, WebhookContext>()
    .before(() => {
      // Returns nothing: middy would take a value returned by a before-hook as the response.
      deps.dispatch.prepare?.();
    })
    .use(verifyWebhook(deps.providers, deps.secrets, deps.now, deps.logger))
    .use(errorResponses(deps.logger))
    .handler(async (_event, context, { signal }) => {
      const { provider: served, verified, providerContext } = verifiedOf<E>(context);
      const answer = (status: number, body: Record<string, unknown>) =>
        json(served.onlyStatus ?? status, body);
      const provider = served.slug;
      const park = async (
        eventId: string,
        reason: string,
        summary: Record<string, string | number | boolean | null>,
      ) => {
        await deps.dispatch.park({
          provider,
          eventId,
          reason,
          summary,
          parkedAt: deps.now().toISOString(),
        });
        deps.logger.warn('parked', { provider, eventId, reason });
        return answer(202, { status: 'parked', reason });
      };

      const decision = await verified.read(providerContext);
      if (decision.action === 'ignore') {
        deps.logger.info('ignored', { provider, reason: decision.reason });
        return answer(200, { status: 'ignored', reason: decision.reason });
      }
      if (decision.action === 'park') return park(decision.eventId, decision.reason, decision.summary);
      const { eventId, summary } = deps.describe(decision.event);
      const translation = deps.translate(decision.event);
      if ('ignore' in translation) {
        deps.logger.info('ignored', { provider, eventId, reason: translation.ignore });
        return answer(200, { status: 'ignored', reason: translation.ignore });
      }
      if ('park' in translation) return park(eventId, translation.park, summary);
      const { command } = translation;
      const submitted = await deps.dispatch.submit(command, { provider, eventId }, signal);
      // Direct mode applied it here: a payment over the balance is never silent.
      const overpaid = submitted.status === 'applied' ? submitted.applied.details.overpaidBy : undefined;
      const extra = typeof overpaid === 'string' ? { overpaidBy: overpaid } : {};
      deps.logger.info(submitted.status, { provider, eventId, identity: command.identity, ...extra });
      if (submitted.status === 'parked') return answer(202, { status: 'parked', reason: submitted.reason });
      if (submitted.status === 'skipped') return answer(200, { status: 'skipped', reason: submitted.reason });
      return answer(200, { status: submitted.status, identity: command.identity, ...extra });
    });
}
