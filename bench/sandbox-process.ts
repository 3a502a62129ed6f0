/**
 * A wolkvox sandbox in a child process of its own, driven over IPC, so its CPU time never counts
 * as the workers' (bench/tokens.ts runs up to 8 worker containers in the parent): the same pattern
 * as services.ts, for a sandbox with several tokens.
 */
import { type Sandbox, startSandbox } from '#lib/sandbox/index.ts';
import type { SandboxOptions } from '#lib/sandbox/types.ts';
import { forkServer, serveOps } from './child-rpc.ts';

type Remote<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
};
type Ops = Pick<Sandbox, 'stats' | 'state' | 'requests' | 'setFaults' | 'clearRequests'> & {
  requestCount(): number;
};
export type SandboxProcess = Remote<Ops> & { url: string; close(): Promise<void> };

export async function startSandboxProcess(options: SandboxOptions): Promise<SandboxProcess> {
  const server = await forkServer<string>(import.meta.filename, [JSON.stringify(options)], 'sandbox process');
  const call =
    (op: string) =>
    (...args: unknown[]) =>
      server.call<never>(op, ...args);
  return {
    url: server.ready,
    stats: call('stats'),
    state: call('state'),
    requests: call('requests'),
    requestCount: call('requestCount'),
    setFaults: call('setFaults'),
    clearRequests: call('clearRequests'),
    close: server.close,
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
  serveOps(ops, sandbox.url);
}

if (import.meta.main) await serve(JSON.parse(process.argv[2] ?? '{}') as SandboxOptions);
