import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { Dispatcher } from '#lib/dispatch/types.ts';
import type { WolkvoxCommand } from '#lib/events.ts';
import type { Logger } from '#lib/log.ts';
import type { SecretsSource } from '#lib/secrets/index.ts';
import type { Source } from '#lib/sources/types.ts';
import { errorResponses, json, verifiedOf, verifyWebhook, type WebhookContext } from './middleware.ts';

export interface IngressDeps<E> {
  sources: Readonly<Record<string, Source<E>>>;
  secrets: SecretsSource;
  dispatcher: Dispatcher;
  /** A relevant event → the command to apply, or why it cannot be (parked). */
  translate: (event: E) => { command: WolkvoxCommand } | { park: string };
  /** Ids and amounts for logs and parked events: never personal data. */
  describe: (event: E) => { eventId: string; summary: Record<string, string | number | boolean | null> };
  now: () => Date;
  logger: Logger;
}

/**
 * raw bytes → verify → normalize → ignore | park | dispatch, answered as DESIGN.md's ingress
 * table says. Answers carry ids and decisions only: providers show them in their dashboards.
 */
export function webhookIngress<E>(deps: IngressDeps<E>) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, WebhookContext>()
    .before(() => {
      // Returns nothing: middy would take a value returned by a before-hook as the response.
      deps.dispatcher.prepare?.();
    })
    .use(verifyWebhook(deps.sources, deps.secrets, deps.now))
    .use(errorResponses(deps.logger))
    .handler(async (_event, context, { signal }) => {
      const { source, raw, secrets } = verifiedOf<E>(context);
      const answer = (status: number, body: Record<string, unknown>) =>
        json(source.onlyStatus ?? status, body);
      const provider = source.slug;

      const decision = source.normalize(raw, { secrets, now: deps.now });
      if (decision.action === 'ignore') {
        deps.logger.info('ignored', { provider, reason: decision.reason });
        return answer(200, { status: 'ignored', reason: decision.reason });
      }
      const { eventId, summary } = deps.describe(decision.event);
      const translation = deps.translate(decision.event);
      if ('park' in translation) {
        await deps.dispatcher.park({
          provider,
          eventId,
          reason: translation.park,
          summary,
          parkedAt: deps.now().toISOString(),
        });
        deps.logger.warn('parked', { provider, eventId, reason: translation.park });
        return answer(202, { status: 'parked', reason: translation.park });
      }
      const { command } = translation;
      const submitted = await deps.dispatcher.submit(command, { provider, eventId }, signal);
      deps.logger.info(submitted.status, { provider, eventId, identity: command.identity });
      if (submitted.status === 'parked') return answer(202, { status: 'parked', reason: submitted.reason });
      if (submitted.status === 'skipped') return answer(200, { status: 'skipped', reason: submitted.reason });
      return answer(200, { status: submitted.status, identity: command.identity });
    });
}
