import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type Sandbox,
  SEED_CASE_IDS,
  SEED_OBLIGATION_IDS,
  SEED_RECORD_IDS,
  startSandbox,
} from '#lib/sandbox/index.ts';
import { API_PREFIX, ENDPOINTS, MESSAGES, type WolkvoxEnvelope } from '#lib/wolkvox/vendor.ts';

const TOKEN = 'sandbox-token';
const CARLOS = SEED_RECORD_IDS.carlosRamirez;
const LIBRE = SEED_OBLIGATION_IDS.carlosLibreInversion;

interface Answer {
  status: number;
  contentType: string | null;
  body: WolkvoxEnvelope;
}

let sandbox: Sandbox;

beforeEach(async () => {
  sandbox = await startSandbox({ now: () => new Date('2025-03-14T15:00:00Z') });
});

afterEach(async () => {
  await sandbox.close();
});

async function answer(res: Response): Promise<Answer> {
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    body: (await res.json()) as WolkvoxEnvelope,
  };
}

/** POSTs raw JSON; `token: null` leaves the header out. */
async function postJson(path: string, body: unknown, token: string | null = TOKEN): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== null) headers['wolkvox-token'] = token;
  const payload = typeof body === 'string' ? body : JSON.stringify(body);
  return answer(
    await fetch(`${sandbox.url}${API_PREFIX}${path}`, { method: 'POST', headers, body: payload }),
  );
}

async function postForm(path: string, form: FormData): Promise<Answer> {
  const init = { method: 'POST', headers: { 'wolkvox-token': TOKEN }, body: form };
  return answer(await fetch(`${sandbox.url}${API_PREFIX}${path}`, init));
}

function caseForm(fields: Record<string, string>): FormData {
  const form = new FormData();
  form.set('operation', 'demo');
  for (const [name, value] of Object.entries(fields)) form.set(name, value);
  return form;
}

const queryObligation = (obligation: string = LIBRE, wolkvoxId: string = CARLOS) =>
  postJson(ENDPOINTS.queryObligation, { operation: 'demo', wolkvox_id: wolkvoxId, obligation });

const FULL_LIBRE = {
  id: LIBRE,
  name: 'Crédito de libre inversión 6669999',
  total_balance: '1000000',
  portfolio_type: 'Consumo',
  last_pay: '250000',
  last_pay_date: '20-03-2025',
  expiring_date: '05-04-2025',
  days_delay: '0',
  form: [{ name: 'Frecuencia', value: 'Mensual' }],
};

const updateLibre = (fields: Record<string, unknown>) =>
  postJson(ENDPOINTS.updateObligation, { operation: 'demo', wolkvox_id: CARLOS, obligation: LIBRE, fields });

describe('envelope', () => {
  it('answers queries with code "200" as a string and the whole obligation', async () => {
    const res = await queryObligation();
    expect(res.status).toBe(200);
    expect(res.contentType).toMatch(/^application\/json/);
    expect(res.body).toEqual({
      code: '200',
      error: 'null',
      msg: '1 records were are found',
      data: [
        {
          id: LIBRE,
          name: 'Crédito de libre inversión 6669999',
          total_balance: '1250000',
          portfolio_type: 'Consumo',
          last_pay: '350000',
          last_pay_date: '15-10-2024',
          expiring_date: '05-11-2024',
          days_delay: '18',
          form: [
            { name: 'Titulación', value: 'Cartera propia' },
            { name: 'Frecuencia', value: 'Mensual' },
          ],
        },
      ],
    });
  });

  it('answers writes with code 200 as a number and the record id', async () => {
    const res = await updateLibre(FULL_LIBRE);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      code: 200,
      error: 'null',
      msg: MESSAGES.edited,
      data: { wolkvox_id: CARLOS },
    });
  });

  it('answers a query without a match with "0 records were are found", not an error', async () => {
    for (const res of [
      await queryObligation('NO-SUCH'),
      await queryObligation(LIBRE, 'ffffffffffffffffffffffff'),
    ]) {
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ code: '200', error: 'null', msg: '0 records were are found', data: [] });
    }
  });
});

