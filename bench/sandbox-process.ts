/**
 * A wolkvox sandbox in a child process of its own, driven over IPC, so its CPU time never counts
 * as the workers' (bench/tokens.ts runs up to 8 worker containers in the parent): the same pattern
 * as services.ts, for a sandbox with several tokens.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { type Sandbox, startSandbox } from '#lib/sandbox/index.ts';
import type { SandboxOptions } from '#lib/sandbox/types.ts';

type Remote<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
};
type Ops = Pick<Sandbox, 'stats' | 'state' | 'requests' | 'setFaults' | 'clearRequests'> & {
  requestCount(): number;
};
export type SandboxProcess = Remote<Ops> & { url: string; close(): Promise<void> };

type Request = { id: number; op: string; args: unknown[] };
type Reply = { id: number; result?: unknown; error?: string };

export async function startSandboxProcess(options: SandboxOptions): Promise<SandboxProcess> {
  const child: ChildProcess = fork(import.meta.filename, [JSON.stringify(options)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('sandbox process did not start within 30 s')), 30_000);
    child.on('message', (message: Reply | { ready: string }) => {
      if ('ready' in message) {
        clearTimeout(timer);
        resolve(message.ready);
        return;
      }
      const waiter = pending.get(message.id);
      pending.delete(message.id);
      if (message.error !== undefined) waiter?.reject(new Error(message.error));
      else waiter?.resolve(message.result);
    });
    child.once('exit', (code) => {
      const error = new Error(`sandbox process exited (${code})`);
      reject(error);
      for (const waiter of pending.values()) waiter.reject(error);
      pending.clear();
    });
  });
  const call =
    (op: string) =>
    (...args: unknown[]) =>
      new Promise<never>((resolve, reject) => {
        const id = ++nextId;
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        child.send({ id, op, args } satisfies Request);
      });
  return {
    url,
    stats: call('stats'),
    state: call('state'),
    requests: call('requests'),
    requestCount: call('requestCount'),
    setFaults: call('setFaults'),
    clearRequests: call('clearRequests'),
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      await call('close')().catch(() => undefined);
      await exited;
    },
  };
}

async function serve(options: SandboxOptions): Promise<void> {
  const sandbox = await startSandbox(options);
  const ops: Record<string, (...args: never[]) => unknown> = {
    stats: () => sandbox.stats(),
    state: () => sandbox.state(),
    requests: () => sandbox.requests(),
    requestCount: () => sandbox.requests().length,
    setFaults: (partial: Parameters<Sandbox['setFaults']>[0]) => sandbox.setFaults(partial),
    clearRequests: () => sandbox.clearRequests(),
    close: async () => {
      await sandbox.close();
      setImmediate(() => process.exit(0));
    },
  };
  process.on('message', (message: Request) => {
    Promise.resolve()
      .then(() => {
        const op = ops[message.op];
        if (!op) throw new Error(`unknown op ${message.op}`);
        return op(...(message.args as never[]));
      })
      .then(
        (result) => process.send?.({ id: message.id, result } satisfies Reply),
        (error: unknown) => process.send?.({ id: message.id, error: String(error) } satisfies Reply),
      );
  });
  // The parent went away without closing us: do not linger.
  process.on('disconnect', () => process.exit(0));
  process.send?.({ ready: sandbox.url });
}

if (import.meta.main) await serve(JSON.parse(process.argv[2] ?? '{}') as SandboxOptions);
