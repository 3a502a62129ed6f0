import { Agent, type Dispatcher, FormData, request } from '#lib/undici.ts';
import { classifyAnswer } from './classify.ts';
import { type FailureKind, WolkvoxError } from './errors.ts';
import { tokenSlots } from './limiter.ts';
import {
  type CaseFile,
  type CaseInsert,
  type CaseRecord,
  type CaseUpdate,
  OBLIGATION_TEXT_FIELDS,
  type Obligation,
} from './types.ts';
import { ENDPOINTS, type EndpointPath, MAX_CONCURRENT_PER_TOKEN, type WolkvoxEnvelope } from './vendor.ts';

/** Where the token comes from; `refresh` is called once when wolkvox rejects it. */
export interface TokenProvider {
  get(): Promise<string>;
  refresh?(): Promise<string>;
}

export interface CallRecord {
  endpoint: EndpointPath;
  outcome: 'done' | FailureKind;
  status?: number;
  ms: number;
}

export interface WolkvoxClientOptions {
  /** From resolveWolkvoxServer: `https://host/server/API/v2/`. */
  baseUrl: string;
  operation: string;
  token: TokenProvider;
  /** Cap per request, on top of the caller's signal (default 10 s). */
  timeoutMs?: number;
  /** updateObligation's method: the docs say PUT in prose and POST in the sample (A1). */
  obligationUpdateMethod?: 'POST' | 'PUT';
  /**
   * Requests in flight per token from this client (default and maximum: wolkvox's 2). The runtime
   * builds one client per container; N containers that call wolkvox at once need 2 ÷ N each.
   */
  maxInFlight?: number;
  dispatcher?: Dispatcher;
  /** Observes every call (no token, no body): for logs, the demo and benchmarks. */
  onCall?: (call: CallRecord) => void;
}

export interface CallOptions {
  /** Tie it to the Lambda's remaining time (see deadlineSignal). */
  signal?: AbortSignal;
}

/** `query`: a GET's parameters, sent in the URL with no body (token information, §3.2). */
type Body = { json: unknown } | { form: FormData } | { query: Record<string, string> };

let sharedAgent: Agent | undefined;

/** One keep-alive agent per process, so warm invocations reuse their TLS connections. */
function defaultAgent(): Agent {
  sharedAgent ??= new Agent({ keepAliveTimeout: 30_000, keepAliveMaxTimeout: 300_000 });
  return sharedAgent;
}

/** An AbortSignal that fires `reserveMs` before the Lambda runs out of time. */
export function deadlineSignal(remainingMs: number, reserveMs = 1_000): AbortSignal {
  return AbortSignal.timeout(Math.max(1, remainingMs - reserveMs));
}

export type WolkvoxClient = ReturnType<typeof createWolkvoxClient>;

