import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fetchAttachments } from '#lib/attachments/index.ts';
import { localAttachmentDispatcher } from '#lib/local/attachments.ts';
import { SignatureError } from '#lib/http/errors.ts';
import { LOCAL_OPERATION } from '#lib/local/defaults.ts';
import { SEED_CASE_IDS } from '#lib/sandbox/seed.ts';
import intercomCode from '#lib/providers/tickets/intercom/provider.ts';
import type { IntercomSettings } from '#lib/providers/tickets/intercom/settings.ts';
import { type CaseRules, caseCommand } from '#lib/translate/case.ts';
import { runProviderContract, settled, sourceContext } from '../../support/provider-contract.ts';
import { accepted, malformed, readRequest, request } from '../../support/provider-requests.ts';

const intercomSource = (settings: Partial<IntercomSettings> = {}) =>
  intercomCode.create({ operation: LOCAL_OPERATION, caseIdAttribute: 'wolkvox_id', ...settings });

const NOW = new Date('2026-11-23T12:00:00Z');

runProviderContract('intercom', { source: () => intercomSource(), now: NOW });

const SECRET = 'intercom_unit_test_secret';
const intercom = intercomSource();
const context = (secret = SECRET) => sourceContext({ INTERCOM_CLIENT_SECRET: secret }, NOW);
const hub = (body: string | Buffer, secret = SECRET) =>
  `sha1=${createHmac('sha1', secret).update(body).digest('hex')}`;
const sample = (name: string) => readFileSync(new URL(`../../../events/intercom/${name}`, import.meta.url));
type Body = { data: { item: Record<string, unknown> } } & Record<string, unknown>;
const parsed = (name: string) => JSON.parse(sample(name).toString()) as Body;
const normalize = (body: string | Buffer | Body, source = intercom) => {
  const bytes = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  return readRequest(source, request(bytes, { 'x-hub-signature': hub(bytes) }), context());
};

describe('intercom verify', () => {
  // Both computed outside Node: `printf '%s' "$body" | openssl dgst -sha1 -hmac client_secret_example`
  // (the first is helpdesks.md §5.3's vector, also recomputed there with Python's hmac).
  const VECTOR_KEY = 'client_secret_example';
  const bare =
    '{"type":"notification_event","topic":"conversation.admin.closed","id":"notif_1","data":{"item":{"type":"conversation","id":"123","state":"closed"}}}';
  const full =
    '{"type":"notification_event","topic":"conversation.admin.closed","id":"notif_2","created_at":1730908930,"data":{"item":{"type":"conversation","id":"123","state":"closed","custom_attributes":{"wolkvox_id":"65b2c3d4e5f6a7b8c9d0e101"},"conversation_parts":{"conversation_parts":[{"part_type":"close","body":"<p>Listo</p>","created_at":1730908930,"author":{"type":"admin","id":"7","email":"laura.gomez@acme-cobranzas.com"}}]}}}}';

  it("accepts helpdesks.md §5.3's vector (then reads it as malformed: it carries no time)", async () => {
    const header = 'sha1=7fb8f533ff235ada37fb5293ca45cee79014dd1f';
    const problems = await malformed(() =>
      readRequest(intercom, request(bare, { 'x-hub-signature': header }), context(VECTOR_KEY)),
    );
    expect(problems).toEqual(['created_at: no time in the body says when it was resolved']);
    // Upper-case hex is the same signature.
    await expect(
      settled(() =>
        intercom.verify(
          request(bare, { 'x-hub-signature': `SHA1=${header.slice(5).toUpperCase()}` }),
          context(VECTOR_KEY),
        ),
      ),
    ).resolves.toBeDefined();
  });

  it('accepts an openssl-computed vector and reads the closed conversation', async () => {
    const header = 'sha1=0016e37230e65232bb56c33d78f517bec4d26e9f';
    const event = accepted(
      await readRequest(intercom, request(full, { 'x-hub-signature': header }), context(VECTOR_KEY)),
    );
    expect(event).toMatchObject({
      eventId: 'notif_2',
      ticketId: '123',
      resolvedAt: '2024-11-06T16:02:10.000Z',
      caseId: SEED_CASE_IDS.pazYSalvo,
      assignee: { id: '7', email: 'laura.gomez@acme-cobranzas.com' },
      solution: { lastPublicReply: 'Listo' },
    });
  });

  it('accepts any configured secret (rotation "old,new")', async () => {
    const body = sample('conversation.admin.closed.json');
    const signed = request(body, { 'x-hub-signature': hub(body, 'ic_new') });
    await expect(settled(() => intercom.verify(signed, context('ic_old,ic_new')))).resolves.toBeDefined();
    await expect(settled(() => intercom.verify(signed, context('ic_old')))).rejects.toThrow(SignatureError);
  });

  const body = '{"topic":"ping","created_at":1730908930}';
  it.each([
    ['a forged signature (another secret)', request(body, { 'x-hub-signature': hub(body, 'other') })],
    ['a tampered body', request(`${body} `, { 'x-hub-signature': hub(body) })],
    [
      'a sha256 signature',
      request(body, {
        'x-hub-signature': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
      }),
    ],
    ['a header without algorithm', request(body, { 'x-hub-signature': hub(body).slice(5) })],
    ['a truncated signature', request(body, { 'x-hub-signature': hub(body).slice(0, -2) })],
    ['no header', request(body)],
  ])('refuses %s', async (_name, signed) => {
    await expect(settled(() => intercom.verify(signed, context()))).rejects.toThrow(SignatureError);
  });

  it('refuses everything when no secret is configured', async () => {
    await expect(
      settled(() => intercom.verify(request(body, { 'x-hub-signature': hub(body) }), sourceContext({}, NOW))),
    ).rejects.toThrow(SignatureError);
  });
});

