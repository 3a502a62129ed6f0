import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type Sandbox,
  SEED_CASE_IDS,
  SEED_OBLIGATION_IDS,
  SEED_RECORD_IDS,
  startSandbox,
} from '#lib/sandbox/index.ts';
import { type CallRecord, createWolkvoxClient, type TokenProvider } from '#lib/wolkvox/client.ts';
import { WolkvoxError } from '#lib/wolkvox/errors.ts';
import { resolveWolkvoxServer } from '#lib/wolkvox/host.ts';

const TOKEN = 'client-test-token-5f1c';
let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ tokens: [TOKEN] });
});
afterAll(() => sandbox.close());
afterEach(() => sandbox.reset());

function baseUrl(): string {
  const resolved = resolveWolkvoxServer(sandbox.url);
  if (!resolved.ok) throw new Error(resolved.problem);
  return resolved.baseUrl;
}

const fixedToken = (value = TOKEN): TokenProvider => ({ get: async () => value });

function client(
  options: { token?: TokenProvider; timeoutMs?: number; calls?: CallRecord[]; maxInFlight?: number } = {},
) {
  return createWolkvoxClient({
    baseUrl: baseUrl(),
    operation: sandbox.operation,
    token: options.token ?? fixedToken(),
    timeoutMs: options.timeoutMs ?? 5_000,
    maxInFlight: options.maxInFlight,
    onCall: (call) => options.calls?.push(call),
  });
}

async function failure(promise: Promise<unknown>): Promise<WolkvoxError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof WolkvoxError)) throw new Error(`expected a WolkvoxError, got ${String(error)}`);
  return error;
}

const carlos = {
  wolkvoxId: SEED_RECORD_IDS.carlosRamirez,
  obligation: SEED_OBLIGATION_IDS.carlosLibreInversion,
};

describe('collections endpoints', () => {
  it('queryObligation returns the obligation in write shape, or null when not found', async () => {
    const obligation = await client().queryObligation(carlos);
    expect(obligation).toMatchObject({
      id: carlos.obligation,
      total_balance: expect.stringMatching(/^\d+$/),
    });
    expect(Array.isArray(obligation?.form)).toBe(true);
    expect(await client().queryObligation({ ...carlos, obligation: 'NOPE-1' })).toBeNull();
    const [request] = sandbox.requests();
    expect(request?.endpoint).toBe('collections/queryObligation.php');
    expect(request?.json).toEqual({
      operation: sandbox.operation,
      wolkvox_id: carlos.wolkvoxId,
      obligation: carlos.obligation,
    });
  });

  it('updateObligation sends the complete obligation and wolkvox stores it', async () => {
    const api = client();
    const before = await api.queryObligation(carlos);
    if (!before) throw new Error('seed obligation missing');
    await api.updateObligation({
      ...carlos,
      fields: { ...before, last_pay: '150000', last_pay_date: '23-11-2026' },
    });
    const after = await api.queryObligation(carlos);
    expect(after).toEqual({ ...before, last_pay: '150000', last_pay_date: '23-11-2026' });
    const update = sandbox.requests().find((r) => r.endpoint === 'collections/updateObligation.php');
    expect(update?.method).toBe('POST');
    expect(update?.contentType).toMatch(/^application\/json/);
  });

  it('insertObligation creates a new obligation on a record', async () => {
    const api = client();
    const fields = {
      id: 'NEW-1',
      name: 'Acuerdo de pago',
      total_balance: '500000',
      portfolio_type: 'Consumo',
      last_pay: '',
      last_pay_date: '',
      expiring_date: '31-12-2026',
      days_delay: '0',
      form: [{ name: 'Canal', value: 'API' }],
    };
    await api.insertObligation({ wolkvoxId: carlos.wolkvoxId, fields });
    expect(await api.queryObligation({ wolkvoxId: carlos.wolkvoxId, obligation: 'NEW-1' })).toEqual(fields);
  });
});

