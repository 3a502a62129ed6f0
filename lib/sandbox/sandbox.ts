/**
 * `startSandbox`: wires the store, limits and faults into a node:http server on loopback and
 * hands back the control surface tests and the demo drive it with.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FaultPlan } from './faults.ts';
import { resolveOptions, validateTokens } from './options.ts';
import { DailyQuota } from './quota.ts';
import { createRequestHandler } from './server.ts';
import { Store } from './store.ts';
import { Traffic } from './traffic.ts';
import type { FaultKind, RecordedRequest, Sandbox, SandboxOptions, SandboxStats } from './types.ts';

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const config = resolveOptions(options);
  const store = new Store(config.operation, config.module, config.now);
  const traffic = new Traffic();
  const quota = new DailyQuota(config.dailyQuota, config.now);
  const faults = new FaultPlan(config.seed, {
    latencyMs: config.latencyMs,
    errorRate: 0,
    timeoutRate: 0,
    resetRate: 0,
    htmlErrorRate: 0,
    maintenance: false,
    down: false,
  });
  const initialTokens: readonly string[] = Object.freeze([...config.tokens]);
  let tokens = initialTokens;
  let recorded: RecordedRequest[] = [];
  let seq = 0;
  const shutdown = new AbortController();

  const server = createServer(
    createRequestHandler({
      store,
      traffic,
      quota,
      faults,
      isValidToken: (token) => tokens.includes(token),
      nextSeq: () => {
        seq += 1;
        return seq;
      },
      record: (request) => {
        recorded.push(request);
        config.onRequest?.(request);
      },
      shutdown: shutdown.signal,
    }),
  );
  server.on('connection', () => {
    traffic.stats.connectionsOpened += 1;
  });
  const address = await listen(server, config.port, config.host);
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      shutdown.abort();
      server.close(() => resolve());
      // Idle keep-alive sockets and requests held by the 'timeout' fault would keep close() waiting.
      server.closeAllConnections();
    });
    return closing;
  };

  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    operation: config.operation,
    get tokens() {
      return tokens;
    },
    close,
    setFaults: (partial) => faults.set(partial),
    failNext: (kind: FaultKind, count = 1, endpoint?: string) => faults.failNext(kind, count, endpoint),
    setTokens: (next) => {
      tokens = Object.freeze(validateTokens(next));
    },
    resetQuota: () => quota.reset(),
    // Completion order can differ from arrival order; seq is arrival order.
    requests: () => [...recorded].sort((a, b) => a.seq - b.seq),
    clearRequests: () => {
      recorded = [];
    },
    state: () => store.snapshot(),
    reset: () => {
      store.reset();
      recorded = [];
      traffic.resetStats();
      faults.reset();
      quota.reset();
      tokens = initialTokens;
    },
    stats: (): SandboxStats => {
      const quotaUsed: Record<string, number> = {};
      for (const [token, used] of quota.usedToday()) quotaUsed[traffic.label(token)] = used;
      const { maxInFlight, ...counters } = traffic.stats;
      return { ...counters, maxInFlight: Object.fromEntries(maxInFlight), quotaUsed };
    },
    tokenLabel: (token) => traffic.label(token),
  };
}
