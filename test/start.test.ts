import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_SECRETS } from '#lib/local/defaults.ts';
import { signSample } from '#lib/local/sign.ts';

const START = new URL('../scripts/start.ts', import.meta.url).pathname;
let child: ChildProcess;
let base = '';

beforeAll(async () => {
  // A clean directory: no developer .env changes what this server verifies with.
  child = spawn(process.execPath, [START], {
    cwd: tmpdir(),
    env: { PATH: process.env.PATH ?? '', PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const deadline = Date.now() + 10_000;
  for (;;) {
    const match = /webhooks on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
    if (match?.[1]) {
      base = match[1];
      break;
    }
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`npm start did not start: ${stdout}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
});
afterAll(() => {
  child.kill('SIGKILL');
});

async function post(path: string, body: string, headers: Record<string, string>) {
  const response = await fetch(`${base}${path}`, { method: 'POST', body, headers });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function signed(provider: string, file: string) {
  const result = signSample(provider as 'stripe', await readFile(file, 'utf8'), LOCAL_SECRETS);
  return post(`/webhooks/${result.family}/${provider}`, result.body, result.headers);
}

describe('npm start', () => {
  it('applies a signed Stripe payment and a Wompi payment confirmed with the local fake of its API', async () => {
    expect(await signed('stripe', 'events/stripe/payment_intent.succeeded.json')).toMatchObject({
      status: 200,
      body: { status: 'applied' },
    });
    expect(await signed('wompi', 'events/wompi/transaction.updated.approved.json')).toMatchObject({
      status: 200,
      body: { status: 'applied', overpaidBy: '50000' },
    });
  });

  it('answers 413 to a body declared over 256 KiB at once, without reading the rest (200 MiB announced)', async () => {
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const upload = request(`${base}/webhooks/payments/stripe`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': String(200 * 1024 * 1024) },
      });
      upload.on('response', (response) => {
        let body = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      });
      upload.on('error', reject);
      // Only 64 KiB of the announced 200 MiB is ever sent: the answer must not wait for the rest.
      upload.write(Buffer.alloc(64 * 1024, 'a'));
    });
    expect(answer).toEqual({ status: 413, body: '{"error":"body over 256 KiB"}' });
  });

  it('stops reading a chunked body at the cap and answers 413', async () => {
    const answer = await new Promise<number>((resolve, reject) => {
      const upload = request(`${base}/webhooks/payments/stripe`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      });
      upload.on('response', (response) => resolve(response.statusCode ?? 0));
      upload.on('error', reject);
      const chunk = Buffer.alloc(64 * 1024, 'a');
      for (let i = 0; i < 5; i++) upload.write(chunk); // 320 KiB, and the request never ends
    });
    expect(answer).toBe(413);
  });
});
