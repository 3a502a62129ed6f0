import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { SEED_OBLIGATION_IDS, SEED_RECORD_IDS } from '#lib/sandbox/index.ts';
import { API_PREFIX, ENDPOINTS } from '#lib/wolkvox/vendor.ts';

const MAIN = new URL('../lib/sandbox/main.ts', import.meta.url).pathname;

const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

function run(env: Record<string, string>) {
  // process.execPath is the Node 24 running vitest, so .ts files run natively as under `npm run sandbox`.
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const waitFor = async (pattern: RegExp): Promise<RegExpExecArray> => {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const match = pattern.exec(stdout);
      if (match) return match;
      if (child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`no ${pattern} in output; stdout: ${stdout} stderr: ${stderr}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  return { child, waitFor, output: () => ({ stdout, stderr }) };
}

describe('node lib/sandbox/main.ts', () => {
  it('prints its URL, answers, logs each request and exits 0 on SIGTERM', async () => {
    const cli = run({ SANDBOX_PORT: '0', SANDBOX_TOKEN: 'cli-token' });
    const [, url] = await cli.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
    // The banner may arrive in several chunks: wait for its last line before reading it.
    await cli.waitFor(/try: curl .*\n/);
    expect(cli.output().stdout).toContain('cli-token');
    expect(cli.output().stdout).toContain(`curl -s -X POST ${url}${API_PREFIX}${ENDPOINTS.queryObligation}`);

    const res = await fetch(`${url}${API_PREFIX}${ENDPOINTS.queryObligation}`, {
      method: 'POST',
      headers: { 'wolkvox-token': 'cli-token', 'content-type': 'application/json' },
      body: JSON.stringify({
        operation: 'demo',
        wolkvox_id: SEED_RECORD_IDS.mariaLopez,
        obligation: SEED_OBLIGATION_IDS.mariaTarjeta,
      }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ code: '200', msg: '1 records were are found' });
    await cli.waitFor(/POST collections\/queryObligation\.php 200 \d+ms/);

    cli.child.kill('SIGTERM');
    const [code] = await once(cli.child, 'exit');
    expect(code).toBe(0);
  });

  it('exits 1 naming every bad setting', async () => {
    const cli = run({ SANDBOX_PORT: 'eighty', SANDBOX_LATENCY_MS: '-5' });
    const [code] = await once(cli.child, 'exit');
    expect(code).toBe(1);
    expect(cli.output().stderr).toContain('SANDBOX_PORT');
    expect(cli.output().stderr).toContain('SANDBOX_LATENCY_MS');
  });
});
