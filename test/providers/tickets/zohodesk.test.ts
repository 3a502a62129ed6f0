import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { loadConfig } from '#lib/config.ts';
import { SignatureError } from '#lib/http/errors.ts';
import { localAttachmentDispatcher } from '#lib/local/attachments.ts';
import { LOCAL_OPERATION, LOCAL_SECRETS, LOCAL_SETTINGS } from '#lib/local/defaults.ts';
import { localContext } from '#lib/local/runtime.ts';
import { apiGatewayEvent } from '#lib/local/sign.ts';
import { hmac } from '#lib/providers/schemes/hmac.ts';
import { ZOHODESK_DELUGE_FUNCTION } from '#lib/providers/tickets/zohodesk/deluge.ts';
import zohoDeskCode, {
  ZOHODESK_HMAC_TRUST,
  ZOHODESK_TOKEN_TRUST,
  zohoDeskTokenMatches,
} from '#lib/providers/tickets/zohodesk/provider.ts';
import zohoDeskEntry, { type ZohoDeskSettings } from '#lib/providers/tickets/zohodesk/settings.ts';
import { SEED_CASE_IDS } from '#lib/sandbox/seed.ts';
import { createRuntime, ticketResolvedHandler } from '#lib/wiring.ts';
import { localSecretStore, useSandboxAndSqs } from '../../support/harness.ts';
import { outcome, runProviderContract, settled, sourceContext } from '../../support/provider-contract.ts';
import { accepted, malformed, readRequest } from '../../support/provider-requests.ts';

const NOW = new Date('2026-11-23T12:00:00Z');
const zohoDeskSource = (settings: Partial<ZohoDeskSettings> = {}) =>
  zohoDeskCode.create({
    operation: LOCAL_OPERATION,
    auth: 'hmac',
    caseIdField: 'cf_wolkvox_id',
    closedStatuses: ['closed'],
    ...settings,
  });

runProviderContract('zohodesk', { source: () => zohoDeskSource(), now: NOW });

const SECRET = 'zd_unit_test_secret';
const context = (secret = SECRET) => sourceContext({ ZOHODESK_WEBHOOK_TOKEN: secret }, NOW);
/** Computed independently of the code under test: base64(HMAC-SHA256(key, raw body)). */
const signature = (body: string | Buffer, key = SECRET) =>
  createHmac('sha256', key).update(body).digest('base64');
const sample = (name: string) => readFileSync(new URL(`../../../events/zohodesk/${name}`, import.meta.url));
type ZohoEvent = Record<string, unknown> & {
  payload: Record<string, unknown> & { cf: Record<string, unknown> };
  prevState?: Record<string, unknown>;
};
const events = (name: string) => JSON.parse(sample(name).toString()) as ZohoEvent[];
/** The closing Ticket_Update of the applied sample, alone. */
const closing = () => events('Ticket_Update.closed.json')[1] as ZohoEvent;
const raw = (
  body: string | Buffer,
  headers: Record<string, string> = {},
  query: Record<string, string> = {},
) => ({
  body: Buffer.isBuffer(body) ? body : Buffer.from(body),
  headers,
  query,
});
const signed = (body: string | Buffer | ZohoEvent[], key = SECRET) => {
  const bytes = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  return raw(bytes, { 'content-type': 'application/json', 'x-wolkvox-signature': signature(bytes, key) });
};
const deliver = (body: string | Buffer | ZohoEvent[], source = zohoDeskSource()) =>
  readRequest(source, signed(body), context());

describe('zohodesk settings', () => {
  it('defaults to the Deluge HMAC, cf_wolkvox_id and the status Closed', () => {
    expect(
      zohoDeskEntry.read({
        ZOHODESK_AUTH: 'hmac',
        ZOHODESK_CASE_ID_FIELD: undefined,
        ZOHODESK_CLOSED_STATUSES: undefined,
      }),
    ).toEqual({ auth: 'hmac', caseIdField: 'cf_wolkvox_id', closedStatuses: ['closed'] });
    const config = loadConfig({
      ...LOCAL_SETTINGS,
      WOLKVOX_SERVER: 'crm0001.wolkvox.com',
      WOLKVOX_OPERATION: 'demo',
    });
    expect(config.providers.tickets.zohodesk.auth).toBe('hmac');
    const token = loadConfig({
      ...LOCAL_SETTINGS,
      WOLKVOX_SERVER: 'crm0001.wolkvox.com',
      WOLKVOX_OPERATION: 'demo',
      ZOHODESK_AUTH: ' Token ',
      ZOHODESK_CLOSED_STATUSES: 'Closed, Resuelto ,',
    });
    expect(token.providers.tickets.zohodesk).toMatchObject({
      auth: 'token',
      closedStatuses: ['closed', 'resuelto'],
    });
    expect(() =>
      loadConfig({
        ...LOCAL_SETTINGS,
        WOLKVOX_SERVER: 'x.wolkvox.com',
        WOLKVOX_OPERATION: 'demo',
        ZOHODESK_AUTH: 'none',
      }),
    ).toThrow(/ZOHODESK_AUTH/);
  });
});

