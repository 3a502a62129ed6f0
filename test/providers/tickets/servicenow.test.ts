import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { runInNewContext } from 'node:vm';
import { Linter } from 'eslint';
import { describe, expect, it } from 'vitest';
import { SignatureError } from '#lib/http/errors.ts';
import { LOCAL_OPERATION } from '#lib/local/defaults.ts';
import servicenowCode, {
  SERVICENOW_SIGNATURE_HEADER,
  SERVICENOW_TIMESTAMP_HEADER,
  generateMac,
  priorityLabel,
  serviceNowBodyKeys,
} from '#lib/providers/tickets/servicenow/provider.ts';
import {
  SERVICENOW_DEFAULT_CASE_ID_FIELD,
  type ServiceNowSettings,
} from '#lib/providers/tickets/servicenow/settings.ts';
import { SEED_CASE_IDS } from '#lib/sandbox/seed.ts';
import { runProviderContract, settled, sourceContext } from '../../support/provider-contract.ts';
import { accepted, malformed, readRequest, request } from '../../support/provider-requests.ts';

const servicenowSource = (settings: Partial<ServiceNowSettings> = {}) =>
  servicenowCode.create({
    operation: LOCAL_OPERATION,
    caseIdField: SERVICENOW_DEFAULT_CASE_ID_FIELD,
    toleranceSeconds: 300,
    ...settings,
  });

const NOW = new Date('2026-11-23T12:00:00Z');
const NOW_SECONDS = String(NOW.getTime() / 1000);

runProviderContract('servicenow', { source: () => servicenowSource(), now: NOW });

const SECRET = 'servicenow_unit_test_secret';
const servicenow = servicenowSource();
const context = (secret = SECRET, at = NOW) => sourceContext({ SERVICENOW_WEBHOOK_SECRET: secret }, at);
/** Computed with node:crypto directly, not with the provider's helper. */
const mac = (secret: string, data: string | Buffer) =>
  createHmac('sha256', secret).update(data).digest('base64');
const headers = (body: string | Buffer, secret = SECRET, timestamp = NOW_SECONDS) => ({
  [SERVICENOW_TIMESTAMP_HEADER]: timestamp,
  [SERVICENOW_SIGNATURE_HEADER]: mac(
    secret,
    Buffer.concat([Buffer.from(`${timestamp}.`), Buffer.from(body)]),
  ),
});
const sample = (name: string) => readFileSync(new URL(`../../../events/servicenow/${name}`, import.meta.url));
type Body = Record<string, unknown> & { fields?: Record<string, unknown> };
const parsed = (name: string) => JSON.parse(sample(name).toString()) as Body;
const normalize = (body: string | Buffer | Body, source = servicenow) => {
  const bytes = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  return readRequest(source, request(bytes, headers(bytes)), context());
};