describe('cases endpoints', () => {
  it('updateCase sends multipart text parts and every file as a `files` part, byte for byte', async () => {
    const pdf = new Uint8Array([0x25, 0x50, 0x44, 0x46, 0x2d, 0x31, 0x2e, 0x37, 0x00, 0xff]);
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    await client().updateCase({
      wolkvoxId: SEED_CASE_IDS.pazYSalvo,
      status: 'Resuelto',
      solution: 'Se expidió el paz y salvo — línea 1\nlínea 2',
      priority: 'Alta',
      form: { 'Canal de cierre': 'Zendesk', Ticket: '4521' },
      files: [
        { filename: 'paz y salvo.pdf', contentType: 'application/pdf', data: pdf },
        { filename: 'captura.png', contentType: 'image/png', data: png },
      ],
    });
    const [request] = sandbox.requests();
    expect(request?.endpoint).toBe('cases/update.php');
    expect(request?.contentType).toMatch(/^multipart\/form-data; boundary=/);
    expect(request?.form?.fields).toEqual({
      operation: [sandbox.operation],
      'wolkvox-id': [SEED_CASE_IDS.pazYSalvo],
      status: ['Resuelto'],
      // multipart/form-data normalises line breaks in text parts to CRLF (WHATWG FormData), as browsers do.
      solution: ['Se expidió el paz y salvo — línea 1\r\nlínea 2'],
      priority: ['Alta'],
      form: [JSON.stringify({ 'Canal de cierre': 'Zendesk', Ticket: '4521' })],
    });
    const files = request?.form?.files ?? [];
    expect(files.map((f) => [f.field, f.filename, f.contentType])).toEqual([
      ['files', 'paz y salvo.pdf', 'application/pdf'],
      ['files', 'captura.png', 'image/png'],
    ]);
    expect(files[0]?.data.equals(Buffer.from(pdf))).toBe(true);
    expect(files[1]?.data.equals(Buffer.from(png))).toBe(true);
    const updated = sandbox.state().cases.find((c) => c.wolkvox_id === SEED_CASE_IDS.pazYSalvo);
    expect(updated).toMatchObject({ status: 'Resuelto', priority: 'Alta', form: { Ticket: '4521' } });
    expect(updated?.attachments.map((a) => a.filename)).toEqual(['paz y salvo.pdf', 'captura.png']);
  });

  it('updateCase without optional fields sends only operation and the id', async () => {
    await client().updateCase({ wolkvoxId: SEED_CASE_IDS.horarioAtencion });
    expect(sandbox.requests()[0]?.form).toEqual({
      fields: { operation: [sandbox.operation], 'wolkvox-id': [SEED_CASE_IDS.horarioAtencion] },
      files: [],
    });
  });

  it('insertCase returns the new id and queryCases finds it', async () => {
    const api = client();
    const seeded = sandbox.state().cases[0];
    if (!seeded) throw new Error('no seeded case');
    const id = await api.insertCase({
      caseType: seeded.type,
      responsible: seeded.responsible,
      owner: seeded.owner,
      contact: seeded.contact,
      description: 'Solicitud de certificado de deuda',
      status: seeded.status,
      priority: seeded.priority,
    });
    expect(id).toMatch(/^[0-9a-f]{24}$/);
    const found = await api.queryCases({ field: 'wolkvox-id', value: id });
    expect(found.map((c) => c.wolkvox_id)).toEqual([id]);
    expect(await api.queryCases({ field: 'wolkvox-id', value: 'ffffffffffffffffffffffff' })).toEqual([]);
  });
});

