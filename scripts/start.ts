// npm start: the webhook routes on http://127.0.0.1:$PORT through the real handlers (direct dispatch),
// against a sandbox started here unless WOLKVOX_SERVER is set.
import { createServer, type IncomingMessage } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { type Ingress, localContext, startLocal } from '../lib/local/runtime.ts';

const port = Number(process.env.PORT ?? 3000);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a port number, got "${process.env.PORT}"`);
  process.exit(1);
}

const ROUTE = /^\/webhooks\/(payments|tickets)\/([^/?]+)$/;
const TEXT = /^(text\/|application\/(json|xml|javascript))/;
const local = await startLocal({
  logLevel: 'INFO',
  onPark: (e) => console.log(`parked ${e.provider} ${e.eventId}: ${e.reason}`),
});

/** The same event API Gateway (HTTP API, payload 2.0) builds: non-text bodies arrive base64-encoded. */
async function toEvent(
  request: IncomingMessage,
  path: string,
  provider: string,
): Promise<APIGatewayProxyEventV2> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(request.headers))
    if (value !== undefined) headers[key] = String(value);
  const text = TEXT.test(headers['content-type'] ?? '');
  const now = new Date();
  return {
    version: '2.0',
    routeKey: `POST ${path.replace(provider, '{provider}')}`,
    rawPath: path,
    rawQueryString: (request.url ?? '').split('?')[1] ?? '',
    headers,
    pathParameters: { provider },
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: `127.0.0.1:${port}`,
      domainPrefix: '127',
      http: {
        method: 'POST',
        path,
        protocol: 'HTTP/1.1',
        sourceIp: request.socket.remoteAddress ?? '',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: crypto.randomUUID(),
      routeKey: `POST ${path}`,
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    body: body.toString(text ? 'utf8' : 'base64'),
    isBase64Encoded: !text,
  };
}

const server = createServer(async (request, response) => {
  const path = (request.url ?? '').split('?')[0] ?? '';
  const match = ROUTE.exec(path);
  if (request.method !== 'POST' || !match) {
    response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
    return;
  }
  const [, family, provider = ''] = match;
  const handler: Ingress =
    family === 'payments' ? local.handlers.paymentReceived : local.handlers.ticketResolved;
  try {
    const answer = await handler(await toEvent(request, path, provider), localContext(`${family}-local`));
    response
      .writeHead(answer.statusCode ?? 200, answer.headers as Record<string, string>)
      .end(answer.body ?? '');
    console.log(
      `POST ${path} → ${answer.statusCode}; wolkvox calls: ${
        local
          .takeCalls()
          .map((c) => `${c.endpoint} ${c.status ?? c.outcome}`)
          .join(', ') || 'none'
      }`,
    );
  } catch (error) {
    console.error(`POST ${path} failed: ${(error as Error).message}`);
    response.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"internal error"}');
  }
});

server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  console.log(`webhooks on http://127.0.0.1:${actual}/webhooks/payments/{stripe|wompi}`);
  console.log(
    `wolkvox:    ${local.wolkvoxServer}${local.sandbox ? ' (sandbox started here; operation demo, token sandbox-token)' : ''}`,
  );
});

const stop = () => {
  server.close();
  server.closeAllConnections();
  local.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
