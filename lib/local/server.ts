// The local webhook server behind `npm start`: the webhook routes through the real handlers
// (direct dispatch) and the browser console at /, on 127.0.0.1 only.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { MAX_BODY_BYTES } from '#lib/http/request.ts';
import { OUTCOME_HEADER } from '#lib/http/ingress.ts';
import { stateChanges } from './console/changes.ts';
import type { SandboxState } from '#lib/sandbox/types.ts';
import { Journal, decisionOf, runInDelivery } from './console/journal.ts';
import { consoleRoutes } from './console/routes.ts';
import { type Ingress, type LocalOptions, type LocalRuntime, localContext, startLocal } from './runtime.ts';
import { WOLKVOX_INFO_PATH } from './trigger.ts';
import { serveLocalControl } from './control.ts';

const ROUTE = /^\/webhooks\/(payments|tickets)\/([^/?]+)$/;
const TEXT = /^(?:text\/|application\/(?:json|xml|javascript))/;

/** A body over the cap, as API Gateway's own limit would refuse it: reading stops there. */
class TooLarge extends Error {}

/** The body, read no further than MAX_BODY_BYTES (a declared larger length is refused before reading). */
async function readBody(request: IncomingMessage): Promise<Buffer> {
  if (Number(request.headers['content-length'] ?? 0) > MAX_BODY_BYTES) throw new TooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new TooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function joined(parameters: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of new Set(parameters.keys())) out[name] = parameters.getAll(name).join(',');
  return out;
}

function flatHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(request.headers))
    if (value !== undefined) headers[key] = String(value);
  return headers;
}