describe('request checks, in order', () => {
  it('refuses an unknown script before looking at the token', async () => {
    const res = await postJson('collections/queryObligations.php', {}, null);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ code: 400, error: 'BAD REQUEST', msg: MESSAGES.apiDoesNotExist, data: [] });
  });

  it('refuses another method on a known script with 405 before the token check', async () => {
    const res = await fetch(`${sandbox.url}${API_PREFIX}${ENDPOINTS.queryObligation}`);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect(await res.json()).toMatchObject({ code: 405, error: 'METHOD NOT ALLOWED' });
  });

  it('asks for the token when the header is missing', async () => {
    const res = await postJson(ENDPOINTS.queryObligation, { operation: 'demo' }, null);
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ code: 401, error: 'UNAUTHORIZED', msg: MESSAGES.enterToken });
  });

  it('refuses an unknown token and an operation the token is not tied to', async () => {
    const badToken = await postJson(ENDPOINTS.queryObligation, { operation: 'demo' }, 'not-a-token');
    expect(badToken.status).toBe(403);
    expect(badToken.body).toMatchObject({ code: 403, error: 'FORBIDDEN', msg: MESSAGES.validateToken });
    const otherOperation = await postJson(ENDPOINTS.queryObligation, {
      operation: 'other',
      wolkvox_id: CARLOS,
      obligation: LIBRE,
    });
    expect(otherOperation.status).toBe(403);
    expect(otherOperation.body.msg).toBe(MESSAGES.validateToken);
  });

  it('answers SOME PARAMETERS ARE REQUIRED for invalid JSON and for missing parameters', async () => {
    const cases = [
      await postJson(ENDPOINTS.queryObligation, '{"operation": "demo",'),
      await postJson(ENDPOINTS.queryObligation, { operation: 'demo', wolkvox_id: CARLOS }),
      await postJson(ENDPOINTS.updateObligation, {
        operation: 'demo',
        wolkvox_id: CARLOS,
        obligation: LIBRE,
      }),
      await postJson(ENDPOINTS.insertObligation, {
        operation: 'demo',
        wolkvox_id: CARLOS,
        fields: { name: 'x' },
      }),
      // The cases hyphen spelling is not the collections key (A4).
      await postJson(ENDPOINTS.queryObligation, {
        operation: 'demo',
        'wolkvox-id': CARLOS,
        obligation: LIBRE,
      }),
    ];
    for (const res of cases) {
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        code: 400,
        error: 'BAD REQUEST',
        msg: MESSAGES.parametersRequired,
        data: [],
      });
    }
  });
});

describe('collections', () => {
  it('replaces the whole obligation on update: omitted fields become empty', async () => {
    await updateLibre({ total_balance: '900000' });
    const [obligation] = (await queryObligation()).body.data as Record<string, unknown>[];
    expect(obligation).toEqual({
      id: LIBRE,
      name: '',
      total_balance: '900000',
      portfolio_type: '',
      last_pay: '',
      last_pay_date: '',
      expiring_date: '',
      days_delay: '',
      form: [],
    });
  });

  it('keeps every field a full update sends', async () => {
    await updateLibre(FULL_LIBRE);
    expect((await queryObligation()).body.data).toEqual([FULL_LIBRE]);
  });

  it('answers 404 for an unknown record or obligation', async () => {
    const unknownRecord = await postJson(ENDPOINTS.updateObligation, {
      operation: 'demo',
      wolkvox_id: 'ffffffffffffffffffffffff',
      obligation: LIBRE,
      fields: FULL_LIBRE,
    });
    expect(unknownRecord.status).toBe(404);
    expect(unknownRecord.body).toMatchObject({ code: 404, error: 'NOT FOUND' });
    const unknownObligation = await postJson(ENDPOINTS.updateObligation, {
      operation: 'demo',
      wolkvox_id: CARLOS,
      obligation: '6669999',
      fields: FULL_LIBRE,
    });
    expect(unknownObligation.status).toBe(404);
  });

  it.each([
    ['total_balance', '1.250.000'],
    ['total_balance', '1250000,50'],
    ['last_pay', '$250000'],
    ['last_pay', 250000],
    ['days_delay', '3.5'],
    ['last_pay_date', '2025-03-20'],
    ['last_pay_date', '31-02-2025'],
    ['expiring_date', '5-4-2025'],
  ])('refuses %s = %j with 412 naming the field', async (field, value) => {
    const res = await updateLibre({ ...FULL_LIBRE, [field]: value });
    expect(res.status).toBe(412);
    expect(res.body).toMatchObject({ code: 412, error: 'PRECONDITION FAILED', data: [] });
    expect(res.body.msg).toContain(field);
    expect((await queryObligation()).body.data).toMatchObject([{ total_balance: '1250000' }]);
  });

  it('accepts DD-MM-YYYY with a day above 12, decimals and empty strings', async () => {
    const res = await updateLibre({
      ...FULL_LIBRE,
      expiring_date: '25-12-2025',
      last_pay_date: '29-02-2024',
      total_balance: '1000000.50',
      last_pay: '',
    });
    expect(res.status).toBe(200);
  });

  it('refuses a form that is not an array of {name, value}', async () => {
    const res = await updateLibre({ ...FULL_LIBRE, form: { Frecuencia: 'Mensual' } });
    expect(res.status).toBe(412);
    expect(res.body.msg).toContain('form');
  });

  it('inserts an obligation once, into an existing record only', async () => {
    const fields = { ...FULL_LIBRE, id: 'NEW-001', name: 'Nueva obligación' };
    const insert = () =>
      postJson(ENDPOINTS.insertObligation, { operation: 'demo', wolkvox_id: CARLOS, fields });
    const first = await insert();
    expect(first.body).toEqual({
      code: 200,
      error: 'null',
      msg: MESSAGES.created,
      data: { wolkvox_id: CARLOS },
    });
    expect((await queryObligation('NEW-001')).body.data).toEqual([fields]);
    const again = await insert();
    expect(again.status).toBe(412);
    const nowhere = await postJson(ENDPOINTS.insertObligation, {
      operation: 'demo',
      wolkvox_id: 'ffffffffffffffffffffffff',
      fields,
    });
    expect(nowhere.status).toBe(404);
  });
});