describe('zohodesk Deluge HMAC (ZOHODESK_AUTH=hmac, the default)', () => {
  it("computes what zoho.encryption.hmacsha256 returns by default (base64): Zoho's documented examples", () => {
    // https://www.zoho.com/deluge/help/encryption/hmac-sha256.html, examples 1 (base64) and 2 (hex).
    expect(
      hmac('sha256', 'sk_5Ow7B_4eC39H', ['{Order ID: 0932, Currency: USD, Amount: 2500}'], 'base64'),
    ).toBe('E3IZY+esQ59aLmPCYYVjk2R/P1G0k77r9ZGa9Lw94Zw=');
    expect(hmac('sha256', 'sk_5Ow7B_4eC39H', ['{Order ID: 0932, Currency: USD, Amount: 2500}'], 'hex')).toBe(
      '13721963e7ac439f5a2e63c261856393647f3f51b493beebf5919af4bc3de19c',
    );
    expect(hmac('sha256', 'Use me to generate hash', ['My#New#Password'], 'base64')).toBe(
      'edYCyxkU4jL2dEjEDO8aUy8WZrpKRvQquNpgKUqe5vA=',
    );
  });

  it('accepts a vector computed with openssl', async () => {
    // printf '%s' "$body" | openssl dgst -sha256 -hmac zd_vector_key -binary | base64
    const body =
      '[{"eventType":"Ticket_Update","payload":{"id":"7","status":"Closed","closedTime":"2026-11-20T15:42:07.000Z"}}]';
    const request = raw(body, { 'x-wolkvox-signature': 'S7LDMcesK746tXPQmve/QRBCzTUgJKXa+Y/WnqQto+Q=' });
    const event = accepted(await readRequest(zohoDeskSource(), request, context('zd_vector_key')));
    expect(event).toMatchObject({ ticketId: '7', resolvedAt: '2026-11-20T15:42:07.000Z', caseId: null });
  });

  it('accepts any configured key (rotation) and refuses a missing, wrong or hex signature', async () => {
    const body = sample('Ticket_Update.closed.json');
    await expect(
      settled(() => zohoDeskSource().verify(signed(body, 'zd_new'), context('zd_old, zd_new'))),
    ).resolves.toBeDefined();
    await expect(
      settled(() => zohoDeskSource().verify(signed(body, 'zd_old'), context('zd_old,zd_new'))),
    ).resolves.toBeDefined();
    await expect(
      settled(() => zohoDeskSource().verify(signed(body, 'zd_other'), context('zd_old,zd_new'))),
    ).rejects.toThrow(SignatureError);
    await expect(settled(() => zohoDeskSource().verify(raw(body), context()))).rejects.toMatchObject({
      internalReason: 'no X-Wolkvox-Signature header',
    });
    const hex = createHmac('sha256', SECRET).update(body).digest('hex');
    await expect(
      settled(() => zohoDeskSource().verify(raw(body, { 'x-wolkvox-signature': hex }), context())),
    ).rejects.toThrow(SignatureError);
  });

  it('publishes in the guide exactly the Deluge function, which signs the text it sends with the default (base64) output', () => {
    const guide = readFileSync(new URL('../../../docs/providers/zohodesk.md', import.meta.url), 'utf8');
    expect(guide).toContain(ZOHODESK_DELUGE_FUNCTION);
    expect(ZOHODESK_DELUGE_FUNCTION).toContain('signature = zoho.encryption.hmacsha256(secret,body);');
    expect(ZOHODESK_DELUGE_FUNCTION).toContain('parameters:body');
    expect(ZOHODESK_DELUGE_FUNCTION).toContain('"X-Wolkvox-Signature":signature');
  });

  it('does not take the URL token instead of the signature', async () => {
    const body = sample('Ticket_Update.closed.json');
    await expect(
      settled(() => zohoDeskSource().verify(raw(body, {}, { token: SECRET }), context())),
    ).rejects.toThrow(SignatureError);
  });
});

