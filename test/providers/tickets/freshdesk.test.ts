import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SignatureError } from '#lib/http/errors.ts';
import { LOCAL_OPERATION } from '#lib/local/defaults.ts';
import { SEED_CASE_IDS } from '#lib/sandbox/seed.ts';
import freshdeskCode from '#lib/providers/tickets/freshdesk/provider.ts';
import { FRESHDESK_TEMPLATE } from '#lib/providers/tickets/freshdesk/template.ts';
import type { ProviderContext } from '#lib/providers/types.ts';
import { renderLiquid } from '../../support/liquid.ts';
import { runProviderContract, settled, sourceContext } from '../../support/provider-contract.ts';
import { accepted, malformed, readRequest, request } from '../../support/provider-requests.ts';

const NOW = new Date('2024-11-06T16:00:00Z');
const CONTRACT_NOW = new Date('2026-11-23T12:00:00Z');

runProviderContract('freshdesk', {
  source: () => freshdeskCode.create({ operation: LOCAL_OPERATION }),
  now: CONTRACT_NOW,
});

const read = (file: string) => readFileSync(new URL(`../../../${file}`, import.meta.url));
const context = (secrets: Record<string, string>, now = NOW): ProviderContext => sourceContext(secrets, now);

const FD_TOKEN = 'fd_unit_test_token';
const freshdesk = freshdeskCode.create({ operation: 'demo' });
const fdContext = (now = NOW, token = FD_TOKEN) => context({ FRESHDESK_WEBHOOK_TOKEN: token }, now);
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const fdSample = (name: string) => read(`events/freshdesk/${name}`);
const fdNormalize = (body: string | Buffer) =>
  readRequest(freshdesk, request(body, { 'x-wolkvox-webhook-token': FD_TOKEN }), fdContext());
function fdVariant(name: string, changes: Record<string, unknown>): string {
  return JSON.stringify({ ...(JSON.parse(fdSample(name).toString()) as object), ...changes });
}

describe('freshdesk verify', () => {
  it.each([
    ['the custom header', { 'x-wolkvox-webhook-token': FD_TOKEN }],
    ['Basic auth with the token as password', { authorization: basic('wolkvox', FD_TOKEN) }],
    ['Basic auth with the token as API-key username', { authorization: basic(FD_TOKEN, 'X') }],
    [
      'a wrong header beside good Basic credentials',
      { 'x-wolkvox-webhook-token': 'nope', authorization: basic('u', FD_TOKEN) },
    ],
  ])('accepts the token in %s', async (_name, headers) => {
    await expect(settled(() => freshdesk.verify(request('{}', headers), fdContext()))).resolves.toBeDefined();
  });

  it('accepts any configured token (rotation)', async () => {
    const rotated = fdContext(NOW, 'fd_old, fd_new');
    await expect(
      settled(() => freshdesk.verify(request('{}', { 'x-wolkvox-webhook-token': 'fd_new' }), rotated)),
    ).resolves.toBeDefined();
    await expect(
      settled(() => freshdesk.verify(request('{}', { authorization: basic('w', 'fd_old') }), rotated)),
    ).resolves.toBeDefined();
  });

  it.each([
    ['a wrong header token', { 'x-wolkvox-webhook-token': 'fd_guess' }],
    ['a token that only shares a prefix', { 'x-wolkvox-webhook-token': `${FD_TOKEN}x` }],
    ['wrong Basic credentials', { authorization: basic('wolkvox', 'fd_guess') }],
    ['Basic credentials that are not base64', { authorization: 'Basic ***' }],
    ['a Bearer token', { authorization: `Bearer ${FD_TOKEN}` }],
    ['nothing', {}],
  ])('refuses %s with a SignatureError (401)', async (_name, headers) => {
    const verifying = settled(() => freshdesk.verify(request('{}', headers), fdContext()));
    await expect(verifying).rejects.toThrow(SignatureError);
    await expect(verifying).rejects.toMatchObject({ status: 401 });
  });

  it('refuses everything when no token is configured', async () => {
    await expect(
      settled(() => freshdesk.verify(request('{}', { 'x-wolkvox-webhook-token': FD_TOKEN }), context({}))),
    ).rejects.toThrow(SignatureError);
  });
});

