// npm start: the webhook routes on http://127.0.0.1:$PORT through the real handlers (direct dispatch),
// against a sandbox started here unless WOLKVOX_SERVER is set.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { MAX_BODY_BYTES } from '../lib/http/request.ts';
import { providersOf } from '../lib/providers/registry.ts';
import type { Family } from '../lib/providers/types.ts';
import { type Ingress, localContext, startLocal } from '../lib/local/runtime.ts';
import { serveLocalControl } from '../lib/local/control.ts';
import { queueModeBanner, queueModeFromArgs } from '../lib/local/queue-mode.ts';

const port = Number(process.env.PORT ?? 3000);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a port number, got "${process.env.PORT}"`);
  process.exit(1);
}

const ROUTE = /^\/webhooks\/(payments|tickets)\/([^/?]+)$/;
const TEXT = /^(?:text\/|application\/(?:json|xml|javascript))/;
// --queue: the deployed path (SQS FIFO model → worker → DynamoDB ledger), lib/local/queue-mode.ts.
const queue = await queueModeFromArgs(process.argv.slice(2));
const local = await startLocal({
  queue,
  logLevel: 'INFO',
  onPark: (e) => console.log(`parked ${e.provider} ${e.eventId}: ${e.reason}`),
});

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

/** The same event API Gateway (HTTP API, payload 2.0) builds: non-text bodies arrive base64-encoded. */
function toEvent(
  request: IncomingMessage,
  body: Buffer,
  path: string,
  provider: string,
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(request.headers))
    if (value !== undefined) headers[key] = String(value);
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

const server = createServer((request, response) => void serve(request, response));

async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (await serveLocalControl(request, response, { sandbox: local.sandbox, queue })) return;
  const path = (request.url ?? '').split('?')[0] ?? '';
  const match = ROUTE.exec(path);
  // GET too for payments: ePayco may send its confirmation as a query string.
  const allowed = request.method === 'POST' || (request.method === 'GET' && match?.[1] === 'payments');
  if (!allowed || !match) {
    response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
    return;
  }
  const [, family, provider = ''] = match;
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
    console.log(`${request.method} ${path} → 413 (body over ${MAX_BODY_BYTES / 1024} KiB)`);
    return;
  }
  try {
    const answer = await handler(toEvent(request, body, path, provider), localContext(`${family}-local`));
    response
      .writeHead(answer.statusCode ?? 200, answer.headers as Record<string, string>)
      .end(answer.body ?? '');
    console.log(
      `${request.method} ${path} → ${answer.statusCode}; wolkvox calls: ${
        local
          .takeCalls()
          .map((c) => `${c.endpoint} ${c.status ?? c.outcome}`)
          .join(', ') || 'none'
      }`,
    );
  } catch (error) {
    console.error(`${request.method} ${path} failed: ${(error as Error).name}`);
    response.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"internal error"}');
  }
}

server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  const slugs = (family: Family) =>
    providersOf(family)
      .map((entry) => entry.slug)
      .join('|');
  console.log(`webhooks on http://127.0.0.1:${actual}/webhooks/payments/{${slugs('payments')}}`);
  console.log(`           http://127.0.0.1:${actual}/webhooks/tickets/{${slugs('tickets')}}`);
  console.log(
    `wolkvox:    ${local.wolkvoxServer}${local.sandbox ? ' (sandbox started here; operation demo, token sandbox-token)' : ''}`,
  );
  for (const line of queue ? queueModeBanner(queue, `http://127.0.0.1:${actual}`) : []) console.log(line);
});

const stop = () => {
  server.close();
  server.closeAllConnections();
  void local.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
