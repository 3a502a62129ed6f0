// lib/xray-context.ts against cls-hooked itself: every scenario runs on both, and what each
// observes must be the same. The scenarios are the calls the X-Ray SDK and Powertools' Tracer make
// (context_utils.js, env/aws_lambda.js, capture.js, lib/tracing.ts), and the async boundaries a
// Lambda invocation crosses between them.
import { createRequire } from 'node:module';
import { setImmediate as immediate, setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import * as ours from '#lib/xray-context.ts';

type Module = Pick<typeof ours, 'createNamespace' | 'getNamespace' | 'destroyNamespace' | 'ERROR_SYMBOL'>;
type Namespace = ours.Namespace;

const clsHooked = createRequire(import.meta.url)('cls-hooked/context') as Module;
const IMPLEMENTATIONS = { 'cls-hooked': clsHooked, 'lib/xray-context.ts': ours as Module };

let unique = 0;
/** Runs `scenario` on each implementation, in a namespace of its own; answers what each observed. */
async function observe(scenario: (ns: Namespace, seen: unknown[], cls: Module) => Promise<void> | void) {
  const results: Record<string, unknown[]> = {};
  for (const [name, cls] of Object.entries(IMPLEMENTATIONS)) {
    const ns = cls.createNamespace(`xray-context-test-${unique++}`);
    const seen: unknown[] = [];
    try {
      await scenario(ns, seen, cls);
    } catch (error) {
      seen.push(`threw: ${(error as Error).message.split('\n')[0]}`);
    }
    results[name] = seen;
  }
  return results;
}

const same = (results: Record<string, unknown[]>) => {
  expect(results['lib/xray-context.ts']).toEqual(results['cls-hooked']);
  return results['cls-hooked'];
};

describe('X-Ray context over AsyncLocalStorage (lib/xray-context.ts) behaves as cls-hooked', () => {
  it("Lambda mode: a context entered while the SDK loads, inside a callback, is every later callback's", async () => {
    const seen = same(
      await observe(async (ns, seen) => {
        const before = sleep(5).then(() => seen.push(['timer made before', ns.get('segment')]));
        seen.push(['no context yet', ns.get('segment')]);
        // env/aws_lambda.js: the SDK is loaded from a dynamic import, i.e. inside a promise job.
        await immediate().then(() => {
          ns.enter(ns.createContext());
          ns.set('segment', 'facade');
        });
        seen.push(['after the loading callback', ns.get('segment')]);
        await before;
        setTimeout(() => seen.push(['a later timer', ns.get('segment')]), 0);
        await sleep(5);
      }),
    );
    expect(seen).toEqual([
      ['no context yet', undefined],
      ['after the loading callback', 'facade'],
      ['timer made before', 'facade'],
      ['a later timer', 'facade'],
    ]);
  });

  it("lib/tracing.ts's within(): set() on the shared context is seen by every continuation, then restored", async () => {
    const seen = same(
      await observe(async (ns, seen) => {
        await immediate().then(() => {
          ns.enter(ns.createContext());
          ns.set('segment', 'facade');
        });
        // An invocation: the handler's subsegment made current, an SDK call awaiting, then restored.
        const invocation = async () => {
          const parent = ns.get('segment');
          ns.set('segment', 'handler');
          const call = immediate().then(() => ns.get('segment'));
          const fetchLike = new Promise((resolve) => setTimeout(() => resolve(ns.get('segment')), 1));
          seen.push(['calls see', await call, await fetchLike]);
          ns.set('segment', parent);
        };
        await invocation();
        seen.push(['between invocations', ns.get('segment')]);
        await invocation();
      }),
    );
    expect(seen).toEqual([
      ['calls see', 'handler', 'handler'],
      ['between invocations', 'facade'],
      ['calls see', 'handler', 'handler'],
    ]);
  });

  it("capture.js's captureAsyncFunc: run() gives a call and what it starts a context of its own", async () => {
    const seen = same(
      await observe(async (ns, seen) => {
        ns.enter(ns.createContext());
        ns.set('segment', 'handler');
        const running: Promise<unknown>[] = [];
        for (const name of ['first', 'second']) {
          ns.run(() => {
            ns.set('segment', name);
            running.push(
              (async () => {
                await immediate();
                const inner = ns.get('segment');
                await sleep(1);
                return [name, inner, ns.get('segment')];
              })(),
            );
          });
        }
        seen.push(['outside', ns.get('segment')], ...(await Promise.all(running)));
      }),
    );
    expect(seen).toEqual([
      ['outside', 'handler'],
      ['first', 'first', 'first'],
      ['second', 'second', 'second'],
    ]);
  });

  it('a new context inherits what is current, and hides it only where it sets its own', async () => {
    same(
      await observe((ns, seen) => {
        ns.enter(ns.createContext());
        ns.set('segment', 'outer');
        ns.set('user', 'kept');
        ns.run(() => {
          ns.set('segment', 'inner');
          seen.push([ns.get('segment'), ns.get('user')]);
          ns.run(() => seen.push([ns.get('segment'), ns.get('user')]));
        });
        seen.push(ns.get('segment'));
      }),
    );
  });

  it('bind() runs a function in the context current when bound, or the one given', async () => {
    same(
      await observe(async (ns, seen) => {
        ns.enter(ns.createContext());
        ns.set('segment', 'root');
        let bound: () => unknown = () => undefined;
        let given: () => unknown = () => undefined;
        ns.run((context) => {
          ns.set('segment', 'bound here');
          bound = ns.bind(() => ns.get('segment'));
          given = ns.bind(() => ns.get('segment'), context);
        });
        await immediate();
        seen.push(bound(), given(), ns.get('segment'));
        // A method keeps its receiver.
        const receiver = {
          name: 'receiver',
          read: ns.bind(function (this: { name: string }) {
            return this.name;
          }),
        };
        seen.push(receiver.read());
      }),
    );
  });

  it('marks an error thrown inside run() or bind() with its context, and rethrows it', async () => {
    same(
      await observe((ns, seen, cls) => {
        ns.enter(ns.createContext());
        try {
          ns.run(() => {
            ns.set('segment', 'failing');
            throw new Error('boom');
          });
        } catch (error) {
          seen.push(
            (error as Error).message,
            (error as Record<string, { segment: string }>)[cls.ERROR_SYMBOL]?.segment,
          );
        }
        seen.push(ns.get('segment'));
      }),
    );
  });

  it('get() without any context answers undefined; set() throws; so does entering nothing', async () => {
    const seen = same(
      await observe((ns, seen) => {
        seen.push(ns.get('segment'));
        try {
          ns.set('segment', 'nowhere');
        } catch (error) {
          seen.push((error as Error).message);
        }
        ns.enter(undefined as never);
      }),
    );
    expect(seen).toEqual([
      undefined,
      'No context available. ns.run() or ns.bind() must be called first.',
      'threw: context must be provided for entering',
    ]);
  });

  it('enter() and exit() inside a context: the entered one is current until exited', async () => {
    same(
      await observe(async (ns, seen) => {
        ns.enter(ns.createContext());
        ns.set('segment', 'root');
        await new Promise<void>((resolve) =>
          ns.run(() => {
            const context = ns.createContext();
            ns.enter(context);
            ns.set('segment', 'entered');
            seen.push(ns.get('segment'));
            ns.exit(context);
            seen.push(ns.get('segment'));
            resolve();
          }),
        );
        seen.push(ns.get('segment'));
      }),
    );
  });

  it('namespaces by name: getNamespace finds one, destroyNamespace forgets it', async () => {
    same(
      await observe((ns, seen, cls) => {
        seen.push(cls.getNamespace(ns.name) === ns);
        cls.destroyNamespace(ns.name);
        seen.push(cls.getNamespace(ns.name));
      }),
    );
  });
});
