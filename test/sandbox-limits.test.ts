import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type Sandbox,
  type SandboxOptions,
  SEED_OBLIGATION_IDS,
  SEED_RECORD_IDS,
  startSandbox,
} from '#lib/sandbox/index.ts';
import { API_PREFIX, ENDPOINTS, MESSAGES, type WolkvoxEnvelope } from '#lib/wolkvox/vendor.ts';

const TOKEN = 'sandbox-token';
const QUERY = {
  operation: 'demo',
  wolkvox_id: SEED_RECORD_IDS.carlosRamirez,
  obligation: SEED_OBLIGATION_IDS.carlosLibreInversion,
};

const started: Sandbox[] = [];

async function start(options: SandboxOptions = {}): Promise<Sandbox> {
  const sandbox = await startSandbox(options);
  started.push(sandbox);
  return sandbox;
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.close()));
});

function query(sandbox: Sandbox, token: string = TOKEN, signal?: AbortSignal): Promise<Response> {
  return fetch(`${sandbox.url}${API_PREFIX}${ENDPOINTS.queryObligation}`, {
    method: 'POST',
    headers: { 'wolkvox-token': token, 'content-type': 'application/json' },
    body: JSON.stringify(QUERY),
    ...(signal ? { signal } : {}),
  });
}

async function queryBody(sandbox: Sandbox, token: string = TOKEN): Promise<[number, WolkvoxEnvelope]> {
  const res = await query(sandbox, token);
  return [res.status, (await res.json()) as WolkvoxEnvelope];
}

describe('simultaneous requests per token', () => {
  it('refuses the third concurrent request on one token at once, without taking a slot', async () => {
    const sandbox = await start({ latencyMs: 200 });
    const answers = await Promise.all(
      [0, 1, 2].map(async () => [await queryBody(sandbox), performance.now()] as const),
    );
    const refused = answers.filter(([[status]]) => status === 403);
    expect(refused).toHaveLength(1);
    expect(refused[0]?.[0][1]).toEqual({
      code: 403,
      error: 'FORBIDDEN',
      msg: MESSAGES.simultaneous,
      data: [],
    });
    // "At once": the refusal is answered before either accepted request's 200 ms of latency ends
    // (an order, not a clock reading, so a busy machine cannot fail it).
    const accepted = answers.filter(([[status]]) => status === 200);
    expect(accepted).toHaveLength(2);
    expect(refused[0]?.[1] ?? Infinity).toBeLessThan(Math.min(...accepted.map(([, at]) => at)));

    const label = sandbox.tokenLabel(TOKEN);
    expect(label).not.toContain(TOKEN);
    expect(sandbox.stats()).toMatchObject({
      maxInFlight: { [label]: 2 },
      rejectedSimultaneous: 1,
      requestsTotal: 3,
    });
    expect(sandbox.requests().map((r) => r.inFlightAtStart)).toEqual([0, 1, 2]);

    // Slots are given back once answered.
    expect((await queryBody(sandbox))[0]).toBe(200);
  });

  it('does not share the limit between tokens', async () => {
    const sandbox = await start({ latencyMs: 150, tokens: ['token-a', 'token-b'] });
    const statuses = await Promise.all(
      ['token-a', 'token-a', 'token-b', 'token-b'].map(async (t) => (await query(sandbox, t)).status),
    );
    expect(statuses).toEqual([200, 200, 200, 200]);
    expect(sandbox.stats()).toMatchObject({ maxInFlightOverall: 4, rejectedSimultaneous: 0 });
    expect(Object.values(sandbox.stats().maxInFlight)).toEqual([2, 2]);
  });
});

describe('daily quota', () => {
  it('refuses with TOKEN LIMIT EXCEEDED once used up, until resetQuota()', async () => {
    const sandbox = await start({ dailyQuota: 2 });
    expect((await queryBody(sandbox))[0]).toBe(200);
    expect((await queryBody(sandbox))[0]).toBe(200);
    const [status, body] = await queryBody(sandbox);
    expect(status).toBe(403);
    expect(body.msg).toBe(MESSAGES.tokenLimit);
    expect(sandbox.stats().quotaUsed).toEqual({ [sandbox.tokenLabel(TOKEN)]: 2 });
    sandbox.resetQuota();
    expect((await queryBody(sandbox))[0]).toBe(200);
  });

  it('counts per token and resets at midnight in Bogotá, not UTC', async () => {
    let now = new Date('2025-03-14T10:00:00Z');
    const sandbox = await start({ dailyQuota: 1, tokens: ['token-a', 'token-b'], now: () => now });
    expect((await queryBody(sandbox, 'token-a'))[0]).toBe(200);
    expect((await queryBody(sandbox, 'token-b'))[0]).toBe(200);
    expect((await queryBody(sandbox, 'token-a'))[0]).toBe(403);
    now = new Date('2025-03-15T02:00:00Z'); // 21:00 on the 14th in Bogotá
    expect((await queryBody(sandbox, 'token-a'))[0]).toBe(403);
    now = new Date('2025-03-15T05:00:00Z'); // 00:00 on the 15th in Bogotá
    expect((await queryBody(sandbox, 'token-a'))[0]).toBe(200);
  });
});

