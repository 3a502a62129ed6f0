/**
 * Injected failures: deterministic ones queued with `failNext`, probabilistic ones drawn from a
 * seeded RNG so a flaky-looking run can be replayed exactly, and what each fault looks like on
 * the wire.
 */
import { MESSAGES } from '#lib/wolkvox/vendor.ts';
import { fail, INVENTED_MESSAGES, type Reply } from './envelope.ts';
import type { FaultKind, Faults } from './types.ts';

export const DEFAULT_SEED = 20240901;

export const FAULT_KINDS: readonly FaultKind[] = [
  'error500',
  'timeout',
  'reset',
  'html502',
  'maintenance',
  'tokenLimit',
  'simultaneous',
  'rejected',
];

/** An nginx front end's stock page: what a client sees when PHP behind it is down. */
const NGINX_502 = `<html>
<head><title>502 Bad Gateway</title></head>
<body>
<center><h1>502 Bad Gateway</h1></center>
<hr><center>nginx</center>
</body>
</html>
`;

export type FaultEffect =
  | { kind: 'reply'; reply: Reply }
  | { kind: 'html'; status: number; html: string }
  /** Never answer; the socket stays open until the client gives up or the sandbox closes. */
  | { kind: 'hold' }
  /** Destroy the socket without a byte of response. */
  | { kind: 'reset' };

export function effectOf(kind: FaultKind): FaultEffect {
  switch (kind) {
    case 'error500':
      // Invented: the vendor documents no 5xx body; an envelope-shaped one is the kinder guess.
      return { kind: 'reply', reply: fail(500, INVENTED_MESSAGES.internalError) };
    case 'timeout':
      return { kind: 'hold' };
    case 'reset':
      return { kind: 'reset' };
    case 'html502':
      return { kind: 'html', status: 502, html: NGINX_502 };
    case 'maintenance':
      // The vendor says maintenance answers HTTP 403 but its body is not retrievable (§3.3);
      // this envelope and its text are invented.
      return { kind: 'reply', reply: fail(403, INVENTED_MESSAGES.maintenance) };
    case 'tokenLimit':
      return { kind: 'reply', reply: fail(403, MESSAGES.tokenLimit) };
    case 'simultaneous':
      return { kind: 'reply', reply: fail(403, MESSAGES.simultaneous) };
    case 'rejected':
      // A documented 400 (vendor table): a request wolkvox will never accept, so the worker parks it.
      return { kind: 'reply', reply: fail(400, MESSAGES.parametersRequired) };
  }
}

/** mulberry32: tiny, seedable, good enough to spread faults; not for anything secret. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const RATE_KEYS = ['errorRate', 'timeoutRate', 'resetRate', 'htmlErrorRate'] as const;
const RATE_FAULT: Record<(typeof RATE_KEYS)[number], FaultKind> = {
  errorRate: 'error500',
  timeoutRate: 'timeout',
  resetRate: 'reset',
  htmlErrorRate: 'html502',
};

export function validateFaults(faults: Partial<Faults>): void {
  for (const key of RATE_KEYS) {
    const rate = faults[key];
    if (rate !== undefined && !(Number.isFinite(rate) && rate >= 0 && rate <= 1)) {
      throw new RangeError(`${key} must be a number from 0 to 1, got ${rate}`);
    }
  }
  const latency = faults.latencyMs;
  if (latency !== undefined && !(Number.isFinite(latency) && latency >= 0)) {
    throw new RangeError(`latencyMs must be a number >= 0, got ${latency}`);
  }
  if (faults.maintenance !== undefined && typeof faults.maintenance !== 'boolean') {
    throw new TypeError('maintenance must be a boolean');
  }
  if (faults.down !== undefined && ![false, 'reset', 'timeout', 'html502'].includes(faults.down)) {
    throw new TypeError("down must be false, 'reset', 'timeout' or 'html502'");
  }
}

export class FaultPlan {
  readonly #initial: Faults;
  readonly #seed: number;
  #faults: Faults;
  #queue: Array<{ kind: FaultKind; endpoint: string | undefined }> = [];
  #random: () => number;

  constructor(seed: number, initial: Faults) {
    validateFaults(initial);
    this.#seed = seed;
    this.#initial = { ...initial };
    this.#faults = { ...initial };
    this.#random = seededRandom(seed);
  }

  get latencyMs(): number {
    return this.#faults.latencyMs;
  }

  /** The outage in force, if any (Faults.down). */
  get down(): Faults['down'] {
    return this.#faults.down;
  }

  set(faults: Partial<Faults>): void {
    validateFaults(faults);
    this.#faults = { ...this.#faults, ...faults };
  }

  /** `endpoint` (e.g. `collections/updateObligation.php`): only a request to it takes the fault. */
  failNext(kind: FaultKind, count: number, endpoint?: string): void {
    if (!FAULT_KINDS.includes(kind)) throw new TypeError(`unknown fault kind: ${String(kind)}`);
    if (!Number.isInteger(count) || count < 1)
      throw new RangeError(`count must be a positive integer, got ${count}`);
    for (let i = 0; i < count; i += 1) this.#queue.push({ kind, endpoint });
  }

  /** Back to the options the sandbox started with, RNG included, so a reset run replays identically. */
  reset(): void {
    this.#faults = { ...this.#initial };
    this.#queue = [];
    this.#random = seededRandom(this.#seed);
  }

  /**
   * The fault for the next authenticated request, if any: queued faults first, then
   * maintenance, then one RNG draw against the cumulative rates. The draw happens on every
   * call so the sequence depends only on the request count, not on which rates are set.
   */
  pick(endpoint?: string): FaultKind | undefined {
    const at = this.#queue.findIndex((q) => q.endpoint === undefined || q.endpoint === endpoint);
    const [queued] = at === -1 ? [] : this.#queue.splice(at, 1);
    const draw = this.#random();
    if (queued) return queued.kind;
    if (this.#faults.maintenance) return 'maintenance';
    let threshold = 0;
    for (const key of RATE_KEYS) {
      threshold += this.#faults[key];
      if (draw < threshold) return RATE_FAULT[key];
    }
    return undefined;
  }
}
