import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SignatureError } from '#lib/http/errors.ts';
import { LOCAL_OPERATION } from '#lib/local/defaults.ts';
import helpScoutCode, {
  HELPSCOUT_TRUST,
  helpScoutEventOf,
} from '#lib/providers/tickets/helpscout/provider.ts';
import type { HelpScoutSettings } from '#lib/providers/tickets/helpscout/settings.ts';
import helpScoutEntry from '#lib/providers/tickets/helpscout/settings.ts';
import { SEED_CASE_IDS } from '#lib/sandbox/seed.ts';
import { runProviderContract, settled, sourceContext } from '../../support/provider-contract.ts';
import { accepted, malformed, readRequest, request } from '../../support/provider-requests.ts';

const NOW = new Date('2026-11-23T12:00:00Z');
const helpScoutSource = (settings: Partial<HelpScoutSettings> = {}) =>
  helpScoutCode.create({ operation: LOCAL_OPERATION, caseIdField: 'wolkvox_id', ...settings });

runProviderContract('helpscout', { source: () => helpScoutSource(), now: NOW });

const SECRET = 'hs_unit_test_secret';
const context = (secret = SECRET) => sourceContext({ HELPSCOUT_WEBHOOK_SECRET: secret }, NOW);
/** Computed independently of the code under test: base64(HMAC-SHA1(secret, raw body)). */
const signature = (body: string | Buffer, secret = SECRET) =>
  createHmac('sha1', secret).update(body).digest('base64');
const sample = (name: string) => readFileSync(new URL(`../../../events/helpscout/${name}`, import.meta.url));
type Conversation = Record<string, unknown> & {
  customFields: Record<string, unknown>[];
  _embedded: { threads: Record<string, unknown>[] };
};
const conversation = (name: string) => JSON.parse(sample(name).toString()) as Conversation;
const deliver = (
  body: string | Buffer | Conversation,
  event = 'convo.status',
  source = helpScoutSource(),
) => {
  const bytes = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  const headers = { 'x-helpscout-event': event, 'x-helpscout-signature': signature(bytes) };
  return readRequest(source, request(bytes, headers), context());
};

describe('helpscout verify', () => {
  it("matches helpdesks.md §6's vector (secret mZ9XbGHodX) — then finds no closing time in that body", async () => {
    const body = '{"id":291938,"status":"closed"}';
    const headers = {
      'x-helpscout-event': 'convo.status',
      'x-helpscout-signature': 'vEJTMMthZnHrJhM9NVwWsHn8lVo=',
    };
    const verified = await helpScoutSource().verify(request(body, headers), context('mZ9XbGHodX'));
    expect(await malformed(() => verified.read(context('mZ9XbGHodX')))).toEqual([
      'closedAt: no time the conversation was closed (nor userUpdatedAt, modifiedAt)',
    ]);
  });

  it('matches a vector computed with openssl and accepts it', async () => {
    // printf '%s' "$body" | openssl dgst -sha1 -hmac hs_vector_key -binary | base64
    const body = '{"id":7,"status":"closed","closedAt":"2026-11-20T15:42:07Z"}';
    const headers = {
      'x-helpscout-event': 'convo.status',
      'x-helpscout-signature': 'Ixhn85VegdOEMWsN8BCpUxDgqDo=',
    };
    const event = accepted(
      await readRequest(helpScoutSource(), request(body, headers), context('hs_vector_key')),
    );
    expect(event).toMatchObject({ ticketId: '7', resolvedAt: '2026-11-20T15:42:07.000Z', caseId: null });
  });

  it('accepts any configured secret (rotation)', async () => {
    const body = sample('convo.status.closed.json');
    const headers = {
      'x-helpscout-event': 'convo.status',
      'x-helpscout-signature': signature(body, 'hs_new'),
    };
    await expect(
      settled(() => helpScoutSource().verify(request(body, headers), context('hs_old, hs_new'))),
    ).resolves.toBeDefined();
  });

  const body = '{"id":7,"status":"closed"}';
  it.each([
    [
      'a forged signature (another secret)',
      request(body, { 'x-helpscout-signature': signature(body, 'other') }),
    ],
    ['a tampered body', request(`${body} `, { 'x-helpscout-signature': signature(body) })],
    [
      'a hex signature',
      request(body, { 'x-helpscout-signature': createHmac('sha1', SECRET).update(body).digest('hex') }),
    ],
    [
      'a SHA-256 signature',
      request(body, { 'x-helpscout-signature': createHmac('sha256', SECRET).update(body).digest('base64') }),
    ],
    ['no header', request(body)],
  ])('refuses %s with a 401', async (_name, forged) => {
    await expect(settled(() => helpScoutSource().verify(forged, context()))).rejects.toThrow(SignatureError);
  });

  it('refuses everything when the secret is empty', async () => {
    const signed = request(body, { 'x-helpscout-signature': signature(body, '') });
    await expect(settled(() => helpScoutSource().verify(signed, context('')))).rejects.toThrow(
      SignatureError,
    );
  });

  it('declares a bytes signature with no signed time, and why a replay is harmless', () => {
    expect(HELPSCOUT_TRUST).toMatchObject({ covers: 'bytes', replayWindowSeconds: null });
    expect(HELPSCOUT_TRUST.replayWindow).toContain('helpscout:<conversation id>:<closedAt>');
  });
});