describe('cases/update.php', () => {
  const REQUEST_CASE = SEED_CASE_IDS.pazYSalvo; // Request, Abierto
  const SUGGESTION_CASE = SEED_CASE_IDS.horarioAtencion; // Suggestions

  const update = (fields: Record<string, string>) => postForm(ENDPOINTS.updateCase, caseForm(fields));
  const caseState = (id: string) => sandbox.state().cases.find((c) => c.wolkvox_id === id);

  it('needs a solution to move to a status with the Closed condition', async () => {
    const without = await update({ 'wolkvox-id': REQUEST_CASE, status: 'Resuelto' });
    expect(without.status).toBe(400);
    expect(without.body.msg).toBe(MESSAGES.parametersRequired);
    expect(caseState(REQUEST_CASE)?.status).toBe('Abierto');

    const open = await update({ 'wolkvox-id': REQUEST_CASE, status: 'En proceso' });
    expect(open.status).toBe(200);
    const closed = await update({
      'wolkvox-id': REQUEST_CASE,
      status: 'Resuelto',
      solution: 'Paz y salvo enviado.',
    });
    expect(closed.body).toEqual({
      code: 200,
      error: 'null',
      msg: MESSAGES.updated,
      data: { wolkvox_id: REQUEST_CASE },
    });
    const state = caseState(REQUEST_CASE);
    expect(state).toMatchObject({ status: 'Resuelto', solution: 'Paz y salvo enviado.' });
    expect(state?.history.filter((h) => h.field === 'status')).toEqual([
      { at: '2025-03-14T15:00:00.000Z', field: 'status', from: 'Abierto', to: 'En proceso' },
      { at: '2025-03-14T15:00:00.000Z', field: 'status', from: 'En proceso', to: 'Resuelto' },
    ]);
  });

  it('checks status and priority against the case type', async () => {
    const statusOfAnotherType = await update({
      'wolkvox-id': REQUEST_CASE,
      status: 'Implementado',
      solution: 's',
    });
    expect(statusOfAnotherType.status).toBe(412);
    expect(statusOfAnotherType.body.msg).toContain('Implementado');
    const priorityOfAnotherType = await update({ 'wolkvox-id': SUGGESTION_CASE, priority: 'Urgente' });
    expect(priorityOfAnotherType.status).toBe(412);
    expect(priorityOfAnotherType.body.msg).toContain('Urgente');
    // The new type is checked against the case's current status (En proceso is not a Suggestions status).
    const retype = await update({ 'wolkvox-id': SEED_CASE_IDS.acuerdoPago, 'case-type': 'Suggestions' });
    expect(retype.status).toBe(412);
    const unknownType = await update({ 'wolkvox-id': REQUEST_CASE, 'case-type': 'Felicitaciones' });
    expect(unknownType.status).toBe(412);
    expect((await update({ 'wolkvox-id': SUGGESTION_CASE, priority: 'Alta' })).status).toBe(200);
  });

  it('accepts only existing users of this operation as responsible', async () => {
    for (const responsible of ['agent_999@demo', 'agent_001@other', 'agent_001']) {
      const res = await update({ 'wolkvox-id': REQUEST_CASE, responsible });
      expect(res.status).toBe(412);
      expect(res.body.msg).toContain(responsible);
    }
    expect((await update({ 'wolkvox-id': REQUEST_CASE, responsible: 'agent_003@demo' })).status).toBe(200);
    expect(caseState(REQUEST_CASE)?.responsible).toBe('agent_003@demo');
  });

  it('answers 404 for an unknown case and 400 without wolkvox-id', async () => {
    expect((await update({ 'wolkvox-id': 'ffffffffffffffffffffffff', status: 'Abierto' })).status).toBe(404);
    // The underscore spelling is the collections key, not the cases one (A5).
    expect((await update({ wolkvox_id: REQUEST_CASE, status: 'Abierto' })).status).toBe(400);
  });

  it('merges the form JSON string into the case and refuses a non-object', async () => {
    await update({ 'wolkvox-id': REQUEST_CASE, form: '{"Canal":"web"}' });
    await update({ 'wolkvox-id': REQUEST_CASE, form: '{"Ticket":"ZD-4411"}' });
    expect(caseState(REQUEST_CASE)?.form).toEqual({ Canal: 'web', Ticket: 'ZD-4411' });
    for (const form of ['not json', '["a"]']) {
      expect((await update({ 'wolkvox-id': REQUEST_CASE, form })).status).toBe(412);
    }
  });

  it('records two `files` parts byte for byte and attaches them', async () => {
    const binary = Uint8Array.from({ length: 256 }, (_, i) => i);
    const text = new TextEncoder().encode('acta de cierre\r\n--no-boundary--\r\n');
    const form = caseForm({ 'wolkvox-id': REQUEST_CASE });
    form.append('files', new Blob([binary], { type: 'application/pdf' }), 'soporte.pdf');
    form.append('files', new Blob([text], { type: 'text/plain' }), 'nota.txt');
    const res = await postForm(ENDPOINTS.updateCase, form);
    expect(res.status).toBe(200);

    const recorded = sandbox.requests().at(-1);
    expect(recorded?.contentType).toMatch(/^multipart\/form-data; boundary=/);
    expect(recorded?.form?.fields).toEqual({ operation: ['demo'], 'wolkvox-id': [REQUEST_CASE] });
    const files = recorded?.form?.files ?? [];
    expect(files.map((f) => [f.field, f.filename, f.contentType, f.size])).toEqual([
      ['files', 'soporte.pdf', 'application/pdf', 256],
      ['files', 'nota.txt', 'text/plain', text.length],
    ]);
    expect(Buffer.compare(files[0]?.data ?? Buffer.alloc(0), Buffer.from(binary))).toBe(0);
    expect(Buffer.compare(files[1]?.data ?? Buffer.alloc(0), Buffer.from(text))).toBe(0);
    expect(files[0]?.sha256).toBe(createHash('sha256').update(binary).digest('hex'));
    expect(caseState(REQUEST_CASE)?.attachments.map((a) => a.filename)).toEqual(['soporte.pdf', 'nota.txt']);
  });

  it('refuses an attachment part named `file` (the field table spelling)', async () => {
    const form = caseForm({ 'wolkvox-id': REQUEST_CASE });
    form.append('file', new Blob(['x']), 'a.txt');
    const res = await postForm(ENDPOINTS.updateCase, form);
    expect(res.status).toBe(412);
    expect(caseState(REQUEST_CASE)?.attachments).toEqual([]);
  });

  it('reads no parameters from a JSON body', async () => {
    const res = await postJson(ENDPOINTS.updateCase, { operation: 'demo', 'wolkvox-id': REQUEST_CASE });
    expect(res.status).toBe(400);
  });
});

