import type { IncomingMessage, ServerResponse } from 'node:http';
import * as z from 'zod/mini';
import { FAULT_KINDS } from '#lib/sandbox/faults.ts';
import type { Sandbox } from '#lib/sandbox/index.ts';
import type { FaultKind } from '#lib/sandbox/types.ts';
import type { QueueMode } from './queue-mode.ts';

/**
 * `npm start`'s control routes, for making failures visible while it runs (loopback only, like the
 * server itself):
 *
 *   POST /_local/sandbox/fail-next  {"kind":"error500","count":1,"endpoint":"collections/updateObligation.php"}
 *   POST /_local/sandbox/down       {"down":"reset"}   (or "timeout", "html502"; false ends the outage)
 *   POST /_local/queue/advance      {"seconds":30}     (--queue: held messages come back sooner)
 *
 * Fault kinds: lib/sandbox/faults.ts (error500, timeout, reset, html502, maintenance, tokenLimit,
 * simultaneous, rejected).
 */
const failNextSchema = z.object({
  kind: z.enum(FAULT_KINDS as [FaultKind, ...FaultKind[]]),
  count: z.optional(z.int().check(z.minimum(1), z.maximum(1000))),
  endpoint: z.optional(z.string()),
});
const downSchema = z.object({ down: z.union([z.literal(false), z.enum(['reset', 'timeout', 'html502'])]) });
const advanceSchema = z.object({ seconds: z.number().check(z.positive(), z.maximum(86_400)) });

const PREFIX = '/_local/';

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > 4096) throw new Error('body over 4 KiB');
    chunks.push(chunk as Buffer);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
}

/** Serves a `/_local/…` route; false when the path is not one (the caller goes on routing). */
export async function serveLocalControl(
  request: IncomingMessage,
  response: ServerResponse,
  local: { sandbox: Sandbox | undefined; queue: QueueMode | undefined },
): Promise<boolean> {
  const path = (request.url ?? '').split('?')[0] ?? '';
  if (!path.startsWith(PREFIX)) return false;
  const answer = (status: number, body: unknown) =>
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  if (request.method !== 'POST') {
    answer(405, { error: 'POST only' });
    return true;
  }
  let input: unknown;
  try {
    input = await readJson(request);
  } catch (error) {
    answer(400, { error: `not JSON: ${(error as Error).message}` });
    return true;
  }
  const route = path.slice(PREFIX.length);
  const needs = (what: unknown, missing: string) => {
    if (!what) answer(409, { error: missing });
    return !!what;
  };
  const parse = <T>(schema: z.ZodMiniType<T>): T | undefined => {
    const parsed = schema.safeParse(input);
    if (!parsed.success) answer(400, { error: z.prettifyError(parsed.error) });
    return parsed.success ? parsed.data : undefined;
  };
  if (route === 'sandbox/fail-next') {
    const body = parse(failNextSchema);
    if (body && needs(local.sandbox, 'no sandbox here: WOLKVOX_SERVER points elsewhere')) {
      local.sandbox?.failNext(body.kind, body.count ?? 1, body.endpoint);
      console.log(
        `sandbox: the next ${body.count ?? 1} call(s)${body.endpoint ? ` to ${body.endpoint}` : ''} fail with ${body.kind}`,
      );
      answer(200, { ok: true });
    }
  } else if (route === 'sandbox/down') {
    const body = parse(downSchema);
    if (body && needs(local.sandbox, 'no sandbox here: WOLKVOX_SERVER points elsewhere')) {
      local.sandbox?.setFaults({ down: body.down });
      console.log(body.down ? `sandbox: down (${body.down})` : 'sandbox: up again');
      answer(200, { ok: true });
    }
  } else if (route === 'queue/advance') {
    const body = parse(advanceSchema);
    if (body && needs(local.queue, 'not in queue mode: npm start -- --queue')) {
      local.queue?.advance(body.seconds);
      console.log(`queue: clock moved ${body.seconds} s forward`);
      answer(200, { ok: true });
    }
  } else {
    answer(404, { error: `no route ${path}` });
  }
  return true;
}
