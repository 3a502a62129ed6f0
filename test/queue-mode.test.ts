// npm start -- --queue: ingress → the SQS FIFO model → the worker's two slots → the DynamoDB ledger
// (dynalite), with sandbox faults injected through the server's /_local routes, and npm run redrive
// and npm run status pointed at it the way its banner says. Plus the sample SQS event of events/sqs/.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '#lib/config.ts';
import { deduplicationId, messageGroupId, queuedMessageSchema } from '#lib/dispatch/message.ts';
import { LOCAL_SECRETS, LOCAL_SETTINGS } from '#lib/local/defaults.ts';
import { localContext } from '#lib/local/runtime.ts';
import { signSample } from '#lib/local/sign.ts';
import { startSandbox } from '#lib/sandbox/index.ts';
import { createEnvStore } from '#lib/secrets/index.ts';
import { createRuntime, wolkvoxSyncHandler } from '#lib/wiring.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const script = (name: string) => `${ROOT}scripts/${name}.ts`;

/** A child process and everything it printed so far. */
function run(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, args, {
    cwd: tmpdir(),
    // A clean environment: no developer .env or AWS profile changes what the tools reach.
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { text: '' };
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output.text += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output.text += chunk));
  return { child, output };
}

let server: ChildProcess;
let printed: { text: string };
let base = '';
let toolEnv: Record<string, string> = {};