describe('servicenow verify', () => {
  it("passes helpdesks.md §8's self-check vector of generateMac(base64('sample_key'), 'HmacSHA256', 'sample_data')", () => {
    // The doc's example gives no output; this one was computed with Node and Python (helpdesks.md
    // §8) and again here with `printf sample_data | openssl dgst -sha256 -hmac sample_key -binary | base64`.
    expect(generateMac('sample_key', ['sample_data'])).toBe('4VWUI48lJvmGSF6MYmOVWA9c0hfu55Ur+3e+fUFFFr4=');
  });

  it('accepts an openssl-computed request and reads the resolved incident', async () => {
    const body =
      '{"table":"incident","sys_id":"9d385017c611228701d22104cc95c371","number":"INC0010023","state":"6","resolved_at":"2026-11-22T15:04:05Z","close_code":"","close_notes":"Listo","assigned_to_email":"laura.gomez@acme-cobranzas.com","priority":"2 - High","category":"inquiry","fields":{"u_wolkvox_id":"65b2c3d4e5f6a7b8c9d0e101"}}';
    // printf '%s' "1795435200.$body" | openssl dgst -sha256 -hmac servicenow_vector_secret -binary | base64
    const signed = request(body, {
      [SERVICENOW_TIMESTAMP_HEADER]: '1795435200',
      [SERVICENOW_SIGNATURE_HEADER]: 'v61mKXLPehw6096uu4/cKu92/bgLz3fkPWGEIyz5bNc=',
    });
    const event = accepted(await readRequest(servicenow, signed, context('servicenow_vector_secret')));
    expect(event).toMatchObject({
      ticketId: '9d385017c611228701d22104cc95c371',
      resolvedAt: '2026-11-22T15:04:05.000Z',
      caseId: SEED_CASE_IDS.pazYSalvo,
      solution: { resolution: 'Listo' },
    });
  });

  it('accepts any configured secret (rotation "old,new")', async () => {
    const body = sample('incident.resolved.json');
    const signed = request(body, headers(body, 'sn_new'));
    await expect(settled(() => servicenow.verify(signed, context('sn_old,sn_new')))).resolves.toBeDefined();
    await expect(settled(() => servicenow.verify(signed, context('sn_old')))).rejects.toThrow(SignatureError);
  });

  const body = sample('incident.resolved.json');
  const good = headers(body);
  it.each([
    ['a forged signature (another secret)', request(body, headers(body, 'other'))],
    ['a tampered body', request(Buffer.concat([body, Buffer.from(' ')]), good)],
    [
      'a changed timestamp',
      request(body, { ...good, [SERVICENOW_TIMESTAMP_HEADER]: String(Number(NOW_SECONDS) + 1) }),
    ],
    [
      'a hex signature',
      request(body, {
        ...good,
        [SERVICENOW_SIGNATURE_HEADER]: Buffer.from(
          good[SERVICENOW_SIGNATURE_HEADER] ?? '',
          'base64',
        ).toString('hex'),
      }),
    ],
    [
      'the MAC of the body alone',
      request(body, { ...good, [SERVICENOW_SIGNATURE_HEADER]: mac(SECRET, body) }),
    ],
    ['no signature', request(body, { [SERVICENOW_TIMESTAMP_HEADER]: NOW_SECONDS })],
    [
      'no timestamp',
      request(body, { [SERVICENOW_SIGNATURE_HEADER]: good[SERVICENOW_SIGNATURE_HEADER] ?? '' }),
    ],
  ])('refuses %s', async (_name, signed) => {
    await expect(settled(() => servicenow.verify(signed, context()))).rejects.toThrow(SignatureError);
  });

  it('refuses a signed timestamp outside the 300 s window, either way, and one not in seconds', async () => {
    const at = (seconds: number) =>
      request(body, headers(body, SECRET, String(Number(NOW_SECONDS) + seconds)));
    await expect(settled(() => servicenow.verify(at(-300), context()))).resolves.toBeDefined();
    await expect(settled(() => servicenow.verify(at(300), context()))).resolves.toBeDefined();
    await expect(settled(() => servicenow.verify(at(-301), context()))).rejects.toThrow(SignatureError);
    await expect(settled(() => servicenow.verify(at(301), context()))).rejects.toThrow(SignatureError);
    const millis = `${NOW_SECONDS}000`;
    await expect(
      settled(() => servicenow.verify(request(body, headers(body, SECRET, millis)), context())),
    ).rejects.toThrow(SignatureError);
  });

  it('refuses everything when no secret is configured', async () => {
    await expect(
      settled(() => servicenow.verify(request(body, good), sourceContext({}, NOW))),
    ).rejects.toThrow(SignatureError);
  });
});

