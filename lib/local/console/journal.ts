/**
 * The console's record of deliveries, and the event-sink interface every local mode feeds it through.
 *
 * A mode (direct `npm start`, `npm start -- --queue`) reports two things:
 *  - `recordDelivery(request)` when a request reaches a webhook route; it returns the delivery's id.
 *    Call the handler inside `runInDelivery(id, …)`: whatever that request causes in the same
 *    async flow (the command it dispatched, the wolkvox calls of a direct apply) is then recorded
 *    against it without threading the id through the handlers.
 *  - `recordStep(step)` for anything that happens to it afterwards. `step.delivery` names the
 *    delivery; left out, the one current in the async flow is used; and a step of work that runs
 *    outside that flow (the queue's worker draining a message later) names the command's
 *    `identity` instead, and is attached to the newest delivery that dispatched that identity.
 *
 * Queue mode reports its journey as `{ kind: 'queue', event, detail }` steps: `enqueued`,
 * `received` (receive count), `retry` (delay), `applied`, `skipped`, `parked` (reason), `dlq`,
 * `redriven` — free-form names the page lists in order. The server records the sandbox's
 * before → after around the request (`changes`); where the apply happens later, in the worker,
 * record a `changes` step by identity around it too (`stateChanges` in changes.ts).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { EventEmitter } from 'node:events';
import type { WolkvoxCommand } from '#lib/events.ts';
import type { CallRecord } from '#lib/wolkvox/client.ts';
import { maskBody, maskHeaders, maskParams } from './mask.ts';

/** A request as it reached the local server: raw, kept server-side for replay only. */
export interface DeliveryRequest {
  method: string;
  /** Path and query, as received. */
  url: string;
  provider: string;
  family: string;
  headers: Readonly<Record<string, string>>;
  body: Buffer;
  /** The delivery this one re-sends (replay). */
  replayOf?: string;
}

/** A change of one obligation or case, seen in the sandbox around a delivery. */
export interface StateChange {
  kind: 'obligation' | 'case';
  /** `<wolkvox_id> <obligation>` or the case's `<idPrefijo>`. */
  key: string;
  before: unknown;
  after: unknown;
}

export type StepBody =
  | { kind: 'answered'; status: number; decision: string; answer: string }
  /** What ingress made of the verified event (the normalized payment or case, as a command). */
  | { kind: 'command'; command: WolkvoxCommand; eventId: string }
  | { kind: 'call'; call: CallRecord }
  | { kind: 'changes'; changes: StateChange[] }
  | { kind: 'parked'; reason: string }
  | { kind: 'queue'; event: string; detail?: Record<string, string | number | boolean> };

export type DeliveryStep = StepBody & { delivery?: string; identity?: string; at?: string };

/** The sink a local mode reports to (see the top of this file). */
export interface DeliverySink {
  recordDelivery(request: DeliveryRequest): string;
  recordStep(step: DeliveryStep): void;
}

/** What the page receives: the request masked, the steps in order. */
export interface DeliveryView {
  id: string;
  at: string;
  provider: string;
  family: string;
  method: string;
  url: string;
  replayOf?: string;
  request: { headers: Record<string, string>; query: string; body: string };
  status?: number;
  decision?: string;
  identities: string[];
  steps: (StepBody & { at: string })[];
}

const current = new AsyncLocalStorage<string>();

/** Runs `work` with `id` as the current delivery of its async flow. */
export function runInDelivery<T>(id: string, work: () => T): T {
  return current.run(id, work);
}

/** Keeps the newest deliveries, enough for a session at the desk. */
const KEEP = 200;

export class Journal extends EventEmitter<{ delivery: [DeliveryView] }> implements DeliverySink {
  readonly #views = new Map<string, DeliveryView>();
  readonly #raw = new Map<string, DeliveryRequest>();
  #seq = 0;

  recordDelivery(request: DeliveryRequest): string {
    this.#seq += 1;
    const id = String(this.#seq);
    const [path = '', query = ''] = request.url.split('?');
    const text = request.body.toString('utf8');
    const view: DeliveryView = {
      id,
      at: new Date().toISOString(),
      provider: request.provider,
      family: request.family,
      method: request.method,
      url: query ? `${path}?${maskParams(query)}` : path,
      ...(request.replayOf ? { replayOf: request.replayOf } : {}),
      request: {
        headers: maskHeaders(request.headers),
        query: maskParams(query),
        body: maskBody(text, request.headers['content-type'] ?? ''),
      },
      identities: [],
      steps: [],
    };
    this.#views.set(id, view);
    this.#raw.set(id, request);
    for (const old of [...this.#views.keys()].slice(0, Math.max(0, this.#views.size - KEEP))) {
      this.#views.delete(old);
      this.#raw.delete(old);
    }
    this.emit('delivery', view);
    return id;
  }

  recordStep(step: DeliveryStep): void {
    const { delivery, identity, at, ...body } = step;
    const view = this.#find(delivery ?? current.getStore(), identity);
    if (!view) return;
    view.steps.push({ ...body, at: at ?? new Date().toISOString() } as StepBody & { at: string });
    if (body.kind === 'answered') {
      view.status = body.status;
      view.decision = body.decision;
    }
    if (body.kind === 'command' && !view.identities.includes(body.command.identity))
      view.identities.push(body.command.identity);
    this.emit('delivery', view);
  }

  #find(id: string | undefined, identity: string | undefined): DeliveryView | undefined {
    if (id !== undefined) return this.#views.get(id);
    if (identity === undefined) return undefined;
    return [...this.#views.values()].reverse().find((view) => view.identities.includes(identity));
  }

  /** Newest first. */
  list(): DeliveryView[] {
    return [...this.#views.values()].reverse();
  }

  /** The request as received, for replay: never sent to the page. */
  raw(id: string): DeliveryRequest | undefined {
    return this.#raw.get(id);
  }
}

/** The answer's decision, as ingress wrote it (a fixed-body provider's JSON is in a header). */
export function decisionOf(status: number, json: string): string {
  try {
    const body = JSON.parse(json) as { status?: unknown; items?: { status?: unknown }[]; error?: unknown };
    if (typeof body.status === 'string' && body.status !== 'accepted') return body.status;
    if (Array.isArray(body.items))
      return body.items.map((item) => String(item.status)).join(', ') || 'accepted';
    if (typeof body.error === 'string') return `refused (${status})`;
  } catch {
    // Not our JSON: the status says it all.
  }
  return status < 300 ? 'accepted' : `refused (${status})`;
}