describe('answer classes', () => {
  it.each([
    ['error500', 'transient'],
    ['html502', 'transient'],
    ['reset', 'transient'],
    ['maintenance', 'transient'],
    ['simultaneous', 'transient'],
    ['tokenLimit', 'quota'],
  ] as const)('%s → %s, with wolkvox message kept', async (fault, kind) => {
    const calls: CallRecord[] = [];
    sandbox.failNext(fault);
    const error = await failure(client({ calls }).queryObligation(carlos));
    expect(error.kind).toBe(kind);
    expect(error.retryable).toBe(true);
    expect(calls).toEqual([
      expect.objectContaining({ endpoint: 'collections/queryObligation.php', outcome: kind }),
    ]);
    if (fault === 'tokenLimit') expect(error.wolkvoxMessage).toBe('TOKEN LIMIT EXCEEDED');
  });

  it('timeout → transient, bounded by the request deadline', async () => {
    sandbox.failNext('timeout');
    const started = Date.now();
    const error = await failure(client({ timeoutMs: 300 }).queryObligation(carlos));
    expect(error).toMatchObject({ kind: 'transient', message: expect.stringContaining('deadline') });
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it("the caller's signal (Lambda remaining time) cuts the call short", async () => {
    sandbox.setFaults({ latencyMs: 2_000 });
    const error = await failure(client().queryObligation(carlos, { signal: AbortSignal.timeout(100) }));
    expect(error.kind).toBe('transient');
  });

  it('a quota exhausted by the daily limit is a quota failure', async () => {
    const limited = await startSandbox({ tokens: [TOKEN], dailyQuota: 1 });
    try {
      const resolved = resolveWolkvoxServer(limited.url);
      if (!resolved.ok) throw new Error(resolved.problem);
      const api = createWolkvoxClient({
        baseUrl: resolved.baseUrl,
        operation: limited.operation,
        token: fixedToken(),
      });
      await api.queryObligation(carlos);
      expect((await failure(api.queryObligation(carlos))).kind).toBe('quota');
    } finally {
      await limited.close();
    }
  });

  it('permanent: unknown record, and a wrong method (405)', async () => {
    const notFound = await failure(
      client().updateObligation({
        wolkvoxId: 'ffffffffffffffffffffffff',
        obligation: 'X',
        fields: {
          id: 'X',
          name: '',
          total_balance: '',
          portfolio_type: '',
          last_pay: '',
          last_pay_date: '',
          expiring_date: '',
          days_delay: '',
          form: [],
        },
      }),
    );
    expect(notFound).toMatchObject({ kind: 'permanent', status: 404, retryable: false });
    const put = createWolkvoxClient({
      baseUrl: baseUrl(),
      operation: sandbox.operation,
      token: fixedToken(),
      obligationUpdateMethod: 'PUT',
    });
    const before = await put.queryObligation(carlos);
    if (!before) throw new Error('seed obligation missing');
    expect(await failure(put.updateObligation({ ...carlos, fields: before }))).toMatchObject({
      kind: 'permanent',
      status: 405,
    });
  });

  it('permanent: a closed status without a solution names wolkvox message', async () => {
    const error = await failure(
      client().updateCase({ wolkvoxId: SEED_CASE_IDS.cobroDoble, status: 'Resuelto' }),
    );
    expect(error).toMatchObject({
      kind: 'permanent',
      status: 400,
      wolkvoxMessage: 'SOME PARAMETERS ARE REQUIRED',
    });
  });

  it('auth: a rejected token is refreshed once, then the call succeeds with the new one', async () => {
    let refreshes = 0;
    const rotating: TokenProvider = {
      get: async () => 'old-token-revoked',
      refresh: async () => {
        refreshes++;
        return TOKEN;
      },
    };
    expect(await client({ token: rotating }).queryObligation(carlos)).not.toBeNull();
    expect(refreshes).toBe(1);
    expect(sandbox.requests().map((r) => r.status)).toEqual([403, 200]);
  });

  it('auth: without a new token the auth failure surfaces (no loop)', async () => {
    let refreshes = 0;
    const stuck: TokenProvider = {
      get: async () => 'revoked',
      refresh: async () => {
        refreshes++;
        return 'revoked';
      },
    };
    const error = await failure(client({ token: stuck }).queryObligation(carlos));
    expect(error).toMatchObject({ kind: 'auth', wolkvoxMessage: 'PLEASE VALIDATE TOKEN' });
    expect(refreshes).toBe(1);
    expect(sandbox.requests()).toHaveLength(1);
  });
});

describe('limits and hygiene', () => {
  it('never has more than 2 requests in flight per token; extra calls wait instead of failing', async () => {
    sandbox.setFaults({ latencyMs: 60 });
    const api = client();
    const results = await Promise.all(Array.from({ length: 10 }, () => api.queryObligation(carlos)));
    expect(results.every((r) => r !== null)).toBe(true);
    const stats = sandbox.stats();
    expect(stats.maxInFlight[sandbox.tokenLabel(TOKEN)]).toBe(2);
    expect(stats.rejectedSimultaneous).toBe(0);
    expect(Math.max(...sandbox.requests().map((r) => r.inFlightAtStart))).toBeLessThanOrEqual(1);
  });

  it('with maxInFlight 1, two containers (one client each) stay within the token limit together', async () => {
    sandbox.setFaults({ latencyMs: 40 });
    const a = client({ maxInFlight: 1 });
    const b = client({ maxInFlight: 1 });
    await Promise.all([
      ...Array.from({ length: 4 }, () => a.queryObligation(carlos)),
      ...Array.from({ length: 4 }, () => b.queryObligation(carlos)),
    ]);
    expect(sandbox.stats().maxInFlightOverall).toBe(2);
    expect(sandbox.stats().rejectedSimultaneous).toBe(0);
    sandbox.reset();
    sandbox.setFaults({ latencyMs: 40 });
    await Promise.all(Array.from({ length: 4 }, () => a.queryObligation(carlos)));
    expect(sandbox.stats().maxInFlightOverall).toBe(1);
  });

  it("never exceeds wolkvox's limit, whatever maxInFlight says", async () => {
    sandbox.setFaults({ latencyMs: 40 });
    const api = client({ maxInFlight: 5 });
    await Promise.all(Array.from({ length: 6 }, () => api.queryObligation(carlos)));
    expect(sandbox.stats().maxInFlightOverall).toBe(2);
    expect(sandbox.stats().rejectedSimultaneous).toBe(0);
  });

  it('keeps connections alive and reuses them', async () => {
    const api = client();
    const opened = sandbox.stats().connectionsOpened;
    for (let i = 0; i < 8; i++) await api.queryObligation(carlos);
    expect(sandbox.stats().connectionsOpened - opened).toBeLessThanOrEqual(2);
  });

  it('the token travels only in the Wolkvox-Token header and never in errors', async () => {
    const api = client();
    await api.queryObligation(carlos);
    await api.updateCase({ wolkvoxId: SEED_CASE_IDS.acuerdoPago, priority: 'Media' });
    for (const request of sandbox.requests()) {
      expect(request.headers['wolkvox-token']).toBe(TOKEN);
      const elsewhere = { ...request, headers: { ...request.headers, 'wolkvox-token': '' }, token: '' };
      expect(JSON.stringify(elsewhere)).not.toContain(TOKEN);
      expect(request.path).not.toContain(TOKEN);
    }
    sandbox.failNext('error500');
    const error = await failure(api.queryObligation(carlos));
    expect(`${String(error)} ${JSON.stringify(error)} ${error.stack}`).not.toContain(TOKEN);
  });
});

describe('wolkvoxTokenFrom', () => {
  it('reads WOLKVOX_TOKEN from the secrets source and refreshes it there', async () => {
    const { wolkvoxTokenFrom } = await import('#lib/wolkvox/token.ts');
    const env: Record<string, string> = { WOLKVOX_TOKEN: 'revoked' };
    const { createEnvStore } = await import('#lib/secrets/index.ts');
    const token = wolkvoxTokenFrom(createEnvStore({ env, envFile: '/nonexistent/.env' }));
    expect(await token.get()).toBe('revoked');
    env.WOLKVOX_TOKEN = TOKEN;
    expect(await client({ token }).queryObligation(carlos)).not.toBeNull();
    delete env.WOLKVOX_TOKEN;
    await expect(token.get()).rejects.toThrow(/WOLKVOX_TOKEN/);
  });
});
