import { createHash } from 'node:crypto';

/**
 * A FIFO counting semaphore: wolkvox rejects a third in-flight request per token, so extra
 * calls wait their turn here instead of being sent (and rejected, and retried).
 */
export class Semaphore {
  readonly #limit: number;
  #active = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(limit: number) {
    this.#limit = limit;
  }

  get active(): number {
    return this.#active;
  }

  get queued(): number {
    return this.#waiting.length;
  }

  /** Resolves with a release function once a slot is free; rejects if `signal` aborts first. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#active < this.#limit) {
      this.#active++;
      return Promise.resolve(this.#releaser());
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        this.#active++;
        resolve(this.#releaser());
      };
      const onAbort = () => {
        const index = this.#waiting.indexOf(grant);
        if (index >= 0) this.#waiting.splice(index, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(grant);
    });
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#active--;
      this.#waiting.shift()?.();
    };
  }
}

/**
 * The slots of each token, for one client (one per container): at most `limit` requests in flight
 * per token. Keyed by a digest, so the map never holds the token.
 */
export function tokenSlots(limit: number): (token: string) => Semaphore {
  const perToken = new Map<string, Semaphore>();
  return (token) => {
    const key = createHash('sha256').update(token).digest('base64url');
    let semaphore = perToken.get(key);
    if (!semaphore) {
      semaphore = new Semaphore(limit);
      perToken.set(key, semaphore);
    }
    return semaphore;
  };
}
