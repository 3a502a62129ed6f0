/**
 * The browser console's routes on the local server: the page, its script, the deliveries (a list,
 * then Server-Sent Events), the samples, the sandbox, and the send and replay buttons. Local only:
 * served by lib/local/server.ts, never imported by a function, and answered to loopback clients only.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { deliverSample } from '../deliver.ts';
import type { LocalRuntime } from '../runtime.ts';
import { readCatalog } from '../samples.ts';
import type { DeliveryView, Journal } from './journal.ts';

const PAGE = join(import.meta.dirname, 'page.html');
const SCRIPT = join(import.meta.dirname, 'page.js');

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6. */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return v4 === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/**
 * A page on another site the developer visits could make their browser call these routes (a
 * simple POST, or DNS rebinding onto 127.0.0.1): only requests naming a loopback host, and with no
 * foreign Origin, get through.
 */
function sameMachine(request: IncomingMessage): boolean {
  const host = (request.headers.host ?? '').replace(/:\d+$/, '');
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(host)) return false;
  const origin = request.headers.origin;
  return origin === undefined || origin === `http://${request.headers.host}`;
}

interface ConsoleDeps {
  journal: Journal;
  local: LocalRuntime;
  /** The local server's own URL: sends and replays go through it as the provider's would. */
  baseUrl: () => string;
}

function json(response: ServerResponse, status: number, value: unknown): void {
  response
    .writeHead(status, { 'content-type': 'application/json; charset=utf-8' })
    .end(JSON.stringify(value));
}

async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  try {
    const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The console's handler: true when it answered `request` (a console route), false otherwise. */
export function consoleRoutes(deps: ConsoleDeps) {
  const { journal, local } = deps;

  async function send(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const { file } = await readJson(request);
    const sample = (await readCatalog()).find((entry) => entry.file === file);
    if (!sample) return json(response, 404, { error: 'no such sample' });
    const delivered = await deliverSample(sample.provider, sample.file, deps.baseUrl());
    json(response, 200, { status: delivered.status });
  }

  /** The recorded request re-sent byte for byte: the ledger skips it, or its signature has gone stale. */
  async function replay(id: string, response: ServerResponse): Promise<void> {
    const raw = journal.raw(id);
    if (!raw) return json(response, 404, { error: 'no such delivery' });
    // fetch sets the connection's own headers; every other one goes back as received.
    const hop = new Set(['host', 'content-length', 'connection', 'transfer-encoding', 'keep-alive']);
    const headers = Object.fromEntries(Object.entries(raw.headers).filter(([name]) => !hop.has(name)));
    headers['x-console-replay-of'] = id;
    const answer = await fetch(new URL(raw.url, deps.baseUrl()), {
      method: raw.method,
      headers,
      ...(raw.method === 'GET' ? {} : { body: raw.body }),
    });
    await answer.arrayBuffer();
    json(response, 200, { status: answer.status });
  }

  function events(request: IncomingMessage, response: ServerResponse): void {
    response.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    const push = (view: DeliveryView) => response.write(`event: delivery\ndata: ${JSON.stringify(view)}\n\n`);
    for (const view of journal.list().reverse()) push(view);
    journal.on('delivery', push);
    request.once('close', () => journal.off('delivery', push));
  }

  return async (request: IncomingMessage, response: ServerResponse, path: string): Promise<boolean> => {
    if (path !== '/' && !path.startsWith('/console/')) return false;
    if (!isLoopback(request.socket.remoteAddress) || !sameMachine(request)) {
      json(response, 403, { error: 'the console answers this machine only' });
      return true;
    }
    const route = `${request.method} ${path}`;
    const replayed = /^POST \/console\/api\/replay\/(\d+)$/.exec(route);
    try {
      if (route === 'GET /') {
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(await readFile(PAGE));
      } else if (route === 'GET /console/page.js') {
        response
          .writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' })
          .end(await readFile(SCRIPT));
      } else if (route === 'GET /console/events') {
        events(request, response);
      } else if (route === 'GET /console/api/samples') {
        json(response, 200, await readCatalog());
      } else if (route === 'GET /console/api/sandbox') {
        json(response, 200, local.sandbox ? local.sandbox.state() : null);
      } else if (route === 'POST /console/api/send') {
        await send(request, response);
      } else if (replayed?.[1]) {
        await replay(replayed[1], response);
      } else {
        json(response, 404, { error: 'not found' });
      }
    } catch (error) {
      json(response, 500, { error: (error as Error).message });
    }
    return true;
  };
}