describe('intercom normalize', () => {
  it('conversation.admin.closed.json → the closing admin, the last admin reply (not the note after it)', async () => {
    expect(accepted(await normalize(sample('conversation.admin.closed.json')))).toEqual({
      kind: 'ticket',
      provider: 'intercom',
      eventId: 'notif_8f3c2a10-9b7e-4d21-a6c5-1e0f2b3c4d5e',
      ticketId: '2193405561',
      resolvedAt: '2026-11-28T16:02:10.000Z',
      caseId: SEED_CASE_IDS.pazYSalvo,
      priority: 'not_priority',
      caseType: null,
      assignee: { id: '7402811', email: 'laura.gomez@acme-cobranzas.com' },
      solution: {
        lastPublicReply:
          'Hola Carlos,\nLe enviamos al correo el certificado de paz y salvo del crédito 6669999.\nSaludos,\nLaura Gómez – Acme Cobranzas',
      },
      customFields: { ticket_id: '2193405561', conversation_id: '2193405561' },
      attachments: [
        {
          filename: 'paz-y-salvo.pdf',
          url: 'https://downloads.intercomcdn.com/i/o/a1b2c3d4/1795881601/5f0c2e9a7b3d4c1e8f6a/paz-y-salvo.pdf?expires=1795883400&signature=3b7e1c9d2f4a6b8c0e1d3f5a7c9e2b4d6f8a0c1e3d5f7b9a2c4e6d8f0a1b3c5d&req=dSEuFMp%2FnoRcWPMW1HO4zQ%3D%3D',
          contentType: 'application/pdf',
          size: 692,
        },
      ],
    });
  });

  it('ticket.state.updated.resolved.json → the ticket, its type, the admin who resolved it', async () => {
    expect(accepted(await normalize(sample('ticket.state.updated.resolved.json')))).toEqual({
      kind: 'ticket',
      provider: 'intercom',
      eventId: 'notif_3e2d1c0b-a9f8-4e7d-b6c5-4a3b2c1d0e9f',
      ticketId: '2193405620',
      resolvedAt: '2024-11-08T16:52:00.000Z',
      caseId: SEED_CASE_IDS.acuerdoPago,
      priority: null,
      caseType: 'Request',
      assignee: { id: '7402820', email: 'andres.rojas@acme-cobranzas.com' },
      solution: {
        lastPublicReply:
          'Buenas tardes Diego, aprobamos el acuerdo de pago en 6 cuotas de $210.000; la primera vence el 15-11-2024.',
      },
      customFields: { ticket_id: '1390' },
      attachments: [],
    });
  });

  it('reads the ticket state as a string (API 2.10) as well as an object (2.11+)', async () => {
    const ticket = parsed('ticket.state.updated.resolved.json');
    ticket.data.item.ticket_state = 'resolved';
    expect(accepted(await normalize(ticket)).caseId).toBe(SEED_CASE_IDS.acuerdoPago);
    ticket.data.item.ticket_state = 'in_progress';
    expect(await normalize(ticket)).toEqual({
      action: 'ignore',
      reason: 'ticket state "in_progress" is not resolved',
    });
    ticket.data.item.ticket_state = { type: 'ticket_state', category: 'waiting_on_customer' };
    expect(await normalize(ticket)).toMatchObject({ action: 'ignore' });
  });

  it('ignores other topics, with the reason (ping, reopened)', async () => {
    expect(await normalize(sample('conversation.admin.opened.json'))).toEqual({
      action: 'ignore',
      reason: 'topic "conversation.admin.opened" is not conversation.admin.closed or ticket.state.updated',
    });
    expect(await normalize('{"type":"notification_event","topic":"ping","data":{}}')).toMatchObject({
      action: 'ignore',
    });
  });

  it('parks a conversation closed without an admin reply (a note is not one)', async () => {
    const event = accepted(await normalize(sample('conversation.admin.closed.no-reply.json')));
    expect(event.solution).toEqual({});
    expect(event.caseId).toBe(SEED_CASE_IDS.horarioAtencion);
    expect(caseCommand(event, rules, 'demo')).toEqual({
      park: 'no solution text (resolution, closing note or public reply): the case is not closed',
    });
  });

  it('parks a conversation without the case id attribute, naming the attribute', async () => {
    const event = accepted(await normalize(sample('conversation.admin.closed.no-case-id.json')));
    expect(event).toMatchObject({
      caseId: null,
      targetProblem: 'data.item.custom_attributes.wolkvox_id is empty: the ticket names no wolkvox case',
    });
  });

  it('reads the case id from the attribute INTERCOM_CASE_ID_ATTRIBUTE names, and refuses a non-id', async () => {
    const conversation = parsed('conversation.admin.closed.json');
    conversation.data.item.custom_attributes = { 'Caso wolkvox': SEED_CASE_IDS.cobroDoble.toUpperCase() };
    const named = intercomSource({ caseIdAttribute: 'Caso wolkvox' });
    expect(accepted(await normalize(conversation, named)).caseId).toBe(SEED_CASE_IDS.cobroDoble);
    conversation.data.item.custom_attributes = { 'Caso wolkvox': 'REQ-1002' };
    expect(accepted(await normalize(conversation, named))).toMatchObject({
      caseId: null,
      targetProblem:
        'data.item.custom_attributes.Caso wolkvox "REQ-1002" is not a wolkvox case id (24 hexadecimal characters)',
    });
  });

  it('takes the closing note when the admin closed with a reply', async () => {
    const conversation = parsed('conversation.admin.closed.no-reply.json');
    const parts = (conversation.data.item.conversation_parts as { conversation_parts: { body: unknown }[] })
      .conversation_parts;
    const close = parts.at(-1);
    if (!close) throw new Error('the sample has a close part');
    close.body = '<p>Cerramos: el horario es de 8:00 a 18:00.</p>';
    expect(accepted(await normalize(conversation)).solution).toEqual({
      lastPublicReply: 'Cerramos: el horario es de 8:00 a 18:00.',
    });
  });

  it('answers 400 to a signed body that is not an Intercom notification', async () => {
    expect(await malformed(() => normalize('[]'))).not.toHaveLength(0);
    expect(
      await malformed(() =>
        normalize(
          '{"topic":"conversation.admin.closed","created_at":1,"data":{"item":{"type":"conversation"}}}',
        ),
      ),
    ).not.toHaveLength(0);
  });
});

