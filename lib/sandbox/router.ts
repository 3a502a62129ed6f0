/**
 * Which script answers a path, which body encoding it reads, and the turning of a handler's
 * `Rejection` into its reply.
 */
import { API_PREFIX, ENDPOINTS, type EndpointPath } from '#lib/wolkvox/vendor.ts';
import { insertCase, queryCases, updateCase } from './cases.ts';
import { insertObligation, queryObligation, updateObligation } from './collections.ts';
import { Rejection, type Reply, rejectMissingParameters } from './envelope.ts';
import type { Store } from './store.ts';
import type { RecordedForm } from './types.ts';

export interface DecodedBody {
  /** Present when the body parsed as JSON (whatever the Content-Type said, as PHP's json_decode would). */
  json?: { value: unknown };
  form?: RecordedForm;
}

type Route =
  | { encoding: 'json'; handle: (json: unknown, store: Store) => Reply }
  | { encoding: 'form'; handle: (form: RecordedForm | undefined, store: Store) => Reply };

/** The scripts that read a body; token information reads its query string (token-information.ts). */
export type BodyEndpoint = Exclude<EndpointPath, typeof ENDPOINTS.tokenInformation>;

const ROUTES: Record<BodyEndpoint, Route> = {
  [ENDPOINTS.insertObligation]: { encoding: 'json', handle: insertObligation },
  [ENDPOINTS.updateObligation]: { encoding: 'json', handle: updateObligation },
  [ENDPOINTS.queryObligation]: { encoding: 'json', handle: queryObligation },
  [ENDPOINTS.insertCase]: { encoding: 'form', handle: insertCase },
  [ENDPOINTS.updateCase]: { encoding: 'form', handle: updateCase },
  [ENDPOINTS.queryCases]: { encoding: 'json', handle: queryCases },
};

/** The script a request path names, or null; the match is exact, like a web server's file lookup. */
export function endpointOf(path: string): EndpointPath | null {
  if (!path.startsWith(API_PREFIX)) return null;
  const script = path.slice(API_PREFIX.length);
  if (script === ENDPOINTS.tokenInformation) return script;
  return Object.hasOwn(ROUTES, script) ? (script as EndpointPath) : null;
}

export function dispatch(endpoint: BodyEndpoint, body: DecodedBody, store: Store): Reply {
  const route = ROUTES[endpoint];
  try {
    if (route.encoding === 'form') return route.handle(body.form, store);
    // Unparseable JSON reaches wolkvox as no parameters at all.
    if (!body.json) return rejectMissingParameters();
    return route.handle(body.json.value, store);
  } catch (error) {
    if (error instanceof Rejection) return error.reply;
    throw error;
  }
}