describe('cases/insert.php and queryCases.php', () => {
  const NEW_CASE = {
    'case-type': 'Claims',
    responsible: 'agent_002@demo',
    owner: 'ADMIN_@demo',
    contact: 'jorge.martinez@example.net',
    description: 'Pago no aplicado a la obligación MC-001245.',
    status: 'Abierto',
    priority: 'Alta',
  };

  it('creates a case with a new 24-hex id that queryCases then finds', async () => {
    const res = await postForm(ENDPOINTS.insertCase, caseForm(NEW_CASE));
    expect(res.body).toMatchObject({ code: 200, error: 'null', msg: MESSAGES.created });
    const id = (res.body.data as { wolkvox_id: string }).wolkvox_id;
    expect(id).toMatch(/^[0-9a-f]{24}$/);
    expect(Object.values(SEED_CASE_IDS)).not.toContain(id);

    const query = await postJson(ENDPOINTS.queryCases, { operation: 'demo', field: 'wolkvox-id', value: id });
    expect(query.body).toMatchObject({ code: '200', error: 'null', msg: '1 records were are found' });
    expect(query.body.data).toEqual([
      expect.objectContaining({
        wolkvox_id: id,
        idCase: 1006,
        idPrefijo: 'REC-1006',
        type: 'Claims',
        status: 'Abierto',
      }),
    ]);
  });

  it.each([
    ['a missing description', { description: '' }, 400],
    ['a Closed status without solution', { status: 'Rechazado' }, 400],
    ['a status of another type', { status: 'Implementado' }, 412],
    ['an unknown owner', { owner: 'nadie@demo' }, 412],
    ['an unknown contact', { contact: 'nadie@example.com' }, 412],
  ])('refuses %s', async (_label, change, status) => {
    const res = await postForm(ENDPOINTS.insertCase, caseForm({ ...NEW_CASE, ...change }));
    expect(res.status).toBe(status);
    expect(sandbox.state().cases).toHaveLength(5);
  });

  it.each([
    ['idPrefijo', 'REQ-1001', [SEED_CASE_IDS.pazYSalvo]],
    ['idCase', '1002', [SEED_CASE_IDS.cobroDoble]],
    ['email contact', 'mafe.lopez@example.com', [SEED_CASE_IDS.cobroDoble, SEED_CASE_IDS.acuerdoPago]],
    ['type case', 'Request', [SEED_CASE_IDS.pazYSalvo, SEED_CASE_IDS.acuerdoPago]],
    ['status', 'Abierto', [SEED_CASE_IDS.pazYSalvo, SEED_CASE_IDS.reporteCentrales]],
    ['priority', 'Urgente', [SEED_CASE_IDS.reporteCentrales]],
    ['responsible user', 'agent_003@demo', [SEED_CASE_IDS.horarioAtencion]],
    ['idPrefijo', 'REQ-9999', []],
  ])('queryCases by %s = %s', async (field, value, ids) => {
    const res = await postJson(ENDPOINTS.queryCases, { operation: 'demo', field, value });
    expect(res.body.code).toBe('200');
    expect(res.body.msg).toBe(MESSAGES.found(ids.length));
    expect((res.body.data as { wolkvox_id: string }[]).map((c) => c.wolkvox_id)).toEqual(ids);
  });

  it('refuses an unsupported query field', async () => {
    const res = await postJson(ENDPOINTS.queryCases, {
      operation: 'demo',
      field: 'favourite colour',
      value: 'x',
    });
    expect(res.status).toBe(400);
    expect(res.body.msg).toBe(MESSAGES.parametersRequired);
  });
});