describe('freshdesk normalize', () => {
  it('ticket.resolved.json → the resolved ticket, its HTML reply as plain text', async () => {
    expect(accepted(await fdNormalize(fdSample('ticket.resolved.json')))).toEqual({
      kind: 'ticket',
      provider: 'freshdesk',
      eventId: '1207:resolved:2024-11-07T15:15:02.000Z',
      ticketId: '1207',
      resolvedAt: '2024-11-07T15:15:02.000Z',
      caseId: SEED_CASE_IDS.acuerdoPago,
      priority: 'Medium',
      caseType: 'Solicitud',
      assignee: { email: 'diana.castro@acme-cobranzas.com' },
      solution: {
        lastPublicReply:
          'Hola María Fernanda,\n\nAprobamos el acuerdo de pago a 12 cuotas de $2.708.333 para el crédito ' +
          'vehicular 2023-77. La primera cuota vence el 05-12-2024.\n\nCordialmente,\nDiana Castro\n' +
          'Acme Cobranzas & Cía.',
      },
      customFields: {
        group: 'Acuerdos de pago',
        ticket_id: '1207',
        ticket_url: 'https://acme.freshdesk.com/helpdesk/tickets/1207',
      },
      attachments: [],
    });
  });

  it('ticket.closed.json is accepted too; ticket.open.json is ignored', async () => {
    expect(accepted(await fdNormalize(fdSample('ticket.closed.json')))).toMatchObject({
      ticketId: '1189',
      caseId: SEED_CASE_IDS.pazYSalvo,
      priority: 'Urgent',
      resolvedAt: '2024-11-08T14:02:40.000Z',
      solution: {
        lastPublicReply:
          'Carlos, le enviamos el certificado de paz y salvo a carlos.ramirez@example.com.\n' +
          'Cerramos el ticket; si necesita algo más, responda a este correo.',
      },
    });
    expect(await fdNormalize(fdSample('ticket.open.json'))).toEqual({
      action: 'ignore',
      reason: 'ticket status is "Open", not resolved or closed',
    });
  });

  it('dates the resolution by the status change, else the last update, else the receipt', async () => {
    const updated = fdVariant('ticket.resolved.json', { resolved_at: '' });
    expect(accepted(await fdNormalize(updated)).resolvedAt).toBe('2024-11-07T15:15:04.000Z');
    const none = accepted(
      await fdNormalize(fdVariant('ticket.resolved.json', { resolved_at: '', updated_at: '' })),
    );
    expect(none.resolvedAt).toBe(NOW.toISOString());
    expect(none.eventId).toBe(`1207:resolved:${NOW.toISOString()}`);
  });

  it('keeps line breaks of a plain-text comment and leaves an unassigned ticket without assignee', async () => {
    const event = accepted(
      await fdNormalize(
        fdVariant('ticket.resolved.json', { solution: 'Saldo &lt; 100<br />Gracias', agent_email: '' }),
      ),
    );
    expect(event.solution.lastPublicReply).toBe('Saldo < 100\nGracias');
    expect(event.assignee).toBeNull();
  });

  it('round-trips an HTML comment with hostile text through the template (Liquid 2.4.1)', async () => {
    const html =
      '<div>Dijo &quot;listo&quot; \\ ruta C:\\new</div>\r\n<div>Saldo &lt; 100 &amp; cuota_2</div>\n<script>x()</script>';
    const data = {
      'ticket.id': 9,
      'ticket.url': 'https://acme.freshdesk.com/helpdesk/tickets/9',
      'ticket.status': 'Resolved',
      'ticket.status_changed_on': new Date('2024-11-07T15:15:02Z'),
      'ticket.modified_on': new Date('2024-11-07T15:15:03Z'),
      'ticket.priority': 'High',
      'ticket.ticket_type': 'Reclamo "formal"',
      'ticket.agent.email': 'diana.castro@acme-cobranzas.com',
      'ticket.cf_wolkvox_id': SEED_CASE_IDS.cobroDoble,
      'ticket.latest_public_comment': html,
      'ticket.group.name': 'Reclamos',
    };
    const body = renderLiquid(FRESHDESK_TEMPLATE, data, { liquid: 2, jsonEscapesOutput: false });
    const event = accepted(await fdNormalize(body));
    expect(event).toMatchObject({
      ticketId: '9',
      resolvedAt: '2024-11-07T15:15:02.000Z',
      caseId: SEED_CASE_IDS.cobroDoble,
      priority: 'High',
      caseType: 'Reclamo "formal"',
      solution: { lastPublicReply: 'Dijo "listo" \\ ruta C:\\new\nSaldo < 100 & cuota_2' },
    });
  });

  it('answers 400 with the template hint for a broken body, and names failing paths', async () => {
    const broken = fdSample('ticket.resolved.json').toString().replace('Diana Castro', 'Diana "Castro"');
    expect(await malformed(async () => await fdNormalize(broken))).toEqual([
      expect.stringContaining('(in or after "solution")'),
    ]);
    expect(
      await malformed(
        async () => await fdNormalize('{"schema_version":"1","ticket_id":"","status":"Resolved"}'),
      ),
    ).toEqual([expect.stringMatching(/^ticket_id: /)]);
  });
});