describe('zohodesk URL token (ZOHODESK_AUTH=token)', () => {
  const tokenSource = () => zohoDeskSource({ auth: 'token' });
  const TOKEN = 'zd_url_token_Xr5Tq2Wn8Lc4';
  const body = sample('Ticket_Update.closed.json');

  it('declares what the token covers: the sender, not the body', () => {
    expect(tokenSource().trust).toBe(ZOHODESK_TOKEN_TRUST);
    expect(ZOHODESK_TOKEN_TRUST).toMatchObject({ covers: 'sender', signed: [], replayWindowSeconds: null });
    expect(zohoDeskSource().trust).toBe(ZOHODESK_HMAC_TRUST);
    expect(ZOHODESK_HMAC_TRUST.covers).toBe('bytes');
  });

  it('accepts the token from the token query parameter, either of two during a rotation', async () => {
    const event = accepted(
      await readRequest(tokenSource(), raw(body, {}, { token: TOKEN }), context(`zd_old_token,${TOKEN}`)),
    );
    expect(event.caseId).toBe(SEED_CASE_IDS.cobroDoble);
    await expect(
      settled(() =>
        tokenSource().verify(raw(body, {}, { token: 'zd_old_token' }), context(`zd_old_token, ${TOKEN}`)),
      ),
    ).resolves.toBeDefined();
  });

  it('refuses a missing, empty, wrong, prefixed or extended token, and any token when none is configured', async () => {
    const queries: Record<string, string>[] = [
      {},
      { token: '' },
      { token: 'guess' },
      { token: `${TOKEN}x` },
      { token: TOKEN.slice(0, -1) },
      { Token: TOKEN },
      { secret: TOKEN },
    ];
    for (const query of queries) {
      await expect(
        settled(() => tokenSource().verify(raw(body, {}, query), context(TOKEN))),
        JSON.stringify(query),
      ).rejects.toThrow(SignatureError);
    }
    await expect(
      settled(() => tokenSource().verify(raw(body, {}, { token: TOKEN }), context(''))),
    ).rejects.toThrow(SignatureError);
    // The signature header is no credential in this mode.
    await expect(
      settled(() =>
        tokenSource().verify(raw(body, { 'x-wolkvox-signature': signature(body, TOKEN) }), context(TOKEN)),
      ),
    ).rejects.toThrow(SignatureError);
  });

  it('compares fixed-length digests in constant time, whatever length is presented', () => {
    // Different lengths compare as equal-length SHA-256 digests (timingSafeEqual needs equal lengths).
    expect(zohoDeskTokenMatches('a', ['a-much-longer-configured-token', 'b'])).toBe(false);
    expect(zohoDeskTokenMatches('b', ['a-much-longer-configured-token', 'b'])).toBe(true);
    expect(zohoDeskTokenMatches('', ['x'])).toBe(false);
    // Every configured token is compared, even after a match (no early exit that times the position).
    expect(zohoDeskTokenMatches('first', ['first', 'second'])).toBe(true);
    expect(zohoDeskTokenMatches('second', ['first', 'second'])).toBe(true);
  });

  it('never names the token in what it refuses with', async () => {
    for (const token of ['guess-zzz', `${TOKEN}x`]) {
      try {
        await tokenSource().verify(raw(body, {}, { token }), context(TOKEN));
        throw new Error('accepted');
      } catch (error) {
        expect(error).toBeInstanceOf(SignatureError);
        const said = `${(error as SignatureError).message} ${(error as SignatureError).internalReason}`;
        expect(said).not.toContain(token);
        expect(said).not.toContain(TOKEN);
      }
    }
  });
});