describe('servicenow normalize', () => {
  it('incident.resolved.json → the resolution notes, the assignee, the priority label, the category', async () => {
    expect(accepted(await normalize(sample('incident.resolved.json')))).toEqual({
      kind: 'ticket',
      provider: 'servicenow',
      eventId: '9d385017c611228701d22104cc95c371:2026-11-22T15:04:05.000Z',
      ticketId: '9d385017c611228701d22104cc95c371',
      resolvedAt: '2026-11-22T15:04:05.000Z',
      caseId: SEED_CASE_IDS.cobroDoble,
      priority: 'High',
      caseType: 'inquiry',
      assignee: { id: 'laura.gomez@acme-cobranzas.com', email: 'laura.gomez@acme-cobranzas.com' },
      solution: {
        resolution:
          'Se verificó el doble cobro del crédito 6669999: el segundo débito fue reversado el 21/11 y el cliente ya ve el saldo correcto.',
      },
      customFields: { ticket_id: 'INC0010023', close_code: 'Solution provided', table: 'incident' },
      attachments: [],
    });
  });

  it('case.resolved.json → a CSM case resolved (state 6)', async () => {
    expect(accepted(await normalize(sample('case.resolved.json')))).toMatchObject({
      ticketId: 'f2a1c08e1b7d4c5a9e3b6d0f8a2c4e61',
      caseId: SEED_CASE_IDS.reporteCentrales,
      priority: 'Moderate',
      customFields: { ticket_id: 'CS0001058', table: 'sn_customerservice_case' },
    });
  });

  it.each([
    ['incident', '6', 'accept'],
    ['incident', '7', 'accept'],
    ['incident', '2', 'ignore'],
    ['incident', '8', 'ignore'],
    ['sn_customerservice_case', '6', 'accept'],
    ['sn_customerservice_case', '3', 'accept'],
    // 7 is Cancelled on cases: no solution to close a wolkvox case with.
    ['sn_customerservice_case', '7', 'ignore'],
    ['problem', '6', 'ignore'],
  ])('%s in state %s → %s', async (table, state, action) => {
    const decision = await normalize({ ...parsed('incident.resolved.json'), table, state });
    expect(decision.action).toBe(action);
  });

  it('ignores the non-resolving update with its state in the reason', async () => {
    expect(await normalize(sample('incident.in-progress.json'))).toEqual({
      action: 'ignore',
      reason: 'incident state "2" is not resolved or closed (6, 7)',
    });
  });

  it('reads the case id from the configured field, and parks without it', async () => {
    const body = { ...parsed('incident.resolved.json'), fields: { u_caso: SEED_CASE_IDS.acuerdoPago } };
    expect(accepted(await normalize(body, servicenowSource({ caseIdField: 'u_caso' }))).caseId).toBe(
      SEED_CASE_IDS.acuerdoPago,
    );
    expect(accepted(await normalize(body))).toMatchObject({
      caseId: null,
      targetProblem: 'fields.u_wolkvox_id is empty: the ticket names no wolkvox case',
    });
    const bad = { ...body, fields: { u_wolkvox_id: 'INC0010023' } };
    expect(accepted(await normalize(bad)).targetProblem).toBe(
      'fields.u_wolkvox_id "INC0010023" is not a wolkvox case id (24 hexadecimal characters)',
    );
    // An inherited name is no field.
    const proto = servicenowSource({ caseIdField: 'constructor' });
    expect(accepted(await normalize(parsed('incident.resolved.json'), proto)).caseId).toBeNull();
  });

  it('is the same update when a resolved incident is saved again or closed (same sys_id and resolved_at)', async () => {
    const resolved = accepted(await normalize(sample('incident.resolved.json')));
    const closed = accepted(await normalize({ ...parsed('incident.resolved.json'), state: '7' }));
    expect(`${closed.ticketId}:${closed.resolvedAt}`).toBe(`${resolved.ticketId}:${resolved.resolvedAt}`);
  });

  it.each([
    ['2 - High', 'High'],
    ['1 - Critical', 'Critical'],
    ['3 - Moderada', 'Moderada'],
    ['High', 'High'],
    ['- x', '- x'],
    ['', null],
  ])('priority %j → %j', (display, label) => {
    expect(priorityLabel(display)).toBe(label);
  });

  it('answers 400 naming what is wrong', async () => {
    expect(
      await malformed(() => normalize({ ...parsed('incident.resolved.json'), resolved_at: '' })),
    ).toEqual(['resolved_at: not an ISO 8601 time (the Business Rule sends one)']);
    const problems = await malformed(() =>
      normalize({ ...parsed('incident.resolved.json'), sys_id: 'INC1' }),
    );
    expect(problems.join(' ')).toContain('sys_id');
    await expect(malformed(() => normalize('not json'))).resolves.toBeDefined();
  });
});

