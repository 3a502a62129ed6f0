// token/tokenInformation.php as the reference describes it (§3.2), and the client's reading of it.
import { afterEach, describe, expect, it } from 'vitest';
import { type Sandbox, type SandboxOptions, startSandbox } from '#lib/sandbox/index.ts';
import { createWolkvoxClient } from '#lib/wolkvox/client.ts';
import { API_PREFIX, ENDPOINTS, MESSAGES, type WolkvoxEnvelope } from '#lib/wolkvox/vendor.ts';

const TOKEN = 'sandbox-token';
const started: Sandbox[] = [];

async function start(options: SandboxOptions = {}): Promise<Sandbox> {
  const sandbox = await startSandbox(options);
  started.push(sandbox);
  return sandbox;
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.close()));
});

async function information(
  sandbox: Sandbox,
  { method = 'GET', query = '?operation=demo' } = {},
): Promise<[number, WolkvoxEnvelope]> {
  const res = await fetch(`${sandbox.url}${API_PREFIX}${ENDPOINTS.tokenInformation}${query}`, {
    method,
    headers: { 'wolkvox-token': TOKEN, 'content-type': 'application/json' },
  });
  return [res.status, (await res.json()) as WolkvoxEnvelope];
}

describe('token information', () => {
  it('answers GET ?operation= with the day’s limit and use, this call counted, in the vendor’s shape', async () => {
    // 14:30 in Bogotá (UTC−5): 9.5 hours to midnight, shown as 10.
    const sandbox = await start({ dailyQuota: 4800, now: () => new Date('2026-11-30T19:30:00Z') });
    const [status, body] = await information(sandbox);

    expect(status).toBe(200);
    expect(body).toEqual({
      code: '200',
      error: 'null',
      msg: MESSAGES.found(1),
      data: {
        description: expect.any(String),
        token_limit: 4800,
        token_use_today: 1,
        available_consumition_options: 4799,
        hours_to_restart_count: 10,
      },
    });
    const [, again] = await information(sandbox);
    expect(again.data).toMatchObject({ token_use_today: 2, available_consumition_options: 4798 });
    expect(sandbox.stats().quotaUsed[sandbox.tokenLabel(TOKEN)]).toBe(2);
  });

  it('refuses POST (405, Allow: GET), a missing operation (400) and another operation (403)', async () => {
    const sandbox = await start();
    expect((await information(sandbox, { method: 'POST' }))[0]).toBe(405);
    expect(await information(sandbox, { query: '' })).toMatchObject([
      400,
      { msg: MESSAGES.parametersRequired },
    ]);
    expect(await information(sandbox, { query: '?operation=other' })).toMatchObject([
      403,
      { msg: MESSAGES.validateToken },
    ]);
  });

  it('is refused like any call once the quota is spent', async () => {
    const sandbox = await start({ dailyQuota: 1 });
    expect((await information(sandbox))[0]).toBe(200);
    expect(await information(sandbox)).toMatchObject([403, { msg: MESSAGES.tokenLimit }]);
  });

  it('the client reads it as numbers (GET, no body)', async () => {
    const sandbox = await start({ dailyQuota: 100, now: () => new Date('2026-11-30T19:30:00Z') });
    const client = createWolkvoxClient({
      baseUrl: `${sandbox.url}${API_PREFIX}`,
      operation: 'demo',
      token: { get: async () => TOKEN },
    });
    expect(await client.tokenInformation()).toEqual({
      limit: 100,
      usedToday: 1,
      remaining: 99,
      hoursToRestart: 10,
    });
    expect(sandbox.requests()[0]).toMatchObject({ method: 'GET', endpoint: ENDPOINTS.tokenInformation });
  });
});