const rules: CaseRules = {
  resolvedStatus: 'Cerrado',
  resolvedStatusByType: new Map<string, string>(),
  caseTypeMap: new Map<string, string>(),
  responsibleMap: new Map<string, string>(),
  priorityMap: new Map<string, string>(),
  formMap: new Map<string, string>(),
};

describe('intercom attachments', () => {
  const hosts = intercomCode.attachments?.hosts({ caseIdAttribute: 'wolkvox_id' }) ?? [];
  type Part = { part_type: string; attachments: { name?: string; url: string }[] };
  const parts = (body: Body) =>
    (body.data.item.conversation_parts as { conversation_parts: Part[] }).conversation_parts;

  it("takes the files of the reply used as the solution only, not the notes' or other parts'", async () => {
    const body = parsed('conversation.admin.closed.json');
    const [reply, note, close] = parts(body);
    if (!reply || !note || !close) throw new Error('sample shape');
    note.attachments = [{ name: 'interno.pdf', url: 'https://downloads.intercomcdn.com/i/o/1/interno.pdf' }];
    close.attachments = [{ name: 'cierre.pdf', url: 'https://downloads.intercomcdn.com/i/o/2/cierre.pdf' }];
    expect(accepted(await normalize(body)).attachments.map((a) => a.filename)).toEqual(['paz-y-salvo.pdf']);
    reply.attachments = [{ url: 'https://acme.intercom-attachments-7.com/i/o/3/acta%20final.pdf?expires=1' }];
    expect(accepted(await normalize(body)).attachments).toEqual([
      {
        filename: 'acta final.pdf',
        url: 'https://acme.intercom-attachments-7.com/i/o/3/acta%20final.pdf?expires=1',
      },
    ]);
  });

  it('answers 400 to an attachment URL that is not https', async () => {
    const body = parsed('conversation.admin.closed.json');
    const [reply] = parts(body);
    if (!reply) throw new Error('sample shape');
    reply.attachments = [{ name: 'x.pdf', url: 'http://downloads.intercomcdn.com/x.pdf' }];
    expect(await malformed(async () => await normalize(body))).toEqual([
      expect.stringMatching(/^data\.item\.conversation_parts\.conversation_parts\.0\.attachments\.0\.url: /),
    ]);
  });

  it("allows Intercom's file hosts only, sends no credential, and downloads the sample's file", async () => {
    expect(intercomCode.attachments?.authorization({ INTERCOM_CLIENT_SECRET: SECRET })).toBeUndefined();
    const files = accepted(await normalize(sample('conversation.admin.closed.json'))).attachments;
    const foreign = [
      { filename: 'a.pdf', url: 'https://downloads.intercomcdn.com.evil.example/a.pdf' },
      { filename: 'b.pdf', url: 'https://intercom-attachments-7.com/b.pdf' },
      { filename: 'c.pdf', url: 'https://files.example.com/i/o/1/c.pdf' },
    ];
    const tmp = await mkdtemp(join(tmpdir(), 'intercom-attachments-'));
    try {
      const fetched = await fetchAttachments(
        [...files, ...foreign],
        { allowedHosts: hosts },
        { dispatcher: localAttachmentDispatcher(), tmpDir: tmp },
      );
      expect(fetched.files.map((f) => f.filename)).toEqual(['paz-y-salvo.pdf']);
      expect(fetched.failures.map((f) => f.reason)).toEqual([
        'refused: host downloads.intercomcdn.com.evil.example is not on the allowlist',
        'refused: host intercom-attachments-7.com is not on the allowlist',
        'refused: host files.example.com is not on the allowlist',
      ]);
      await fetched.cleanup();
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});