export function createWolkvoxClient(options: WolkvoxClientOptions) {
  const { baseUrl, operation, token } = options;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const dispatcher = options.dispatcher ?? defaultAgent();
  const slots = tokenSlots(
    Math.min(options.maxInFlight ?? MAX_CONCURRENT_PER_TOKEN, MAX_CONCURRENT_PER_TOKEN),
  );

  async function send(endpoint: EndpointPath, body: Body, method: string, call: CallOptions) {
    const value = await token.get();
    try {
      return await attempt(endpoint, body, method, value, call);
    } catch (error) {
      if (!(error instanceof WolkvoxError) || error.kind !== 'auth' || !token.refresh) throw error;
      const fresh = await token.refresh();
      if (fresh === value) throw error;
      return attempt(endpoint, body, method, fresh, call);
    }
  }

  async function attempt(
    endpoint: EndpointPath,
    body: Body,
    method: string,
    tokenValue: string,
    call: CallOptions,
  ): Promise<WolkvoxEnvelope> {
    const signal = call.signal
      ? AbortSignal.any([call.signal, AbortSignal.timeout(timeoutMs)])
      : AbortSignal.timeout(timeoutMs);
    let release: () => void;
    try {
      release = await slots(tokenValue).acquire(signal);
    } catch (cause) {
      throw new WolkvoxError('deadline reached while waiting for a free slot on the token', {
        kind: 'transient',
        endpoint,
        cause,
      });
    }
    const started = performance.now();
    const record = (outcome: CallRecord['outcome'], status?: number) =>
      options.onCall?.({ endpoint, outcome, status, ms: performance.now() - started });
    try {
      const headers: Record<string, string> = { 'wolkvox-token': tokenValue, accept: 'application/json' };
      // The token information page asks for the JSON content type on its body-less GET too.
      if (!('form' in body)) headers['content-type'] = 'application/json';
      const url =
        'query' in body ? `${baseUrl}${endpoint}?${new URLSearchParams(body.query)}` : baseUrl + endpoint;
      let status: number;
      let text: string;
      try {
        const response = await request(url, {
          method,
          headers,
          body: 'json' in body ? JSON.stringify(body.json) : 'form' in body ? body.form : undefined,
          signal,
          dispatcher,
        });
        status = response.statusCode;
        text = await response.body.text();
      } catch (cause) {
        record('transient');
        throw new WolkvoxError(networkSummary(cause, signal), {
          kind: 'transient',
          endpoint,
          unanswered: !neverSent(cause),
          cause,
        });
      }
      const answer = classifyAnswer(status, text);
      record(answer.kind, status);
      if (answer.kind === 'done') return answer.envelope;
      throw new WolkvoxError(answer.reason, {
        kind: answer.kind,
        endpoint,
        status,
        code: answer.code,
        wolkvoxMessage: answer.msg,
      });
    } finally {
      release();
    }
  }

  const json = (
    endpoint: EndpointPath,
    payload: Record<string, unknown>,
    call: CallOptions = {},
    method = 'POST',
  ) => send(endpoint, { json: { operation, ...payload } }, method, call);

  const multipart = (parts: Record<string, string | undefined>, files: CaseFile[] = []) => {
    const form = new FormData();
    form.append('operation', operation);
    for (const [name, value] of Object.entries(parts)) if (value !== undefined) form.append(name, value);
    // Reading A6: every generated sample names the part `files`; several files repeat the part.
    for (const file of files) {
      const blob = file.data instanceof Blob ? file.data : new Blob([file.data], { type: file.contentType });
      form.append('files', blob, file.filename);
    }
    return { form };
  };

  return {
    operation,
    /** The longest one request may take: how long a write without an answer may still be under way. */
    timeoutMs,

    async queryObligation(
      target: { wolkvoxId: string; obligation: string },
      call?: CallOptions,
    ): Promise<Obligation | null> {
      const envelope = await json(
        ENDPOINTS.queryObligation,
        { wolkvox_id: target.wolkvoxId, obligation: target.obligation },
        call,
      );
      const first = Array.isArray(envelope.data) ? envelope.data[0] : undefined;
      return first && typeof first === 'object' ? toObligation(first as Record<string, unknown>) : null;
    },

    /** Sends the complete obligation: whether wolkvox blanks omitted fields is unverified (A15). */
    async updateObligation(
      target: { wolkvoxId: string; obligation: string; fields: Obligation },
      call?: CallOptions,
    ): Promise<void> {
      await json(
        ENDPOINTS.updateObligation,
        { wolkvox_id: target.wolkvoxId, obligation: target.obligation, fields: target.fields },
        call,
        options.obligationUpdateMethod ?? 'POST',
      );
    },

    async insertObligation(
      target: { wolkvoxId: string; fields: Obligation },
      call?: CallOptions,
    ): Promise<void> {
      await json(ENDPOINTS.insertObligation, { wolkvox_id: target.wolkvoxId, fields: target.fields }, call);
    },

    async updateCase(update: CaseUpdate, call: CallOptions = {}): Promise<void> {
      const body = multipart(
        {
          'wolkvox-id': update.wolkvoxId,
          'case-type': update.caseType,
          responsible: update.responsible,
          status: update.status,
          solution: update.solution,
          priority: update.priority,
          form: update.form && JSON.stringify(update.form),
        },
        update.files,
      );
      await send(ENDPOINTS.updateCase, body, 'POST', call);
    },

    /** Creates a case; returns its new wolkvox id. */
    async insertCase(insert: CaseInsert, call: CallOptions = {}): Promise<string> {
      const body = multipart(
        {
          'case-type': insert.caseType,
          responsible: insert.responsible,
          owner: insert.owner,
          contact: insert.contact,
          description: insert.description,
          status: insert.status,
          priority: insert.priority,
          solution: insert.solution,
          form: JSON.stringify(insert.form ?? {}),
        },
        insert.files,
      );
      const envelope = await send(ENDPOINTS.insertCase, body, 'POST', call);
      return String((envelope.data as { wolkvox_id?: unknown } | null)?.wolkvox_id ?? '');
    },

    /** The token's daily quota as wolkvox counts it; the reading itself costs one unit (§3.2). */
    async tokenInformation(call: CallOptions = {}): Promise<TokenQuota> {
      const envelope = await send(ENDPOINTS.tokenInformation, { query: { operation } }, 'GET', call);
      return toTokenQuota(envelope.data);
    },

    async queryCases(query: { field: string; value: string }, call?: CallOptions): Promise<CaseRecord[]> {
      const envelope = await json(ENDPOINTS.queryCases, { field: query.field, value: query.value }, call);
      return Array.isArray(envelope.data) ? (envelope.data as CaseRecord[]) : [];
    },
  };
}

