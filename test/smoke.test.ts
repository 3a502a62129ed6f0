import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_SECRETS } from '#lib/local/defaults.ts';
import { type LocalRuntime, localContext, startLocal } from '#lib/local/runtime.ts';
import { apiGatewayEvent } from '#lib/local/sign.ts';
import { smokeMain } from '#lib/ops/smoke-cli.ts';
import type { Family } from '#lib/providers/types.ts';
import { type Loopback, startLoopback } from './support/loopback.ts';

// A stand-in for a deployed stage: a loopback HTTP server in front of the real ingress handlers
// (direct dispatch against the sandbox), verifying with the built-in local secrets.
let local: LocalRuntime;
let stage: Loopback;

async function bodyOf(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

beforeAll(async () => {
  local = await startLocal({ env: {}, freshSandbox: true, logLevel: 'SILENT' });
  stage = await startLoopback((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', 'http://stage');
      const [, , family, provider = ''] = url.pathname.split('/');
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers))
        if (typeof value === 'string') headers[name] = value;
      const event = apiGatewayEvent({
        family: family as Family,
        provider,
        body: await bodyOf(request),
        headers,
        query: Object.fromEntries(url.searchParams),
      });
      const handler = family === 'payments' ? local.handlers.paymentReceived : local.handlers.ticketResolved;
      const answer = await handler(event, localContext(`${family}-smoke`));
      response
        .writeHead(answer.statusCode ?? 200, {
          ...(answer.headers as Record<string, string>),
          'apigw-requestid': 'abc123=',
        })
        .end(answer.body ?? '');
    })();
  });
});
afterAll(async () => {
  await stage.close();
  await local.close();
});

async function smoke(argv: string[], env: NodeJS.ProcessEnv) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await smokeMain(argv, {
    env,
    cwd: tmpdir(), // no developer .env: only what the test gives
    fetch,
    out: (line) => out.push(line),
    err: (line) => err.push(line),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const stripe = { STRIPE_WEBHOOK_SECRET: LOCAL_SECRETS.STRIPE_WEBHOOK_SECRET };

describe('npm run smoke', () => {
  it('sends an ignored sample by default: the stage verifies it and nothing changes in wolkvox', async () => {
    local.takeCalls();
    const run = await smoke(['--url', `${stage.url}/`, 'stripe'], stripe);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out).toContain(`POST ${stage.url}/webhooks/payments/stripe`);
    expect(run.out).toContain('(the catalog expects: ignored)');
    expect(run.out).toMatch(/→ 200 .*"ignored"/);
    expect(run.out).toContain('OK: the route answers and the signature verified.');
    expect(run.out).toContain('abc123=');
    expect(local.takeCalls()).toEqual([]);
  });

  it('sends an applied sample with --apply', async () => {
    const run = await smoke(['--url', stage.url, '--apply', 'stripe'], stripe);
    expect(run.code).toBe(0);
    expect(run.out).toContain('(the catalog expects: applied)');
    expect(run.out).toMatch(/→ 200 .*"applied"/);
  });

  it('carries the signed query of a provider that signs one (Mercado Pago)', async () => {
    const run = await smoke(['--url', stage.url, 'mercadopago'], {
      MERCADOPAGO_WEBHOOK_SECRET: LOCAL_SECRETS.MERCADOPAGO_WEBHOOK_SECRET,
      MERCADOPAGO_ACCESS_TOKEN: LOCAL_SECRETS.MERCADOPAGO_ACCESS_TOKEN,
    });
    expect(run.out).toMatch(/webhooks\/payments\/mercadopago\?.*data\.id=/);
    expect(run.code).toBe(0);
  });

  it('explains a 401: the secret differs from the stage', async () => {
    const run = await smoke(['--url', stage.url, 'stripe'], {
      STRIPE_WEBHOOK_SECRET: 'whsec_not_the_stages',
    });
    expect(run.code).toBe(1);
    expect(run.out).toContain('→ 401');
    expect(run.out).toContain("the secret used here differs from stripe's");
  });

  it('refuses to sign without the stage secret, and never falls back to the local ones', async () => {
    const run = await smoke(['--url', stage.url, 'stripe'], {});
    expect(run.code).toBe(2);
    expect(run.err).toContain('Missing STRIPE_WEBHOOK_SECRET');
    expect(run.out).toBe('');
  });

  it('says why it cannot start: usage, unknown provider, no answer', async () => {
    expect((await smoke(['stripe'], stripe)).code).toBe(2);
    expect((await smoke(['--url', stage.url, 'nosuch'], stripe)).err).toContain('no provider "nosuch"');
    const closed = await startLoopback();
    await closed.close();
    const down = await smoke(['--url', closed.url, 'stripe'], stripe);
    expect(down.code).toBe(1);
    expect(down.err).toContain('No answer from');
  });
});