/** Waits (polling the output, up to 30 s: a loaded CI machine) for a line matching `pattern` after `from` characters. */
async function line(pattern: RegExp, from = 0): Promise<RegExpExecArray> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const match = pattern.exec(printed.text.slice(from));
    if (match) return match;
    if (server.exitCode !== null || Date.now() > deadline)
      throw new Error(`no ${pattern} in npm start's output:\n${printed.text}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function tool(name: 'redrive' | 'status', args: string[]) {
  const { child, output } = run([script(name), ...args], toolEnv);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, text: output.text };
}

async function control(route: string, body: unknown) {
  const response = await fetch(`${base}/_local/${route}`, { method: 'POST', body: JSON.stringify(body) });
  expect(response.status, await response.clone().text()).toBe(200);
}

async function send(file: string) {
  const signed = signSample(
    'stripe',
    await readFile(`${ROOT}${file}`, 'utf8'),
    LOCAL_SECRETS,
    new Date(),
    'payments',
  );
  const response = await fetch(`${base}/webhooks/payments/stripe`, {
    method: 'POST',
    body: signed.body,
    headers: signed.headers,
  });
  expect(response.status).toBe(200);
  return (await response.json()) as { status: string; identity: string };
}

beforeAll(async () => {
  ({ child: server, output: printed } = run([script('start'), '--queue'], {
    PORT: '0',
    LOCAL_AWS_PORT: '0',
  }));
  base = (await line(/webhooks on (http:\/\/127\.0\.0\.1:\d+)/))[1] ?? '';
  const exports = (await line(/tools: +export (.+)/))[1] ?? '';
  toolEnv = Object.fromEntries(exports.split(' ').map((pair) => pair.split('=') as [string, string]));
}, 60_000);
afterAll(() => {
  server.kill('SIGKILL');
});

// Each step spawns a tool (node start-up, the SDK's): slower than the default 20 s on a loaded machine.
describe('npm start -- --queue', { timeout: 60_000 }, () => {
  it('retries a transient wolkvox failure after its backoff and applies it once', async () => {
    const from = printed.text.length;
    await control('sandbox/fail-next', { kind: 'error500', endpoint: 'collections/updateObligation.php' });
    expect(await send('events/stripe/payment_intent.succeeded.json')).toMatchObject({ status: 'queued' });
    await line(
      /evt_3SWa1fQx7LmN2bKc1Lk9RtYu: queued in group demo%3A65a1f0c2e4b0a1d2c3e4f501%3A6669999%20API/,
      from,
    );
    const retry = await line(
      /evt_3SWa1fQx7LmN2bKc1Lk9RtYu: attempt 1 failed \(transient\): .*HTTP 500.*; retry in (\d+) s/,
      from,
    );
    // The queue's clock, not the test's: the backoff is skipped, not waited for.
    await control('queue/advance', { seconds: Number(retry[1]) });
    await line(/evt_3SWa1fQx7LmN2bKc1Lk9RtYu: attempt 2\n/, from);
    await line(/evt_3SWa1fQx7LmN2bKc1Lk9RtYu: applied to demo:65a1f0c2e4b0a1d2c3e4f501:6669999 API/, from);

    const status = await tool('status', ['--stage', 'local', 'stripe', 'pi_3SWa1fQx7LmN2bKc1HqT4vZp']);
    expect(status.text).toMatch(/stripe:pi_3SWa1fQx7LmN2bKc1HqT4vZp: applied at .*, after 2 attempt\(s\)/);
    expect(status.code).toBe(0);
  });

  it('parks a permanent rejection with its reason; redrive puts it back and it applies', async () => {
    const from = printed.text.length;
    await control('sandbox/fail-next', { kind: 'rejected', endpoint: 'collections/updateObligation.php' });
    await send('events/stripe/invoice.paid.json');
    await line(
      /evt_1SWdF4Qx7LmN2bKcYd2XrF4n: parked: .*HTTP 400, code 400: SOME PARAMETERS ARE REQUIRED/,
      from,
    );

    const parked = await tool('status', ['--stage', 'local', 'stripe', 'pi_3SWdF1Qx7LmN2bKc1Qc7XkVb']);
    expect(parked.text).toMatch(/Parked queue[^\n]*\n.*parked {2}event evt_1SWdF4Qx7LmN2bKcYd2XrF4n/);
    expect(parked.text).toMatch(/reason: .*SOME PARAMETERS ARE REQUIRED\n.*can be redriven/);

    // The fault was one call: it has cleared, so the redriven command applies.
    const redrive = await tool('redrive', ['--stage', 'local', '--reason', 'SOME PARAMETERS']);
    expect(redrive.text).toMatch(/redriven #1 stripe evt_1SWdF4Qx7LmN2bKcYd2XrF4n → work queue/);
    expect(redrive.code).toBe(0);
    await line(/evt_1SWdF4Qx7LmN2bKcYd2XrF4n: applied to demo:65a1f0c2e4b0a1d2c3e4f501:PAG-2024-00123/, from);

    const applied = await tool('status', ['--stage', 'local', 'stripe', 'pi_3SWdF1Qx7LmN2bKc1Qc7XkVb']);
    expect(applied.text).toMatch(/stripe:pi_3SWdF1Qx7LmN2bKc1Qc7XkVb: applied at /);
    expect(applied.text).toMatch(/Parked queue[^\n]*\n {2}nothing for this event/);
  });

  it("shows the worker's journey in the browser console: the retry with its delay, then applied", async () => {
    // The console's live stream starts with every delivery so far, steps included.
    const abort = new AbortController();
    const response = await fetch(`${base}/console/events`, { signal: abort.signal });
    const reader = (response.body as ReadableStream<Uint8Array>)
      .pipeThrough(new TextDecoderStream())
      .getReader();
    let text = '';
    while (!/"event":"applied"[^}]*"record":"demo:65a1f0c2e4b0a1d2c3e4f501:6669999 API"/.test(text)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    abort.abort();
    const payment = text
      .split('\n')
      .find((data) => data.includes('"event":"retry"') && data.includes('pi_3SWa1fQx7LmN2bKc1HqT4vZp'));
    expect(payment).toMatch(/"event":"retry","detail":\{[^}]*"kind":"transient"[^}]*"retryInSeconds":\d+/);
    expect(payment).toMatch(/"event":"applied"/);
    // The worker applied it after the answer: the balance's before → after comes with it.
    expect(payment).toMatch(
      /"kind":"changes","changes":\[\{"kind":"obligation","key":"65a1f0c2e4b0a1d2c3e4f501 6669999 API"/,
    );
  });

  it('refuses a fault it does not know, naming the kinds', async () => {
    const response = await fetch(`${base}/_local/sandbox/fail-next`, {
      method: 'POST',
      body: JSON.stringify({ kind: 'meteor' }),
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('error500');
  });
});

describe('events/sqs', () => {
  it('carries a real queued command the worker handler applies (osls invoke local -f wolkvoxSync)', async () => {
    const event = JSON.parse(
      await readFile(`${ROOT}events/sqs/stripe.payment_intent.succeeded.json`, 'utf8'),
    ) as SQSEvent;
    const [record] = event.Records;
    const message = queuedMessageSchema.parse(JSON.parse(record?.body ?? ''));
    // As ingress would have sent it.
    expect(record?.attributes.MessageGroupId).toBe(messageGroupId(message.command));
    expect(record?.attributes.MessageDeduplicationId).toBe(deduplicationId(message.command.identity));

    const sandbox = await startSandbox({ tokens: [LOCAL_SECRETS.WOLKVOX_TOKEN] });
    try {
      // --stage local: direct dispatch, the ledger in memory, secrets from the environment.
      const config = loadConfig({
        ...LOCAL_SETTINGS,
        WOLKVOX_SERVER: sandbox.url,
        WOLKVOX_OPERATION: sandbox.operation,
        DISPATCH: 'direct',
      });
      const runtime = createRuntime(config, {
        secrets: createEnvStore({ env: { ...LOCAL_SECRETS } }),
        logLevel: 'SILENT',
      });
      const answer = await wolkvoxSyncHandler(runtime)(event, localContext('wolkvoxSync'));
      expect(answer).toEqual({ batchItemFailures: [] });
      const updates = sandbox.requests().filter((r) => r.endpoint === 'collections/updateObligation.php');
      expect(updates.map((r) => r.status)).toEqual([200]);
    } finally {
      await sandbox.close();
    }
  });
});