/** The token information answer (§3.2): numbers, possibly as strings (A9); `available…` is spelled as wolkvox spells it. */
export interface TokenQuota {
  limit: number;
  usedToday: number;
  remaining: number;
  hoursToRestart: number;
}

function toTokenQuota(data: unknown): TokenQuota {
  const raw = (Array.isArray(data) ? data[0] : data) as Record<string, unknown> | null | undefined;
  const number = (key: string) => {
    const value = Number(raw?.[key]);
    if (raw?.[key] === undefined || raw[key] === '' || !Number.isFinite(value)) {
      throw new WolkvoxError(`token information without a numeric ${key}`, {
        kind: 'transient',
        endpoint: ENDPOINTS.tokenInformation,
      });
    }
    return value;
  };
  const limit = number('token_limit');
  const usedToday = number('token_use_today');
  // The remaining count is derived when wolkvox leaves it out: it is what the alarm is about.
  const remaining =
    raw?.available_consumition_options === undefined
      ? Math.max(0, limit - usedToday)
      : number('available_consumition_options');
  return { limit, usedToday, remaining, hoursToRestart: number('hours_to_restart_count') };
}

/** Query answers may carry numbers where writes take strings; normalise to the write shape. */
function toObligation(raw: Record<string, unknown>): Obligation {
  const obligation = { form: [] } as unknown as Obligation;
  for (const key of OBLIGATION_TEXT_FIELDS) {
    const value = raw[key];
    obligation[key] = value === undefined || value === null ? '' : String(value);
  }
  if (Array.isArray(raw.form)) {
    obligation.form = raw.form
      .filter((item): item is Record<string, unknown> => !!item && typeof item === 'object')
      .map((item) => ({ name: String(item.name ?? ''), value: String(item.value ?? '') }));
  }
  return obligation;
}

/** Failures that happen before a byte of the request reaches wolkvox: nothing of it can land later. */
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);
function neverSent(cause: unknown): boolean {
  const code = (cause as { code?: unknown } | null)?.code;
  return typeof code === 'string' && NEVER_SENT.has(code);
}

function networkSummary(cause: unknown, signal: AbortSignal): string {
  if (signal.aborted) return 'no answer before the deadline';
  const code = (cause as { code?: unknown } | null)?.code;
  return `network error${typeof code === 'string' ? ` (${code})` : ''}`;
}