/** The guide's Business Rule, as the admin pastes it. */
const guide = readFileSync(new URL('../../../docs/providers/servicenow.md', import.meta.url), 'utf8');
const script = /```javascript\n([\s\S]*?)\n```/.exec(guide)?.[1] ?? '';

interface Sent {
  endpoint: string;
  method: string;
  headers: Record<string, string>;
  body: string;
}

/** ServiceNow's documented contract: the key arrives base64-encoded, the MAC leaves in base64. */
class CertificateEncryption {
  generateMac(key: string, algorithm: string, data: string) {
    expect(algorithm).toBe('HmacSHA256');
    return createHmac('sha256', Buffer.from(key, 'base64')).update(data, 'utf8').digest('base64');
  }
}

/** A record as GlideRecord shows it to the script: getValue, dot-walked assigned_to.email. */
function runBusinessRule(record: Record<string, string>, statuses: number[], secret = SECRET) {
  const sent: Sent[] = [];
  const errors: string[] = [];
  const answers = [...statuses];
  class RESTMessageV2 {
    private readonly sending: Sent = { endpoint: '', method: '', headers: {}, body: '' };
    setEndpoint(url: string) {
      this.sending.endpoint = url;
    }
    setHttpMethod(method: string) {
      this.sending.method = method;
    }
    setHttpTimeout() {}
    setRequestHeader(name: string, value: string) {
      this.sending.headers[name.toLowerCase()] = value;
    }
    setRequestBody(body: string) {
      this.sending.body = body;
    }
    execute() {
      sent.push(this.sending);
      const status = answers.shift() ?? 200;
      if (status === 0) throw new Error('connection refused');
      return { getStatusCode: () => status };
    }
  }
  const {
    table = 'incident',
    sys_id = '',
    assigned_to_email = '',
    priority_display = '',
    ...values
  } = record;
  const current = {
    getTableName: () => table,
    getUniqueValue: () => sys_id,
    isValidField: (name: string) => Object.hasOwn(values, name),
    getValue: (name: string) => (Object.hasOwn(values, name) ? values[name] : null),
    getDisplayValue: (name: string) => (name === 'priority' ? priority_display : ''),
    assigned_to: { nil: () => !assigned_to_email, email: assigned_to_email },
  };
  const gs = {
    getProperty: (name: string, fallback: string) => (name === 'wolkvox.webhook.secret' ? secret : fallback),
    base64Encode: (text: string) => Buffer.from(text, 'utf8').toString('base64'),
    error: (message: string) => errors.push(message),
  };
  runInNewContext(script, { current, previous: null, gs, sn_ws: { RESTMessageV2 }, CertificateEncryption });
  return { sent, errors };
}

const INCIDENT = {
  table: 'incident',
  sys_id: '9d385017c611228701d22104cc95c371',
  number: 'INC0010023',
  state: '6',
  resolved_at: '2026-11-22 15:04:05',
  closed_at: '',
  sys_updated_on: '2026-11-22 15:04:06',
  close_code: 'Solution provided',
  close_notes: 'Reversado el débito — “listo” ✓',
  assigned_to_email: 'laura.gomez@acme-cobranzas.com',
  priority_display: '2 - High',
  category: 'inquiry',
  u_wolkvox_id: SEED_CASE_IDS.cobroDoble,
};