describe('control surface', () => {
  it('records each request with its token, lower-cased headers and parsed body', async () => {
    await queryObligation();
    const [recorded] = sandbox.requests();
    expect(recorded).toMatchObject({
      seq: 1,
      at: '2025-03-14T15:00:00.000Z',
      method: 'POST',
      path: `${API_PREFIX}${ENDPOINTS.queryObligation}`,
      endpoint: ENDPOINTS.queryObligation,
      token: TOKEN,
      contentType: 'application/json',
      json: { operation: 'demo', wolkvox_id: CARLOS, obligation: LIBRE },
      status: 200,
      inFlightAtStart: 0,
    });
    expect(recorded?.headers['wolkvox-token']).toBe(TOKEN);
    expect(recorded?.response?.msg).toBe('1 records were are found');
    sandbox.clearRequests();
    expect(sandbox.requests()).toEqual([]);
  });

  it('hands out state as a copy', async () => {
    const copy = sandbox.state();
    const record = copy.records.find((r) => r.wolkvox_id === CARLOS);
    if (record?.obligations[0]) record.obligations[0].total_balance = '1';
    copy.cases.length = 0;
    expect((await queryObligation()).body.data).toMatchObject([{ total_balance: '1250000' }]);
    expect(sandbox.state().cases).toHaveLength(5);
  });

  it('reset() brings back the seed and clears requests and stats', async () => {
    await updateLibre({ total_balance: '1' });
    await postForm(ENDPOINTS.insertCase, caseForm({ 'case-type': 'Request' }));
    sandbox.reset();
    expect(sandbox.requests()).toEqual([]);
    expect(sandbox.stats()).toMatchObject({ requestsTotal: 0, quotaUsed: {}, maxInFlight: {} });
    expect((await queryObligation()).body.data).toMatchObject([
      { total_balance: '1250000', name: expect.any(String) },
    ]);
  });
});