describe('zohodesk read', () => {
  it('closes the case named by cf_wolkvox_id with the resolution, the assignee e-mail and the signed closing time', async () => {
    const event = accepted(await deliver(sample('Ticket_Update.closed.json')));
    expect(event).toEqual({
      kind: 'ticket',
      provider: 'zohodesk',
      eventId: '189473000000498765:2026-11-22T19:20:00.000Z',
      ticketId: '189473000000498765',
      resolvedAt: '2026-11-22T19:20:00.000Z',
      caseId: SEED_CASE_IDS.cobroDoble,
      priority: 'High',
      caseType: 'Problem',
      assignee: { id: '189473000000139001', email: 'andres.rojas@acme-cobranzas.com' },
      solution: {
        resolution:
          'Se reversó el cobro duplicado de la cuota de octubre de la tarjeta 4587; el abono se verá en el próximo extracto.',
      },
      customFields: {
        ticket_id: '189473000000498765',
        ticket_number: '2047',
        ticket_url: 'https://desk.zoho.com/support/acmecobranzas/ShowHomePage.do#Cases/dv/189473000000498765',
      },
      attachments: [],
    });
  });

  it('decides each event of an array on its own', async () => {
    const second = structuredClone(closing());
    second.payload.id = '189473000000498999';
    second.payload.closedTime = '2026-11-22T20:00:00.000Z';
    second.payload.cf.cf_wolkvox_id = SEED_CASE_IDS.acuerdoPago;
    const unrelated = events('Ticket_Update.closed.json')[0] as ZohoEvent;
    const reading = await (
      await zohoDeskSource().verify(signed([unrelated, closing(), second]), context())
    ).read(context());
    if (reading.action !== 'each') throw new Error(`expected each, got ${reading.action}`);
    expect(reading.items.map((item) => item.action)).toEqual(['ignore', 'accept', 'accept']);
    expect(reading.items.map((item) => (item.action === 'accept' ? item.event.caseId : null))).toEqual([
      null,
      SEED_CASE_IDS.cobroDoble,
      SEED_CASE_IDS.acuerdoPago,
    ]);
    // Nothing relevant at all: one ignore naming the count.
    const onHold = events('Ticket_Update.on-hold.json')[0] as ZohoEvent;
    expect(await deliver([unrelated, onHold])).toMatchObject({
      action: 'ignore',
      reason: expect.stringContaining('none of the 2 events'),
    });
  });

  it('ignores an update that does not move the status into a closed one', async () => {
    const notChanged = closing();
    notChanged.prevState = { priority: 'Medium' };
    expect(await deliver([notChanged])).toMatchObject({
      action: 'ignore',
      reason: expect.stringContaining('did not change'),
    });
    const already = closing();
    already.prevState = { status: 'closed' };
    expect(await deliver([already])).toMatchObject({
      action: 'ignore',
      reason: expect.stringContaining('already'),
    });
    expect(await deliver(sample('Ticket_Update.on-hold.json'))).toMatchObject({
      action: 'ignore',
      reason: 'ticket status "On Hold" is not a closed one (ZOHODESK_CLOSED_STATUSES)',
    });
    const other = closing();
    other.eventType = 'Ticket_Add';
    expect(await deliver([other])).toMatchObject({
      action: 'ignore',
      reason: expect.stringContaining('"Ticket_Add"'),
    });
  });

  it('without prevState (the Deluge function), takes closedTime first so later edits are the same identity', async () => {
    const first = closing();
    delete first.prevState;
    const later = structuredClone(first);
    later.payload.modifiedTime = '2026-11-23T08:00:00.000Z';
    const a = accepted(await deliver([first]));
    const b = accepted(await deliver([later]));
    expect(b.eventId).toBe(a.eventId);
    expect(b.resolvedAt).toBe('2026-11-22T19:20:00.000Z');
    const noClosedTime = structuredClone(first);
    noClosedTime.payload.closedTime = null;
    expect(accepted(await deliver([noClosedTime])).resolvedAt).toBe('2026-11-22T19:20:00.000Z');
    noClosedTime.payload.modifiedTime = null;
    expect(await malformed(() => deliver([noClosedTime]))).toEqual([
      '[0].payload.closedTime: no time the ticket was closed (nor modifiedTime)',
    ]);
  });

  it('takes the configured closed statuses and case id field', async () => {
    const resolved = closing();
    resolved.payload.status = 'Resuelto';
    resolved.payload.cf = { cf_caso_wolkvox: SEED_CASE_IDS.pazYSalvo };
    const source = zohoDeskSource({ closedStatuses: ['closed', 'resuelto'], caseIdField: 'cf_caso_wolkvox' });
    expect(accepted(await deliver([resolved], source)).caseId).toBe(SEED_CASE_IDS.pazYSalvo);
    expect(await deliver([resolved])).toMatchObject({ action: 'ignore' });
  });

  it('uses the last public thread when there is no resolution; a private one is no solution', async () => {
    const event = closing();
    event.payload.resolution = null;
    event.payload.lastThread = { visibility: 'public', content: '<p>Cobro <b>reversado</b>.</p>' };
    expect(accepted(await deliver([event])).solution).toEqual({ lastPublicReply: 'Cobro reversado.' });
    const parked = accepted(await deliver(sample('Ticket_Update.closed.no-solution.json')));
    expect(parked.solution).toEqual({});
    expect(parked.caseId).toBe(SEED_CASE_IDS.horarioAtencion);
  });

  it('names no case when the field is missing or not a wolkvox id', async () => {
    const missing = closing();
    missing.payload.cf = {};
    expect(accepted(await deliver([missing]))).toMatchObject({
      caseId: null,
      targetProblem: 'custom field "cf_wolkvox_id" is empty: the ticket names no wolkvox case',
    });
    const wrong = closing();
    wrong.payload.cf = { cf_wolkvox_id: 'REQ-1002' };
    expect(accepted(await deliver([wrong])).targetProblem).toContain('is not a wolkvox case id');
  });

  it('answers 400 to a body that is not an array of events', async () => {
    expect(await malformed(() => deliver('{"eventType":"Ticket_Update"}'))).not.toEqual([]);
    expect(await malformed(() => deliver('[]'))).not.toEqual([]);
    const noStatus = closing();
    delete noStatus.payload.status;
    expect((await malformed(() => deliver([noStatus])))[0]).toContain(
      '[1].payload.status'.replace('[1]', '[0]'),
    );
  });

  it('reads every sample as the catalog says', async () => {
    expect(
      await outcome(zohoDeskSource(), signed(sample('Ticket_Update.on-hold.json')), context()),
    ).toMatchObject({
      action: 'ignore',
    });
  });
});

