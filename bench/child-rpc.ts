/**
 * Bench services in a child process of their own, driven over IPC, so their CPU time never counts
 * as the measured functions' (services.ts: the sandbox and the AWS fakes; sandbox-process.ts: a
 * sandbox with several tokens). `forkServer` is the parent's side, `serveOps` the child's.
 */
import { type ChildProcess, fork } from 'node:child_process';

type Request = { id: number; op: string; args: unknown[] };
type Reply = { id: number; result?: unknown; error?: string };

export interface ChildServer<R> {
  /** What the child sent once it listened. */
  ready: R;
  call<T>(op: string, ...args: unknown[]): Promise<T>;
  /** Asks the child to close (its `close` op) and waits until it has exited. */
  close(): Promise<void>;
}

/** Forks `file` with `args` and waits (30 s at most) until it reports ready. */
export async function forkServer<R>(file: string, args: string[], name: string): Promise<ChildServer<R>> {
  const child: ChildProcess = fork(file, args, {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  const ready = await new Promise<R>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within 30 s`)), 30_000);
    child.on('message', (message: Reply | { ready: R }) => {
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
      const error = new Error(`${name} exited (${code})`);
      clearTimeout(timer);
      reject(error);
      for (const waiter of pending.values()) waiter.reject(error);
      pending.clear();
    });
  });
  const call = <T>(op: string, ...callArgs: unknown[]): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = ++nextId;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ id, op, args: callArgs } satisfies Request);
    });
  return {
    ready,
    call,
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      await call('close').catch(() => undefined);
      await exited;
    },
  };
}

/**
 * The child's side: answers each op by name, then reports `ready`. A `close` op should exit the
 * process once it has answered; a parent that goes away without closing ends it too.
 */
export function serveOps(ops: Record<string, (...args: never[]) => unknown>, ready: unknown): void {
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
  process.on('disconnect', () => process.exit(0));
  process.send?.({ ready });
}
