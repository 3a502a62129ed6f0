/**
 * The per-request pipeline, in the order wolkvox is assumed to check things: script, method,
 * token header, token validity, simultaneous requests, daily quota, injected faults, latency,
 * and only then the endpoint logic. Every request is recorded, whatever its fate.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ENDPOINT_METHOD,
  ENDPOINTS,
  type EndpointPath,
  MAX_CONCURRENT_PER_TOKEN,
  MESSAGES,
  type WolkvoxEnvelope,
} from '#lib/wolkvox/vendor.ts';
import { fail, INVENTED_MESSAGES, type Reply } from './envelope.ts';
import { effectOf, type FaultPlan } from './faults.ts';
import { isFormContentType, parseFormBody } from './multipart.ts';
import type { DailyQuota } from './quota.ts';
import { type DecodedBody, dispatch, endpointOf } from './router.ts';
import type { Store } from './store.ts';
import { tokenInformation } from './token-information.ts';
import type { Traffic } from './traffic.ts';
import type { FaultKind, Faults, RecordedRequest } from './types.ts';

export interface PipelineDeps {
  store: Store;
  traffic: Traffic;
  quota: DailyQuota;
  faults: FaultPlan;
  isValidToken: (token: string) => boolean;
  nextSeq: () => number;
  record: (request: RecordedRequest) => void;
  /** Aborted by `close()`: pending latency waits stop instead of keeping the process alive. */
  shutdown: AbortSignal;
}

function flattenHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * JSON is tried whatever the Content-Type says (bar multipart), as PHP reading php://input would:
 * `curl -d` sends JSON labelled as a urlencoded form and wolkvox still understands it.
 */
async function decodeBody(contentType: string, raw: Buffer): Promise<DecodedBody> {
  const decoded: DecodedBody = {};
  if (isFormContentType(contentType)) {
    const form = await parseFormBody(contentType, raw);
    if (form) decoded.form = form;
  }
  if (!/^\s*multipart\//i.test(contentType)) {
    try {
      decoded.json = { value: JSON.parse(raw.toString('utf8')) };
    } catch {
      // Not JSON: the JSON scripts will answer SOME PARAMETERS ARE REQUIRED.
    }
  }
  return decoded;
}

/**
 * Header-level checks, run before the body is read so a slow upload already holds its slot:
 * script, method, token header, token validity, simultaneous requests, daily quota.
 */
function admit(
  deps: PipelineDeps,
  res: ServerResponse,
  endpoint: string | null,
  method: string,
  token: string | undefined,
): { early?: Reply; inFlightAtStart: number } {
  if (endpoint === null) return { early: fail(400, MESSAGES.apiDoesNotExist), inFlightAtStart: 0 };
  // The vendor's 405 text is unknown (A16): invented.
  if (method !== (ENDPOINT_METHOD[endpoint as EndpointPath] ?? 'POST'))
    return { early: fail(405, INVENTED_MESSAGES.methodNotAllowed), inFlightAtStart: 0 };
  if (token === undefined || token === '')
    return { early: fail(401, MESSAGES.enterToken), inFlightAtStart: 0 };
  if (!deps.isValidToken(token)) return { early: fail(403, MESSAGES.validateToken), inFlightAtStart: 0 };
  const inFlightAtStart = deps.traffic.inFlight(token);
  if (inFlightAtStart >= MAX_CONCURRENT_PER_TOKEN) {
    // Refused at once, without taking a slot: the vendor does not queue.
    deps.traffic.stats.rejectedSimultaneous += 1;
    return { early: fail(403, MESSAGES.simultaneous), inFlightAtStart };
  }
  // 'close' fires when the answer is sent or the socket dies, whichever comes first.
  res.once('close', deps.traffic.enter(token));
  if (!deps.quota.take(token)) return { early: fail(403, MESSAGES.tokenLimit), inFlightAtStart };
  return { inFlightAtStart };
}

/** An outage (Faults.down): nothing is checked or counted, but the request still holds its slot. */
function enterDown(
  deps: PipelineDeps,
  res: ServerResponse,
  token: string | undefined,
): { early?: Reply; inFlightAtStart: number } {
  if (!token) return { inFlightAtStart: 0 };
  const inFlightAtStart = deps.traffic.inFlight(token);
  res.once('close', deps.traffic.enter(token));
  return { inFlightAtStart };
}