describe('tokens', () => {
  it('accepts several tokens and rejects the old one after rotation', async () => {
    const sandbox = await start({ tokens: ['old-token', 'spare-token'] });
    expect((await queryBody(sandbox, 'old-token'))[0]).toBe(200);
    expect((await queryBody(sandbox, 'spare-token'))[0]).toBe(200);
    sandbox.setTokens(['new-token']);
    expect(sandbox.tokens).toEqual(['new-token']);
    const [status, body] = await queryBody(sandbox, 'old-token');
    expect(status).toBe(403);
    expect(body.msg).toBe(MESSAGES.validateToken);
    expect((await queryBody(sandbox, 'new-token'))[0]).toBe(200);
  });
});

describe('faults', () => {
  it.each([
    ['error500', 500, 'INTERNAL SERVER ERROR'],
    ['maintenance', 403, 'MAINTENANCE'],
    ['tokenLimit', 403, MESSAGES.tokenLimit],
    ['simultaneous', 403, MESSAGES.simultaneous],
  ] as const)('failNext(%s) answers %i once, as an envelope', async (kind, status, text) => {
    const sandbox = await start();
    sandbox.failNext(kind);
    const [got, body] = await queryBody(sandbox);
    expect(got).toBe(status);
    expect(body).toMatchObject({ code: status, data: [] });
    expect(body.msg).toContain(text);
    expect(sandbox.requests()[0]?.fault).toBe(kind);
    expect((await queryBody(sandbox))[0]).toBe(200);
  });

  it('failNext(kind, count) hits the next count authenticated requests only', async () => {
    const sandbox = await start();
    sandbox.failNext('error500', 2);
    const unauthenticated = await query(sandbox, 'wrong-token');
    expect(unauthenticated.status).toBe(403);
    const statuses = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await query(sandbox)).status);
    expect(statuses).toEqual([500, 500, 200]);
  });

  it('html502 answers an nginx HTML page', async () => {
    const sandbox = await start();
    sandbox.failNext('html502');
    const res = await query(sandbox);
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toContain('502 Bad Gateway');
  });

  it('reset destroys the connection without an answer', async () => {
    const sandbox = await start();
    sandbox.failNext('reset');
    await expect(query(sandbox)).rejects.toThrow();
    expect(sandbox.requests()[0]).toMatchObject({ status: 0, response: null, fault: 'reset' });
    expect((await queryBody(sandbox))[0]).toBe(200);
  });

  it('timeout never answers, and close() still ends the held socket quickly', async () => {
    const sandbox = await start();
    sandbox.failNext('timeout', 2);
    await expect(query(sandbox, TOKEN, AbortSignal.timeout(100))).rejects.toThrow();
    // A second held request still open when close() runs.
    const pending = query(sandbox).catch((error: unknown) => error);
    await vi.waitFor(() => expect(sandbox.requests().map((r) => r.fault)).toEqual(['timeout', 'timeout']));
    // A held socket would keep close() waiting forever: resolving at all (within the test's
    // timeout) is the property, so no clock reading on a busy machine.
    await sandbox.close();
    expect(await pending).toBeInstanceOf(Error);
  });

  it('maintenance mode refuses every authenticated request until switched off', async () => {
    const sandbox = await start();
    sandbox.setFaults({ maintenance: true });
    expect((await queryBody(sandbox))[0]).toBe(403);
    expect((await queryBody(sandbox))[1].msg).toContain('MAINTENANCE');
    sandbox.setFaults({ maintenance: false });
    expect((await queryBody(sandbox))[0]).toBe(200);
  });

  it('draws rate faults from the seeded RNG: same seed, same sequence after reset()', async () => {
    const sandbox = await start({ seed: 7 });
    const run = async () => {
      sandbox.setFaults({ errorRate: 0.5 });
      const statuses = [];
      for (let i = 0; i < 16; i += 1) statuses.push((await query(sandbox)).status);
      return statuses;
    };
    const first = await run();
    expect(first.filter((s) => s === 500).length).toBeGreaterThan(0);
    expect(first.filter((s) => s === 200).length).toBeGreaterThan(0);
    sandbox.reset();
    expect(await run()).toEqual(first);
  });

  it('adds latency while the request counts as in flight', async () => {
    const sandbox = await start();
    sandbox.setFaults({ latencyMs: 120 });
    const before = performance.now();
    expect((await query(sandbox)).status).toBe(200);
    expect(performance.now() - before).toBeGreaterThanOrEqual(110);
  });

  it('refuses invalid fault settings', async () => {
    const sandbox = await start();
    expect(() => sandbox.setFaults({ errorRate: 2 })).toThrow(RangeError);
    expect(() => sandbox.setFaults({ latencyMs: -1 })).toThrow(RangeError);
    expect(() => sandbox.failNext('error500', 0)).toThrow(RangeError);
  });
});

describe('lifecycle', () => {
  it('binds to 127.0.0.1 on an ephemeral port and closes keep-alive connections', async () => {
    const sandbox = await start();
    expect(sandbox.url).toBe(`http://127.0.0.1:${sandbox.port}`);
    expect(sandbox.port).toBeGreaterThan(0);
    await query(sandbox);
    expect(sandbox.stats().connectionsOpened).toBeGreaterThanOrEqual(1);
    const closing = performance.now();
    await sandbox.close();
    await sandbox.close();
    expect(performance.now() - closing).toBeLessThan(500);
  });

  it('rejects invalid options', async () => {
    await expect(startSandbox({ port: 70000 })).rejects.toThrow(RangeError);
    await expect(startSandbox({ tokens: [] })).rejects.toThrow(TypeError);
    await expect(startSandbox({ dailyQuota: 1.5 })).rejects.toThrow(RangeError);
  });
});
