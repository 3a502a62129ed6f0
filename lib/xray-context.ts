import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * cls-hooked's `context` module — what the X-Ray SDK keeps the current segment in — written over
 * AsyncLocalStorage. The bundles load this in its place (scripts/build.ts, xrayContextOnStorage).
 *
 * Why: cls-hooked follows every async resource through an async hook (init, before, after and a
 * destroy hook that V8 must track per promise). From the moment the tracer loads, every promise
 * of the process pays for it: Node's ES module loader, the AWS SDK's middleware stack, our own
 * code. The bench measured that as most of what tracing adds to a cold start, and microseconds per
 * warm event. On Node 24, AsyncLocalStorage rides on V8's continuation-preserved embedder data
 * (AsyncContextFrame): a promise carries its context at no cost until it is read.
 *
 * The behaviour is cls-hooked's, as far as the X-Ray SDK and Powertools' Tracer use it (every
 * call they make is in test/xray-context.test.ts, run against cls-hooked itself as the oracle):
 * - a context entered outside any other becomes the context of everything after it, wherever it
 *   was entered from — the SDK's Lambda mode enters the facade segment's context once, while it
 *   loads, and relies on this;
 * - run() and bind() make a context current for a call and whatever it starts;
 * - get() and set() read and write the current context, which every continuation started from it
 *   shares (set() mutates, it does not fork).
 * Only what the SDK calls is here (getNamespace, createNamespace, destroyNamespace; get, set,
 * createContext, run, bind, enter, exit): not runAndReturn, runPromise or bindEmitter.
 */

type Context = Record<PropertyKey, unknown>;
type Fn<R> = (context: Context) => R;

export const ERROR_SYMBOL = 'error@context';

export class Namespace {
  readonly name: string;
  readonly #storage = new AsyncLocalStorage<Context>();
  /** A context entered outside any other: cls-hooked's `active` that no async hook ever exits. */
  #root: Context | null = null;
  /** What enter() replaced, for exit(): cls-hooked's `_set`. */
  readonly #entered: { context: Context; previous: Context | undefined }[] = [];

  constructor(name: string) {
    this.name = name;
  }

  get active(): Context | null {
    return this.#storage.getStore() ?? this.#root;
  }

  set<T>(key: PropertyKey, value: T): T {
    const active = this.active;
    if (!active) throw new Error('No context available. ns.run() or ns.bind() must be called first.');
    active[key] = value;
    return value;
  }

  get(key: PropertyKey): unknown {
    return this.active?.[key];
  }

  createContext(): Context {
    const context = Object.create(this.active ?? Object.prototype) as Context;
    context._ns_name = this.name;
    return context;
  }

  run(fn: Fn<unknown>): Context {
    const context = this.createContext();
    this.#storage.run(context, () => {
      try {
        fn(context);
      } catch (error) {
        throw markError(error, context);
      }
    });
    return context;
  }

  bind<T, A extends unknown[], R>(fn: (this: T, ...args: A) => R, context?: Context) {
    const bound = context ?? this.active ?? this.createContext();
    const storage = this.#storage;
    return function clsBind(this: T, ...args: A): R {
      return storage.run(bound, () => {
        try {
          return fn.apply(this, args);
        } catch (error) {
          throw markError(error, bound);
        }
      });
    };
  }

  enter(context: Context): void {
    if (!context) throw new Error('context must be provided for entering');
    const previous = this.#storage.getStore();
    if (previous === undefined && this.#entered.length === 0) {
      this.#root = context;
      return;
    }
    this.#entered.push({ context, previous });
    this.#storage.enterWith(context);
  }

  exit(context: Context): void {
    if (!context) throw new Error('context must be provided for exiting');
    const index = this.#entered.findLastIndex((entry) => entry.context === context);
    if (index >= 0) {
      const entry = this.#entered.splice(index, 1)[0];
      // Back to what was current before it (undefined: the root again).
      if (entry && this.#storage.getStore() === context) this.#storage.enterWith(entry.previous as Context);
      return;
    }
    if (this.#root !== context) throw new Error("context not currently entered; can't exit");
    throw new Error("can't remove top context");
  }
}

function markError(error: unknown, context: Context): unknown {
  if (error && typeof error === 'object') (error as Record<string, unknown>)[ERROR_SYMBOL] = context;
  return error;
}

// cls-hooked keeps them in process.namespaces, where a destroyed one reads as null.
const namespaces = new Map<string, Namespace | null>();

export function getNamespace(name: string): Namespace | null | undefined {
  return namespaces.get(name);
}

export function createNamespace(name: string): Namespace {
  if (!name) throw new Error('namespace must be given a name.');
  const namespace = new Namespace(name);
  namespaces.set(name, namespace);
  return namespace;
}

export function destroyNamespace(name: string): void {
  namespaces.set(name, null);
}