export function createRequestHandler(
  deps: PipelineDeps,
): (req: IncomingMessage, res: ServerResponse) => void {
  const { store, traffic, faults } = deps;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const seq = deps.nextSeq();
    const at = store.nowIso();
    traffic.stats.requestsTotal += 1;

    const method = req.method ?? '';
    const [path = '/', query = ''] = (req.url ?? '/').split('?');
    const endpoint = endpointOf(path);
    const headers = flattenHeaders(req.headers);
    const token = headers['wolkvox-token'];
    const contentType = headers['content-type'] ?? '';
    const down = faults.down;
    const { early, inFlightAtStart } = down
      ? enterDown(deps, res, token)
      : admit(deps, res, endpoint, method, token);
    let body: DecodedBody = {};

    const finish = (status: number, response: WolkvoxEnvelope | null, fault?: FaultKind): void => {
      deps.record(
        Object.freeze({
          seq,
          at,
          method,
          path,
          endpoint,
          token,
          headers,
          contentType,
          ...(body.json ? { json: body.json.value } : {}),
          ...(body.form ? { form: body.form } : {}),
          status,
          response,
          ...(fault ? { fault } : {}),
          inFlightAtStart,
          durationMs: Math.round(performance.now() - started),
        }),
      );
    };

    const send = (reply: Reply, fault?: FaultKind): void => {
      finish(reply.status, reply.body, fault);
      if (res.destroyed || res.writableEnded) return;
      const text = JSON.stringify(reply.body);
      res.writeHead(reply.status, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(text),
        ...(reply.status === 405 ? { allow: (endpoint && ENDPOINT_METHOD[endpoint]) ?? 'POST' } : {}),
      });
      res.end(text);
    };

    /** The host is down: the same effects as injected faults, before anything else is looked at. */
    function outage(kind: Exclude<Faults['down'], false>): void {
      const effect = effectOf(kind);
      if (effect.kind === 'html') {
        finish(effect.status, null, kind);
        res.writeHead(effect.status, { 'content-type': 'text/html' }).end(effect.html);
      } else {
        finish(0, null, kind);
        if (effect.kind === 'reset') req.socket.destroy();
      }
    }

    if (down) return outage(down);
    try {
      body = await decodeBody(contentType, await readBody(req));
    } catch {
      // The client went away mid-upload: nobody to answer.
      finish(0, null);
      return;
    }
    // `endpoint === null` always comes with an early answer; spelled out for the type checker.
    if (early !== undefined || endpoint === null) return send(early ?? fail(400, MESSAGES.apiDoesNotExist));

    const fault = faults.pick(endpoint);
    if (fault) {
      const effect = effectOf(fault);
      switch (effect.kind) {
        case 'reply':
          return send(effect.reply, fault);
        case 'html':
          finish(effect.status, null, fault);
          if (res.destroyed) return;
          res.writeHead(effect.status, {
            'content-type': 'text/html',
            'content-length': Buffer.byteLength(effect.html),
          });
          res.end(effect.html);
          return;
        case 'reset':
          finish(0, null, fault);
          req.socket.destroy();
          return;
        case 'hold':
          // Recorded now: the request never gets an answer to record later.
          finish(0, null, fault);
          return;
      }
    }

    if (faults.latencyMs > 0) {
      try {
        await sleep(faults.latencyMs, undefined, { signal: deps.shutdown });
      } catch {
        finish(0, null);
        return;
      }
    }
    if (endpoint === ENDPOINTS.tokenInformation) {
      const description = traffic.label(token ?? '');
      return send(
        tokenInformation(new URLSearchParams(query), store.operation, token ?? '', deps.quota, description),
      );
    }
    send(dispatch(endpoint, body, store));
  }

  return (req, res) => {
    handle(req, res).catch((error: unknown) => {
      // A sandbox bug, not a simulated fault: answer 500 so the client test fails loudly.
      console.error('wolkvox sandbox: unexpected error', error);
      if (!res.headersSent && !res.destroyed) {
        const reply = fail(500, INVENTED_MESSAGES.internalError);
        res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(reply.body));
      }
    });
  };
}
