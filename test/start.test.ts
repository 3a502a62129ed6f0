import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_SECRETS } from '#lib/local/defaults.ts';
import { signSample } from '#lib/local/sign.ts';
import { startSandbox } from '#lib/sandbox/index.ts';

const START = new URL('../scripts/start.ts', import.meta.url).pathname;
let child: ChildProcess;
let base = '';

/** `npm start` on a free port, from a clean directory: no developer .env changes what it verifies with. */
async function startServer(env: Record<string, string> = {}): Promise<{ child: ChildProcess; base: string }> {
  const started = spawn(process.execPath, [START], {
    cwd: tmpdir(),
    env: { PATH: process.env.PATH ?? '', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  started.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  started.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const deadline = Date.now() + 10_000;
  for (;;) {
    const match = /webhooks on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
    if (match?.[1]) return { child: started, base: match[1] };
    if (started.exitCode !== null || Date.now() > deadline) {
      started.kill('SIGKILL');
      throw new Error(`npm start did not start: ${stdout}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

beforeAll(async () => {
  ({ child, base } = await startServer());
});
afterAll(() => {
  child.kill('SIGKILL');
});

async function post(path: string, body: string, headers: Record<string, string>, at = base) {
  const response = await fetch(`${at}${path}`, { method: 'POST', body, headers });
  // A provider that wants a fixed body (Adyen: [accepted]) gets our JSON in a header.
  const outcome = response.headers.get('x-webhook-outcome');
  const text = outcome ?? (await response.text());
  return {
    status: response.status,
    body: JSON.parse(text) as Record<string, unknown>,
    raw: outcome ? await response.text() : text,
  };
}

async function signed(provider: string, file: string, at = base) {
  // Payment samples (a slug may serve both families: standard).
  const result = signSample(provider, await readFile(file, 'utf8'), LOCAL_SECRETS, new Date(), 'payments');
  const query = new URLSearchParams(result.query ?? {}).toString();
  return post(
    `/webhooks/${result.family}/${provider}${query ? `?${query}` : ''}`,
    result.body,
    result.headers,
    at,
  );
}

describe('npm start', () => {
  it("applies a payment exactly once on the provider's next delivery after its first update got HTTP 500", async () => {
    const sandbox = await startSandbox({ tokens: [LOCAL_SECRETS.WOLKVOX_TOKEN] });
    const own = await startServer({
      WOLKVOX_SERVER: sandbox.url,
      WOLKVOX_OPERATION: sandbox.operation,
    }).catch(async (error: unknown) => {
      await sandbox.close();
      throw error;
    });
    try {
      const sample = 'events/stripe/payment_intent.succeeded.json';
      const before = sandbox.state();
      sandbox.failNext('error500', 1, 'collections/updateObligation.php');
      expect(await signed('stripe', sample, own.base)).toMatchObject({ status: 503 });
      // Stripe's next delivery: the first attempt got its answer, so nothing holds the payment.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await signed('stripe', sample, own.base)).toMatchObject({
        status: 200,
        body: { status: 'applied' },
      });
      expect(await signed('stripe', sample, own.base)).toMatchObject({
        status: 200,
        body: { status: 'skipped', reason: 'already applied' },
      });
      const updates = sandbox.requests().filter((r) => r.endpoint === 'collections/updateObligation.php');
      expect(updates.map((r) => r.status)).toEqual([500, 200]);
      // Counted once: exactly one obligation changed, by the sample's amount.
      const changed = sandbox
        .state()
        .records.flatMap((r) => r.obligations)
        .filter((o) => {
          const was = before.records.flatMap((r) => r.obligations).find((b) => b.id === o.id);
          return was?.total_balance !== o.total_balance;
        });
      expect(changed).toHaveLength(1);
    } finally {
      own.child.kill('SIGKILL');
      await sandbox.close();
    }
  });

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

  it.each([
    ['mercadopago', 'events/mercadopago/payment.updated.approved.json'],
    ['standard', 'events/standard/payment.received.json'],
    ['bold', 'events/bold/SALE_APPROVED.json'],
    ['adyen', 'events/adyen/AUTHORISATION.json'],
    ['paypal', 'events/paypal/PAYMENT.CAPTURE.COMPLETED.json'],
    ['payu', 'events/payu/confirmation.approved.json'],
    ['epayco', 'events/epayco/confirmation.accepted.json'],
  ])('applies a signed, approved %s sample end to end', async (provider, file) => {
    expect(await signed(provider, file)).toMatchObject({ status: 200, body: { status: 'applied' } });
  });

  it.each([
    ['standard', 'events/standard/ticket.resolved.json'],
    ['helpscout', 'events/helpscout/convo.status.closed.json'],
    ['intercom', 'events/intercom/conversation.admin.closed.json'],
    ['servicenow', 'events/servicenow/incident.resolved.json'],
    ['zohodesk', 'events/zohodesk/Ticket_Update.closed.json'],
    ['hubspot', 'events/hubspot/workflow.ticket.closed.json'],
  ])('closes the wolkvox case of a signed %s resolution end to end', async (provider, file) => {
    const result = signSample(provider, await readFile(file, 'utf8'), LOCAL_SECRETS, new Date(), 'tickets');
    expect(await post(`/webhooks/tickets/${provider}`, result.body, result.headers)).toMatchObject({
      status: 200,
      body: { status: 'applied' },
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
