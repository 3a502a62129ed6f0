// The browser console's guards: what it shows of a request, and who it answers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { Journal, runInDelivery } from '#lib/local/console/journal.ts';
import { MASK, maskBody, maskHeaders, maskParams } from '#lib/local/console/mask.ts';
import { consoleRoutes, isLoopback } from '#lib/local/console/routes.ts';
import type { LocalRuntime } from '#lib/local/runtime.ts';

describe('masking', () => {
  it('masks signatures, tokens and authorization in headers, keeping the other values', () => {
    expect(
      maskHeaders({
        'stripe-signature': 't=1,v1=abc',
        authorization: 'Bearer xyz',
        'x-zendesk-webhook-signature': 'sig',
        'x-event-checksum': 'c',
        'x-api-key': 'k',
        'content-type': 'application/json',
        'user-agent': 'Stripe/1.0',
      }),
    ).toEqual({
      'stripe-signature': MASK,
      authorization: MASK,
      'x-zendesk-webhook-signature': MASK,
      'x-event-checksum': MASK,
      'x-api-key': MASK,
      'content-type': 'application/json',
      'user-agent': 'Stripe/1.0',
    });
  });

  it('masks secret query parameters and form fields, and secret JSON fields at any depth', () => {
    expect(maskParams('data.id=123&token=s3cret&x_signature=ff')).toBe(
      `data.id=123&token=${encodeURIComponent(MASK)}&x_signature=${encodeURIComponent(MASK)}`,
    );
    const form = maskBody('x_ref_payco=1&x_signature=ff', 'application/x-www-form-urlencoded');
    expect(form).not.toContain('ff');
    const json = JSON.parse(
      maskBody(
        JSON.stringify({
          data: { id: 1 },
          signature: { checksum: 'ab', properties: [] },
          items: [{ token: 't' }],
        }),
        'application/json',
      ),
    ) as unknown;
    expect(json).toEqual({ data: { id: 1 }, signature: MASK, items: [{ token: MASK }] });
  });

  it('never hands the page the raw request: the journal keeps that for replay only', () => {
    const journal = new Journal();
    const id = journal.recordDelivery({
      method: 'POST',
      url: '/webhooks/tickets/zoho-desk?token=s3cret',
      provider: 'zoho-desk',
      family: 'tickets',
      headers: { 'x-zoho-signature': 'sig' },
      body: Buffer.from('{"signature":"sig"}'),
    });
    const shown = JSON.stringify(journal.list());
    expect(shown).not.toContain('s3cret');
    expect(shown).not.toContain('"sig"');
    expect(journal.raw(id)?.headers['x-zoho-signature']).toBe('sig');
  });
});

describe('the sink', () => {
  it('attaches a step to the delivery of its async flow, or to the one that dispatched its identity', async () => {
    const journal = new Journal();
    const request = {
      method: 'POST',
      url: '/',
      provider: 'stripe',
      family: 'payments',
      headers: {},
      body: Buffer.alloc(0),
    };
    const first = journal.recordDelivery(request);
    const command = { kind: 'applyPayment', identity: 'stripe:pi_1' } as never;
    await runInDelivery(first, async () => {
      await Promise.resolve();
      journal.recordStep({ kind: 'command', command, eventId: 'evt_1' });
    });
    journal.recordDelivery(request);
    // The queue's worker, later and elsewhere: found by identity.
    journal.recordStep({
      identity: 'stripe:pi_1',
      kind: 'queue',
      event: 'retry',
      detail: { delaySeconds: 30 },
    });
    const view = journal.list().find((one) => one.id === first);
    expect(view?.steps.map((step) => step.kind)).toEqual(['command', 'queue']);
  });
});

/** A console request from `remoteAddress`, answered by the routes: its status. */
async function statusFor(
  remoteAddress: string,
  headers: Record<string, string> = { host: '127.0.0.1:3000' },
) {
  const routes = consoleRoutes({ journal: new Journal(), local: {} as LocalRuntime, baseUrl: () => '' });
  let status = 0;
  const request = {
    method: 'GET',
    url: '/',
    headers,
    socket: { remoteAddress },
  } as unknown as IncomingMessage;
  const response = {
    writeHead(code: number) {
      status = code;
      return this;
    },
    end() {
      return this;
    },
  } as unknown as ServerResponse;
  expect(await routes(request, response, '/')).toBe(true);
  return status;
}

describe('local only', () => {
  it('knows loopback addresses, IPv4-mapped ones included', () => {
    for (const address of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1'])
      expect(isLoopback(address)).toBe(true);
    for (const address of ['192.0.2.7', '::ffff:10.0.0.1', '0.0.0.0', '', undefined])
      expect(isLoopback(address)).toBe(false);
  });

  it('refuses a client that is not on this machine with 403, and serves one that is', async () => {
    expect(await statusFor('192.0.2.7')).toBe(403);
    expect(await statusFor('::ffff:203.0.113.9')).toBe(403);
    expect(await statusFor('127.0.0.1')).toBe(200);
  });

  it('refuses a page of another site reaching it through the browser (foreign Host or Origin)', async () => {
    expect(await statusFor('127.0.0.1', { host: 'evil.example:3000' })).toBe(403);
    expect(await statusFor('127.0.0.1', { host: '127.0.0.1:3000', origin: 'https://evil.example' })).toBe(
      403,
    );
  });
});