describe('helpscout decisions', () => {
  it('reads a closed conversation: case id from the custom field, the last agent reply as text, the assignee', async () => {
    const event = accepted(await deliver(sample('convo.status.closed.json')));
    expect(event).toEqual({
      kind: 'ticket',
      provider: 'helpscout',
      eventId: '2391938111:2026-11-20T15:42:07.000Z',
      ticketId: '2391938111',
      resolvedAt: '2026-11-20T15:42:07.000Z',
      caseId: SEED_CASE_IDS.pazYSalvo,
      priority: null,
      caseType: null,
      assignee: { id: '441236', email: 'camila.ortiz@acme-cobranzas.com' },
      solution: {
        lastPublicReply:
          'Hola Jorge,\nConfirmamos que su crédito 2021-4410 quedó al día. Le enviamos el paz y salvo a su correo.\nSaludos,\nCamila',
      },
      customFields: {
        ticket_id: '2391938111',
        ticket_number: '3121',
        ticket_url: 'https://secure.helpscout.net/conversation/2391938111/3121/',
      },
      attachments: [],
    });
  });

  it('takes the newest reply by time whatever the order, and skips notes, customer threads and drafts', async () => {
    const body = conversation('convo.status.closed.json');
    const reply = (text: string, createdAt: string, extra: Record<string, unknown> = {}) => ({
      type: 'reply',
      state: 'published',
      body: `<p>${text}</p>`,
      createdAt,
      createdBy: { type: 'user', id: 1 },
      ...extra,
    });
    body._embedded.threads = [
      reply('older', '2026-11-20T10:00:00Z'),
      reply('newest', '2026-11-20T12:00:00Z'),
      reply('a draft', '2026-11-20T13:00:00Z', { state: 'draft' }),
      reply('a note', '2026-11-20T14:00:00Z', { type: 'note' }),
      reply('the customer', '2026-11-20T15:00:00Z', { createdBy: { type: 'customer' } }),
    ];
    expect(accepted(await deliver(body)).solution).toEqual({ lastPublicReply: 'newest' });
  });

  it('has no solution without an agent reply (the translation parks it)', async () => {
    expect(accepted(await deliver(sample('convo.status.closed.no-reply.json'))).solution).toEqual({});
  });

  it('finds the case id field by name ignoring case, or by id, as HELPSCOUT_CASE_ID_FIELD says', async () => {
    const body = sample('convo.status.closed.json');
    expect(
      accepted(await deliver(body, 'convo.status', helpScoutSource({ caseIdField: 'WOLKVOX_ID' }))).caseId,
    ).toBe(SEED_CASE_IDS.pazYSalvo);
    expect(
      accepted(await deliver(body, 'convo.status', helpScoutSource({ caseIdField: '8821' }))).caseId,
    ).toBe(SEED_CASE_IDS.pazYSalvo);
    expect(
      accepted(await deliver(body, 'convo.status', helpScoutSource({ caseIdField: 'other' }))),
    ).toMatchObject({
      caseId: null,
      targetProblem: 'custom field "other" is empty: the ticket names no wolkvox case',
    });
  });

  it('parks a conversation whose case id is not a wolkvox id, or that has none', async () => {
    const body = conversation('convo.status.closed.json');
    body.customFields = [{ id: 8821, name: 'wolkvox_id', value: 'REQ-1001', text: 'REQ-1001' }];
    expect((accepted(await deliver(body)) as { targetProblem?: string }).targetProblem).toBe(
      'custom field "wolkvox_id" "REQ-1001" is not a wolkvox case id (24 hexadecimal characters)',
    );
    expect(accepted(await deliver(sample('convo.status.closed.no-case.json'))).caseId).toBeNull();
  });

  it('falls back to userUpdatedAt when there is no closedAt', async () => {
    const body = conversation('convo.status.closed.json');
    delete body.closedAt;
    body.userUpdatedAt = '2026-11-20T15:50:00Z';
    expect(accepted(await deliver(body)).resolvedAt).toBe('2026-11-20T15:50:00.000Z');
  });

  it.each([
    ['helpscout.test', 'helpscout.test.json', 'a Help Scout test delivery (helpscout.test): nothing changes'],
    [
      'convo.assigned',
      'convo.status.closed.json',
      'X-HelpScout-Event "convo.assigned" is not convo.status (conversation status updated)',
    ],
    ['convo.status', 'convo.status.active.json', 'conversation status "active" is not closed'],
  ])('ignores %s (%s) with the reason', async (event, file, reason) => {
    expect(await deliver(sample(file), event)).toEqual({ action: 'ignore', reason });
  });

  it('ignores a delivery without the event header', async () => {
    const body = sample('convo.status.closed.json');
    const signed = request(body, { 'x-helpscout-signature': signature(body) });
    expect(await readRequest(helpScoutSource(), signed, context())).toMatchObject({ action: 'ignore' });
  });

  it('answers 400 naming what is wrong in a convo.status body that is not a conversation', async () => {
    expect(await malformed(() => deliver(sample('helpscout.test.json')))).toEqual(
      expect.arrayContaining([expect.stringMatching(/^id/), expect.stringMatching(/^status/)]),
    );
  });
});

describe('helpscout settings and signer', () => {
  it('defaults HELPSCOUT_CASE_ID_FIELD to wolkvox_id', () => {
    expect(helpScoutEntry.read({ HELPSCOUT_CASE_ID_FIELD: undefined })).toEqual({
      caseIdField: 'wolkvox_id',
    });
    expect(helpScoutEntry.read({ HELPSCOUT_CASE_ID_FIELD: 'Caso wolkvox' })).toEqual({
      caseIdField: 'Caso wolkvox',
    });
  });

  it('names the event a sample stands for, and signs as Help Scout does', () => {
    expect(helpScoutEventOf(sample('convo.status.active.json').toString())).toBe('convo.status');
    expect(helpScoutEventOf(sample('helpscout.test.json').toString())).toBe('helpscout.test');
    const signed = helpScoutCode.sign('{"id":7}', { HELPSCOUT_WEBHOOK_SECRET: 'a,b' }, NOW);
    expect(signed.headers['x-helpscout-signature']).toBe(signature('{"id":7}', 'a'));
  });
});