/** The same event API Gateway (HTTP API, payload 2.0) builds: non-text bodies arrive base64-encoded. */
function toEvent(
  request: IncomingMessage,
  body: Buffer,
  path: string,
  provider: string,
  port: number,
): APIGatewayProxyEventV2 {
  const headers = flatHeaders(request);
  const text = TEXT.test(headers['content-type'] ?? '');
  const now = new Date();
  const query = (request.url ?? '').split('?')[1] ?? '';
  const parameters = new URLSearchParams(query);
  const method = request.method ?? 'POST';
  return {
    version: '2.0',
    routeKey: `${method} ${path.replace(provider, '{provider}')}`,
    rawPath: path,
    rawQueryString: query,
    headers,
    // As API Gateway: parameters by name (a repeated one joined with commas), absent when none.
    ...(parameters.size > 0 ? { queryStringParameters: joined(parameters) } : {}),
    pathParameters: { provider },
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: `127.0.0.1:${port}`,
      domainPrefix: '127',
      http: {
        method,
        path,
        protocol: 'HTTP/1.1',
        sourceIp: request.socket.remoteAddress ?? '',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: crypto.randomUUID(),
      routeKey: `${method} ${path}`,
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    body: body.toString(text ? 'utf8' : 'base64'),
    isBase64Encoded: !text,
  };
}

export interface LocalServer {
  url: string;
  port: number;
  local: LocalRuntime;
  journal: Journal;
  close(): Promise<void>;
}

export interface LocalServerOptions extends LocalOptions {
  port?: number;
  /** One line per delivery (npm start prints them); silent when left out. */
  log?: (line: string) => void;
}

/** Starts the runtime and serves it on 127.0.0.1:`port` (0: any free port). */
export async function startLocalServer(options: LocalServerOptions = {}): Promise<LocalServer> {
  const journal = new Journal();
  const log = options.log ?? (() => undefined);
  // --queue: the worker applies after the answer, so a command's before → after is the sandbox as it
  // was when the command was queued, against the sandbox when the worker reports the outcome.
  const queuedBefore = new Map<string, SandboxState>();
  const local = await startLocal({
    ...options,
    onCall: (call) => {
      journal.recordStep({ kind: 'call', call });
      options.onCall?.(call);
    },
    onSubmit: (command, meta) => {
      journal.recordStep({ kind: 'command', command, eventId: meta.eventId });
      if (options.queue && local.sandbox) queuedBefore.set(command.identity, local.sandbox.state());
      options.onSubmit?.(command, meta);
    },
    onPark: (event) => {
      journal.recordStep({ kind: 'parked', reason: event.reason });
      options.onPark?.(event);
    },
  });
  let port = options.port ?? 0;
  let url = '';
  // --queue: the worker's steps (retries and their delays, parks and their reasons) join the delivery.
  options.queue?.onStep((step) => {
    journal.recordStep(step);
    const before = queuedBefore.get(step.identity);
    if (!before || !['applied', 'skipped', 'parked'].includes(step.event)) return;
    queuedBefore.delete(step.identity);
    if (step.event === 'applied' && local.sandbox)
      journal.recordStep({
        kind: 'changes',
        identity: step.identity,
        changes: stateChanges(before, local.sandbox.state()),
      });
  });
  const consoleRoute = consoleRoutes({ journal, local, baseUrl: () => url });

  async function webhook(
    request: IncomingMessage,
    response: ServerResponse,
    family: string,
    provider: string,
    path: string,
  ): Promise<void> {
    const handler: Ingress =
      family === 'payments' ? local.handlers.paymentReceived : local.handlers.ticketResolved;
    let body: Buffer;
    try {
      body = await readBody(request);
    } catch (error) {
      if (!(error instanceof TooLarge)) throw error;
      // Answer at once and close: the rest of the upload is never read into memory.
      response
        .writeHead(413, { 'content-type': 'application/json', connection: 'close' })
        .end(`{"error":"body over ${MAX_BODY_BYTES / 1024} KiB"}`, () => request.socket.destroy());
      log(`${request.method} ${path} → 413 (body over ${MAX_BODY_BYTES / 1024} KiB)`);
      return;
    }
    const replayOf = request.headers['x-console-replay-of'];
    const id = journal.recordDelivery({
      method: request.method ?? 'POST',
      url: request.url ?? path,
      provider,
      family,
      headers: flatHeaders(request),
      body,
      ...(typeof replayOf === 'string' ? { replayOf } : {}),
    });
    const before = local.sandbox?.state();
    try {
      const answer = await runInDelivery(id, () =>
        handler(toEvent(request, body, path, provider, port), localContext(`${family}-local`)),
      );
      const status = answer.statusCode ?? 200;
      const headers = (answer.headers ?? {}) as Record<string, string>;
      response.writeHead(status, headers).end(answer.body ?? '');
      const json = headers[OUTCOME_HEADER] ?? answer.body ?? '';
      if (before && local.sandbox)
        journal.recordStep({
          delivery: id,
          kind: 'changes',
          changes: stateChanges(before, local.sandbox.state()),
        });
      journal.recordStep({
        delivery: id,
        kind: 'answered',
        status,
        decision: decisionOf(status, json),
        answer: json,
      });
      const calls = local.takeCalls();
      log(
        `${request.method} ${path} → ${status}; wolkvox calls: ${
          calls.map((c) => `${c.endpoint} ${c.status ?? c.outcome}`).join(', ') || 'none'
        }`,
      );
    } catch (error) {
      log(`${request.method} ${path} failed: ${(error as Error).name}`);
      journal.recordStep({
        delivery: id,
        kind: 'answered',
        status: 500,
        decision: 'internal error',
        answer: '',
      });
      response.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"internal error"}');
    }
  }

  async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '').split('?')[0] ?? '';
    if (await consoleRoute(request, response, path)) return;
    if (await serveLocalControl(request, response, { sandbox: local.sandbox, queue: options.queue })) return;
    if (request.method === 'GET' && path === WOLKVOX_INFO_PATH) {
      // Where npm run trigger reads the record before and after (no token: it has its own).
      const info = { server: local.wolkvoxServer, operation: local.wolkvoxOperation };
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(info));
      return;
    }
    const match = ROUTE.exec(path);
    // GET too for payments: ePayco may send its confirmation as a query string.
    const allowed = request.method === 'POST' || (request.method === 'GET' && match?.[1] === 'payments');
    if (!allowed || !match) {
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    const [, family = '', provider = ''] = match;
    await webhook(request, response, family, provider, path);
  }

  const server = createServer((request, response) => void serve(request, response));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  url = `http://127.0.0.1:${port}`;
  return {
    url,
    port,
    local,
    journal,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // The console's event streams stay open until the page goes: closed with everything else.
        server.closeAllConnections();
      });
      await local.close();
    },
  };
}
