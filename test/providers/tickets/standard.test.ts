import { Webhook } from 'standardwebhooks';
import { describe, expect, it, vi } from 'vitest';
import { LOCAL_OPERATION, LOCAL_SECRETS } from '#lib/local/defaults.ts';
import { signSample } from '#lib/local/sign.ts';
import standardCode from '#lib/providers/tickets/standard/provider.ts';
import type { RawRequest } from '#lib/providers/types.ts';
import { outcome, runProviderContract, sourceContext } from '../../support/provider-contract.ts';
import { readRequest } from '../../support/provider-requests.ts';

const NOW = new Date('2026-11-25T16:20:10Z');
const SECRET = LOCAL_SECRETS.STANDARD_TICKETS_SECRET;
const source = () =>
  standardCode.create({ operation: LOCAL_OPERATION, attachmentHosts: ['files.acme-cobranzas.com'] });
const context = () => sourceContext(LOCAL_SECRETS, NOW);

runProviderContract('standard', { source, now: NOW });

const body = (type: string, data: Record<string, unknown>) =>
  JSON.stringify({ type, timestamp: NOW.toISOString(), data });
const resolution = {
  ticket_id: 'T-9',
  resolved_at: '2026-11-25T11:19:58-05:00',
  wolkvox_id: '65b2c3d4e5f6a7b8c9d0e105',
  solution: 'Acuerdo confirmado.',
  responsible: 'laura.gomez@acme-cobranzas.com',
  priority: 'high',
  case_type: 'Solicitud',
  form: { canal: 'Web' },
  attachments: [
    {
      file_name: 'soporte.pdf',
      url: 'https://files.acme-cobranzas.com/T-9/soporte.pdf',
      content_type: 'application/pdf',
      size: 10,
    },
  ],
};
function signed(text: string): RawRequest {
  const request = signSample('standard', text, LOCAL_SECRETS, NOW, 'tickets');
  return { body: Buffer.from(request.body), headers: request.headers, query: {} };
}

describe('standard (tickets): the scheme, against the standardwebhooks package', () => {
  it('the package verifies what our signer produces, and we verify what the package signs', async () => {
    vi.useFakeTimers({ now: NOW, toFake: ['Date'] });
    try {
      const text = body('ticket.resolved', resolution);
      const ours = signed(text);
      expect(new Webhook(SECRET).verify(text, ours.headers)).toMatchObject({ type: 'ticket.resolved' });
      const id = 'msg_tickets_1';
      const headers = {
        'webhook-id': id,
        'webhook-timestamp': String(NOW.getTime() / 1000),
        'webhook-signature': new Webhook(SECRET).sign(id, NOW, text),
      };
      expect(
        await outcome(source(), { body: Buffer.from(text), headers, query: {} }, context()),
      ).toMatchObject({
        action: 'accept',
      });
    } finally {
      vi.useRealTimers();
    }
  });

  it('does not take the payments door’s secret', async () => {
    const request = signSample(
      'standard',
      body('ticket.resolved', resolution),
      LOCAL_SECRETS,
      NOW,
      'payments',
    );
    expect(
      await outcome(
        source(),
        { body: Buffer.from(request.body), headers: request.headers, query: {} },
        context(),
      ),
    ).toEqual({
      rejected: 401,
    });
  });
});

describe('standard (tickets): the envelope', () => {
  it('reads the resolution as sent, for the usual maps', async () => {
    expect(await outcome(source(), signed(body('ticket.resolved', resolution)), context())).toEqual({
      action: 'accept',
      event: {
        kind: 'ticket',
        provider: 'standard',
        eventId: expect.stringMatching(/^msg_/),
        ticketId: 'T-9',
        resolvedAt: '2026-11-25T16:19:58.000Z',
        caseId: '65b2c3d4e5f6a7b8c9d0e105',
        priority: 'high',
        caseType: 'Solicitud',
        assignee: { email: 'laura.gomez@acme-cobranzas.com' },
        solution: { resolution: 'Acuerdo confirmado.' },
        customFields: { canal: 'Web' },
        attachments: [
          {
            filename: 'soporte.pdf',
            url: 'https://files.acme-cobranzas.com/T-9/soporte.pdf',
            contentType: 'application/pdf',
            size: 10,
          },
        ],
      },
    });
  });

  it('names no case for an id that is not a wolkvox id, and ignores other types', async () => {
    expect(
      await outcome(
        source(),
        signed(body('ticket.resolved', { ...resolution, wolkvox_id: 'T-9' })),
        context(),
      ),
    ).toMatchObject({
      action: 'accept',
      event: { caseId: null, targetProblem: expect.stringContaining('is not a wolkvox case id') },
    });
    expect(await outcome(source(), signed(body('ticket.updated', resolution)), context())).toMatchObject({
      action: 'ignore',
      reason: 'type "ticket.updated" is not ticket.resolved',
    });
  });

  it.each([
    [{ resolved_at: 'yesterday' }, 'data.resolved_at'],
    [{ ticket_id: '' }, 'data.ticket_id'],
    [{ attachments: [{ url: 'http://files.acme-cobranzas.com/x.pdf' }] }, 'data.attachments'],
  ])('a malformed resolution (%j) is a 400 naming %s', async (change, path) => {
    const request = signed(body('ticket.resolved', { ...resolution, ...change }));
    await expect(readRequest(source(), request, context())).rejects.toMatchObject({
      name: 'MalformedError',
      problems: [expect.stringContaining(path)],
    });
  });

  it('lets attachments come only from STANDARD_TICKETS_ATTACHMENT_HOSTS (none by default)', () => {
    expect(standardCode.attachments?.hosts({ attachmentHosts: [] })).toEqual([]);
    expect(standardCode.attachments?.hosts({ attachmentHosts: ['*.example.com'] })).toEqual([
      '*.example.com',
    ]);
  });
});