describe('zohodesk answers through the ticket function: 200 only, never 410, the token never echoed', () => {
  const harness = useSandboxAndSqs();

  async function invoke(
    event: APIGatewayProxyEventV2,
    env: Record<string, string> = {},
    logLevel: 'DEBUG' | 'SILENT' = 'SILENT',
  ) {
    const config = loadConfig({
      ...LOCAL_SETTINGS,
      WOLKVOX_SERVER: harness.sandbox.url,
      WOLKVOX_OPERATION: 'demo',
      DISPATCH: 'direct',
      ...env,
    });
    const runtime = createRuntime(config, {
      secrets: localSecretStore(),
      logLevel,
      attachmentDispatcher: localAttachmentDispatcher(),
    });
    return ticketResolvedHandler(runtime)(event, localContext('ticketResolved'));
  }
  const gateway = (body: string, headers: Record<string, string>, query?: Record<string, string>) =>
    apiGatewayEvent({ family: 'tickets', provider: 'zohodesk', body, headers, ...(query ? { query } : {}) });
  const hmacEvent = (name: string) => {
    const body = sample(name).toString();
    return gateway(body, {
      'content-type': 'application/json',
      'x-wolkvox-signature': signature(body, LOCAL_SECRETS.ZOHODESK_WEBHOOK_TOKEN),
    });
  };

  it('answers 200 to applied, ignored and parked deliveries alike', async () => {
    for (const [name, status] of [
      ['Ticket_Update.closed.json', 'applied'],
      ['Ticket_Update.on-hold.json', 'ignored'],
      ['Ticket_Update.closed.no-solution.json', 'parked'],
    ] as const) {
      const answer = await invoke(hmacEvent(name));
      expect(
        [answer.statusCode, (JSON.parse(answer.body ?? '{}') as { status: string }).status],
        name,
      ).toEqual([200, status]);
    }
  });

  it('refuses a forgery with 401, never 410', async () => {
    const event = hmacEvent('Ticket_Update.closed.json');
    const answer = await invoke({ ...event, body: (event.body ?? '').replace('4587', '4588') });
    expect(answer.statusCode).toBe(401);
    expect(answer.statusCode).not.toBe(410);
  });

  it('in token mode, neither the answer nor any log line carries the token', async () => {
    const token = LOCAL_SECRETS.ZOHODESK_WEBHOOK_TOKEN;
    const written: string[] = [];
    const capture = (chunk: unknown) => {
      written.push(String(chunk));
      return true;
    };
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(capture);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(capture);
    const log = vi
      .spyOn(console, 'log')
      .mockImplementation((...args: unknown[]) => void capture(args.join(' ')));
    const body = sample('Ticket_Update.closed.json').toString();
    const answers = [];
    try {
      const queries: Record<string, string>[] = [{ token }, { token: `${token}-wrong` }, {}];
      for (const query of queries) {
        answers.push(
          await invoke(
            gateway(body, { 'content-type': 'application/json' }, query),
            { ZOHODESK_AUTH: 'token' },
            'DEBUG',
          ),
        );
      }
    } finally {
      out.mockRestore();
      err.mockRestore();
      log.mockRestore();
    }
    expect(answers.map((a) => a.statusCode)).toEqual([200, 401, 401]);
    for (const answer of answers) {
      expect(JSON.stringify(answer)).not.toContain(token);
      expect(answer.statusCode).not.toBe(410);
    }
    // The lines were captured (the applied delivery logs), and none names the token.
    expect(written.join('\n')).toContain('zohodesk');
    expect(written.join('\n')).not.toContain(token);
  });
});