describe("the guide's Business Rule", () => {
  it("runs against a stand-in of generateMac that passes helpdesks.md §8's self-check vector", () => {
    const key = Buffer.from('sample_key').toString('base64');
    expect(new CertificateEncryption().generateMac(key, 'HmacSHA256', 'sample_data')).toBe(
      '4VWUI48lJvmGSF6MYmOVWA9c0hfu55Ur+3e+fUFFFr4=',
    );
  });

  it('is in the guide, and is ES5 (the instance runs it in Rhino)', () => {
    expect(script).toContain('generateMac(gs.base64Encode(secret), ');
    const problems = new Linter().verify(script, {
      languageOptions: { ecmaVersion: 5, sourceType: 'script' },
    });
    expect(problems.filter((p) => p.fatal)).toEqual([]);
  });

  it('sends what the verifier accepts and the reader reads as the incident it was run on', async () => {
    const { sent, errors } = runBusinessRule(INCIDENT, [200]);
    expect(errors).toEqual([]);
    expect(sent).toHaveLength(1);
    const [delivery] = sent;
    if (!delivery) throw new Error('nothing sent');
    expect(delivery.method).toBe('post');
    expect(delivery.endpoint).toBe('https://<your api>/webhooks/tickets/servicenow');
    // Only ASCII on the wire: generateMac and the request agree whatever encoding each uses.
    expect(delivery.body).toMatch(/^[\x20-\x7e]*$/);
    const event = accepted(
      await readRequest(
        servicenow,
        request(delivery.body, delivery.headers),
        context(SECRET, new Date(Number(delivery.headers[SERVICENOW_TIMESTAMP_HEADER]) * 1000)),
      ),
    );
    expect(event).toMatchObject({
      ticketId: INCIDENT.sys_id,
      resolvedAt: '2026-11-22T15:04:05.000Z',
      caseId: SEED_CASE_IDS.cobroDoble,
      priority: 'High',
      caseType: 'inquiry',
      assignee: { email: 'laura.gomez@acme-cobranzas.com' },
      solution: { resolution: INCIDENT.close_notes },
      customFields: { ticket_id: 'INC0010023', close_code: 'Solution provided', table: 'incident' },
    });
  });

  it('sets exactly the body keys and the headers the code reads, and the default case id field', () => {
    const [delivery] = runBusinessRule(INCIDENT, [200]).sent;
    if (!delivery) throw new Error('nothing sent');
    const body = JSON.parse(delivery.body) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(serviceNowBodyKeys());
    expect(Object.keys(body.fields as object)).toEqual([SERVICENOW_DEFAULT_CASE_ID_FIELD]);
    expect(Object.keys(delivery.headers).sort()).toEqual(
      ['content-type', SERVICENOW_SIGNATURE_HEADER, SERVICENOW_TIMESTAMP_HEADER].sort(),
    );
  });

  it('falls back to closed_at, and sends a CSM case as its table (resolution_code)', async () => {
    const { resolved_at: _none, close_code: _code, ...rest } = INCIDENT;
    const record = {
      ...rest,
      table: 'sn_customerservice_case',
      state: '3',
      closed_at: '2026-11-22 18:00:00',
      resolution_code: 'Solved (Permanently)',
    };
    const [delivery] = runBusinessRule(record, [200]).sent;
    if (!delivery) throw new Error('nothing sent');
    const at = new Date(Number(delivery.headers[SERVICENOW_TIMESTAMP_HEADER]) * 1000);
    const event = accepted(
      await readRequest(servicenow, request(delivery.body, delivery.headers), context(SECRET, at)),
    );
    expect(event).toMatchObject({
      resolvedAt: '2026-11-22T18:00:00.000Z',
      customFields: { close_code: 'Solved (Permanently)', table: 'sn_customerservice_case' },
    });
  });

  it('retries connection errors, 429 and 5xx up to three times, each attempt signed; not a 4xx', () => {
    const retried = runBusinessRule(INCIDENT, [0, 503, 429]);
    expect(retried.sent).toHaveLength(3);
    expect(retried.errors).toEqual(['wolkvox webhook: incident INC0010023 not delivered (HTTP 429)']);
    for (const delivery of retried.sent) {
      const timestamp = delivery.headers[SERVICENOW_TIMESTAMP_HEADER] ?? '';
      expect(delivery.headers[SERVICENOW_SIGNATURE_HEADER]).toBe(
        mac(SECRET, `${timestamp}.${delivery.body}`),
      );
    }
    expect(runBusinessRule(INCIDENT, [500, 200]).sent).toHaveLength(2);
    const refused = runBusinessRule(INCIDENT, [401]);
    expect(refused.sent).toHaveLength(1);
    expect(refused.errors).toHaveLength(1);
  });

  it('sends nothing and logs when the system property holds no secret', () => {
    const { sent, errors } = runBusinessRule(INCIDENT, [200], '');
    expect(sent).toEqual([]);
    expect(errors).toEqual(['wolkvox webhook: the system property wolkvox.webhook.secret is empty']);
  });
});
