/**
 * The parts of undici the functions use (Agent, FormData, request), taken from undici's own
 * modules. undici's index loads every other API too (fetch, WebSocket, EventSource, caches, mocks,
 * proxies): about 250 KB more in the worker's bundle and in its cold start. Same classes and
 * functions as `import … from 'undici'`: `request` is index.js's wrapper, copied (makeDispatcher).
 * The deep paths are undici internals (package.json pins undici): an upgrade that moves them fails
 * at import, in every test. Types come from 'undici' (lib/undici-internals.d.ts).
 */
import type * as Undici from 'undici';
import AgentClass from 'undici/lib/dispatcher/agent.js';
import apiRequest from 'undici/lib/api/api-request.js';
import DispatcherClass from 'undici/lib/dispatcher/dispatcher.js';
import errors from 'undici/lib/core/errors.js';
import util from 'undici/lib/core/util.js';
import formdata from 'undici/lib/web/fetch/formdata.js';
import globalDispatcher from 'undici/lib/global.js';

// As undici's index does for request(), the one dispatcher method the functions call: stream(),
// pipeline(), upgrade() and connect() (9 KB of the worker's cold start) are left out. A dispatcher
// that already has them (undici's index loaded too, as in tests) keeps them.
(DispatcherClass.prototype as { request?: unknown }).request ??= apiRequest;

export const Agent: typeof Undici.Agent = AgentClass;
export type Agent = Undici.Agent;
export const FormData: typeof Undici.FormData = formdata.FormData;
export type FormData = Undici.FormData;
export type { Dispatcher } from 'undici';

type RequestOptions = {
  dispatcher?: Undici.Dispatcher;
  agent?: unknown;
  path?: unknown;
  method?: string;
  body?: unknown;
};

/** undici's `request(url, options)` (index.js makeDispatcher(api.request)), promise form. */
export const request = ((url: unknown, opts?: RequestOptions | null) => {
  if (!url || (typeof url !== 'string' && typeof url !== 'object' && !(url instanceof URL))) {
    throw new errors.InvalidArgumentError('invalid url');
  }
  if (opts !== undefined && opts !== null && typeof opts !== 'object') {
    throw new errors.InvalidArgumentError('invalid opts');
  }
  let target: URL;
  if (opts && opts.path !== undefined && opts.path !== null) {
    if (typeof opts.path !== 'string') {
      throw new errors.InvalidArgumentError('invalid opts.path');
    }
    let path = opts.path;
    if (!opts.path.startsWith('/')) {
      path = `/${path}`;
    }
    target = new URL(util.parseOrigin(url).origin + path);
  } else {
    if (!opts) {
      opts = typeof url === 'object' ? (url as RequestOptions) : {};
    }
    target = util.parseURL(url);
  }
  const { agent, dispatcher = globalDispatcher.getGlobalDispatcher(), ...restOpts } = opts;
  if (agent) {
    throw new errors.InvalidArgumentError('unsupported opts.agent. Did you mean opts.client?');
  }
  return apiRequest.call(dispatcher, {
    ...restOpts,
    origin: target.origin,
    path: target.search ? `${target.pathname}${target.search}` : target.pathname,
    method: opts.method || (opts.body ? 'PUT' : 'GET'),
  });
}) as typeof Undici.request;
