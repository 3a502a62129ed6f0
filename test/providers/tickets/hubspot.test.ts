import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetchAttachments } from '#lib/attachments/index.ts';
import { localAttachmentDispatcher } from '#lib/local/attachments.ts';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ProviderApiError } from '#lib/providers/api.ts';
import { SignatureError } from '#lib/http/errors.ts';
import { LOCAL_OPERATION, LOCAL_SECRETS } from '#lib/local/defaults.ts';
import { type HubSpotRecord, sampleHubSpotRecords } from '#lib/local/provider-apis.ts';
import { apiGatewayEvent } from '#lib/local/sign.ts';
import { rawRequest } from '#lib/http/request.ts';
import hubspotCode, {
  calledUrl,
  decodeSignedUri,
  signedHeaders,
  signV2,
  signV3,
} from '#lib/providers/tickets/hubspot/provider.ts';
import {
  DEFAULT_CLOSED_STAGES,
  type HubSpotSettings,
  LOCAL_WEBHOOK_URL,
} from '#lib/providers/tickets/hubspot/settings.ts';
import type { RawRequest, Reading } from '#lib/providers/types.ts';
import type { TicketResolved } from '#lib/events.ts';
import { SEED_CASE_IDS } from '#lib/sandbox/seed.ts';
import { startLocalProviderApis } from '../../support/harness.ts';
import { outcome, runProviderContract, settled, sourceContext } from '../../support/provider-contract.ts';
import { request } from '../../support/provider-requests.ts';

/** HubSpot's own Node SDK, the oracle: @hubspot/api-client 14.0.1, lib/src/utils/signature.js. */
const { Signature } = createRequire(import.meta.url)('@hubspot/api-client/lib/src/utils/signature.js') as {
  Signature: {
    isValid(options: Record<string, unknown>): boolean;
    getSignature(method: string, version: string, options: Record<string, unknown>): string;
  };
};

const apis = await startLocalProviderApis();
afterAll(() => apis.close());

const NOW = new Date('2026-11-23T12:00:00Z');
const SECRET = LOCAL_SECRETS.HUBSPOT_CLIENT_SECRET;

const hubspotSource = (settings: Partial<HubSpotSettings> = {}) =>
  hubspotCode.create({
    operation: LOCAL_OPERATION,
    caseIdProperty: 'wolkvox_id',
    closedStages: DEFAULT_CLOSED_STAGES,
    apiUrl: apis.env.HUBSPOT_API_URL,
    webhookUrl: LOCAL_WEBHOOK_URL,
    acceptV2: true,
    ...settings,
  });

runProviderContract('hubspot', {
  source: () => hubspotSource(),
  now: NOW,
  // HUBSPOT_ACCESS_TOKEN is the API's credential: it signs nothing.
  signingSecrets: ['HUBSPOT_CLIENT_SECRET'],
  waits: { read: "fetches the ticket from HubSpot's API" },
});

/** The internal reason of the SignatureError (401) a call rejects with. */
async function refusal(call: () => unknown): Promise<string> {
  try {
    await call();
  } catch (error) {
    expect(error).toBeInstanceOf(SignatureError);
    return (error as SignatureError).internalReason;
  }
  throw new Error('expected a SignatureError');
}

const context = (secrets: Record<string, string> = LOCAL_SECRETS, at = NOW) => sourceContext(secrets, at);
const sample = (name: string) =>
  readFileSync(new URL(`../../../events/hubspot/${name}`, import.meta.url), 'utf8');
const signed = (body: string, at = NOW, url = LOCAL_WEBHOOK_URL): RawRequest =>
  request(body, signedHeaders(body, SECRET, at, url));

async function reading(raw: RawRequest, source = hubspotSource()): Promise<Reading<TicketResolved>> {
  const result = await outcome(source, raw, context());
  if ('rejected' in result) throw new Error(`rejected ${result.rejected}`);
  return result;
}

const seeded = await sampleHubSpotRecords();
afterEach(() => {
  for (const record of seeded) apis.hubspot.put(structuredClone(record));
  apis.hubspot.requests.length = 0;
});

describe('hubspot signatures', () => {
  const VECTOR_SECRET = 'yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy';
  const VECTOR_URL = 'https://www.example.com/webhook_uri';
  const vectorSource = hubspotSource({ webhookUrl: VECTOR_URL });
  const vectorContext = (ms: number) =>
    context({ ...LOCAL_SECRETS, HUBSPOT_CLIENT_SECRET: VECTOR_SECRET }, new Date(ms));

  it.each([
    // hubspot-api-python tests/spec/utils/test_signature.py, hubspot-api-ruby spec/helpers/signature_spec.rb (helpdesks.md §4.4)
    ['1693657560000', 'K36dawei4A+QBNolUOqo7s91KQDWQ5MXZ/QufNYuk/Y='],
    ['1700000300000', 'RnbPH7+UMKVkbV32P8bz450N4M56aPmcru1+D3kSDtw='],
  ])('accepts the SDKs’ v3 vector at %s', async (timestamp, signature) => {
    const raw = request("{'example_field':'example_value'}", {
      'x-hubspot-signature-v3': signature,
      'x-hubspot-request-timestamp': timestamp,
    });
    await expect(
      settled(() => vectorSource.verify(raw, vectorContext(Number(timestamp) + 1_000))),
    ).resolves.toBeDefined();
    // One byte of the URL changed: refused.
    const elsewhere = hubspotSource({ webhookUrl: `${VECTOR_URL}/` });
    expect(await refusal(() => elsewhere.verify(raw, vectorContext(Number(timestamp))))).toContain(
      'signature does not match',
    );
  });

  it('accepts the v2 vectors of the docs and SDK tests (workflow deliveries)', async () => {
    const get = {
      ...request('', {
        'x-hubspot-signature-version': 'v2',
        'x-hubspot-signature': 'eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e',
      }),
      line: { method: 'GET', path: '/webhook_uri', rawQuery: '' },
    };
    await expect(
      settled(() => vectorSource.verify(get, vectorContext(NOW.getTime()))),
    ).resolves.toBeDefined();
    const post = request('{"example_field":"example_value"}', {
      'x-hubspot-signature-version': 'v2',
      'x-hubspot-signature': '9569219f8ba981ffa6f6f16aa0f48637d35d728c7e4d93d0d52efaa512af7900',
    });
    await expect(
      settled(() => vectorSource.verify(post, vectorContext(NOW.getTime()))),
    ).resolves.toBeDefined();
    // Turned off, v2 is refused.
    const strict = hubspotSource({ webhookUrl: VECTOR_URL, acceptV2: false });
    expect(await refusal(() => strict.verify(post, vectorContext(NOW.getTime())))).toContain(
      'HUBSPOT_ACCEPT_V2',
    );
  });

  it("signs as HubSpot's SDK computes (oracle), and the SDK validates our signature", () => {
    const body = sample('ticket.propertyChange.closed.json');
    const timestamp = Date.now();
    const url = 'https://hooks.example.com/webhooks/tickets/hubspot?portal=48213957';
    const ours = signV3(SECRET, 'POST', url, body, String(timestamp));
    expect(ours).toBe(
      Signature.getSignature('POST', 'v3', { clientSecret: SECRET, requestBody: body, url, timestamp }),
    );
    expect(
      Signature.isValid({
        signatureVersion: 'v3',
        method: 'POST',
        clientSecret: SECRET,
        requestBody: body,
        url,
        timestamp,
        signature: ours,
      }),
    ).toBe(true);
    expect(signV2(SECRET, 'POST', url, body)).toBe(
      Signature.getSignature('POST', 'v2', { clientSecret: SECRET, requestBody: body, url }),
    );
  });

  it("decodes the URL by HubSpot's rule before hashing (the SDK hashes it as given)", () => {
    const url =
      'https://hooks.example.com/webhooks/tickets/hubspot?a=%3A%2F%3F%40%21%24%27%28%29%2A%2C%3B&b=%20%2B%25';
    expect(decodeSignedUri(url)).toBe(
      "https://hooks.example.com/webhooks/tickets/hubspot?a=:/?@!$'()*,;&b=%20%2B%25",
    );
    expect(decodeSignedUri('%3a%2f')).toBe(':/');
    const timestamp = Date.now();
    const ours = signV3(SECRET, 'POST', url, '[]', String(timestamp));
    expect(
      Signature.isValid({
        signatureVersion: 'v3',
        clientSecret: SECRET,
        requestBody: '[]',
        url: decodeSignedUri(url),
        timestamp,
        signature: ours,
      }),
    ).toBe(true);
  });

  it('builds the URL from the API Gateway request (https + Host + raw path + raw query) unless pinned', async () => {
    const body = sample('ticket.propertyChange.closed.json');
    const event = apiGatewayEvent({
      family: 'tickets',
      provider: 'hubspot',
      body,
      headers: {},
      query: { portal: '48213957', tag: 'a:b' },
      now: NOW,
    });
    const url = `https://${event.headers.host}${event.rawPath}?${event.rawQueryString}`;
    expect(url).toBe(
      'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/webhooks/tickets/hubspot?portal=48213957&tag=a%3Ab',
    );
    event.headers = { ...event.headers, ...signedHeaders(body, SECRET, NOW, url) };
    const raw = rawRequest(event);
    expect(calledUrl(raw, undefined)).toBe(url);
    const derived = hubspotSource({ webhookUrl: undefined });
    await expect(settled(() => derived.verify(raw, context()))).resolves.toBeDefined();
    // Another host (a custom domain HubSpot called) signs another URL: pin it with HUBSPOT_WEBHOOK_URL.
    const viaDomain = { ...raw, headers: { ...raw.headers, host: 'hooks.example.com' } };
    expect(await refusal(() => derived.verify(viaDomain, context()))).toContain('signature does not match');
    const pinned = hubspotSource({ webhookUrl: url });
    await expect(settled(() => pinned.verify(viaDomain, context()))).resolves.toBeDefined();
    const noHost = { ...raw, headers: { ...raw.headers, host: '' } };
    expect(await refusal(() => derived.verify(noHost, context()))).toContain('HUBSPOT_WEBHOOK_URL');
  });

  it('refuses a stale or early timestamp (±5 minutes), a missing one, and a v2-signed batch', async () => {
    const body = sample('ticket.propertyChange.closed.json');
    const source = hubspotSource();
    expect(
      await refusal(() => source.verify(signed(body, new Date(NOW.getTime() - 301_000)), context())),
    ).toContain('older');
    expect(
      await refusal(() => source.verify(signed(body, new Date(NOW.getTime() + 301_000)), context())),
    ).toContain('future');
    const { 'x-hubspot-request-timestamp': _t, ...noTime } = signed(body).headers;
    expect(await refusal(() => source.verify(request(body, noTime), context()))).toContain('Timestamp');
    const v2 = request(body, {
      'x-hubspot-signature-version': 'v2',
      'x-hubspot-signature': signV2(SECRET, 'POST', LOCAL_WEBHOOK_URL, body),
    });
    expect(await refusal(() => source.verify(v2, context()))).toContain('v3');
  });
});

describe('hubspot reading and enrichment', () => {
  it('closes the case of the batch’s closing change with the API’s ticket, owner e-mail and last note; the other event is ignored', async () => {
    const result = await reading(signed(sample('ticket.propertyChange.closed.json')));
    if (result.action !== 'each') throw new Error('expected a batch');
    expect(result.items).toHaveLength(2);
    const [closing, other] = result.items;
    expect(other).toEqual({
      action: 'ignore',
      reason: 'property "hs_ticket_priority" is not hs_pipeline_stage',
    });
    expect(closing).toEqual({
      action: 'accept',
      event: {
        kind: 'ticket',
        provider: 'hubspot',
        eventId: '4701:2026-11-28T17:30:12.000Z',
        ticketId: '4701',
        resolvedAt: '2026-11-28T17:30:05.123Z',
        caseId: SEED_CASE_IDS.pazYSalvo,
        priority: 'MEDIUM',
        caseType: 'GENERAL_INQUIRY',
        assignee: { id: '51234567', email: 'laura.gomez@acme-cobranzas.com' },
        solution: { closingNote: 'Se envió el certificado de paz y salvo al correo del cliente.' },
        customFields: { ticket_id: '4701', hs_resolution: 'ISSUE_FIXED', hs_pipeline: '0' },
        attachments: [
          {
            filename: 'paz-y-salvo.pdf',
            url: 'https://44556677.fs1.hubspotusercontent-na1.net/hubfs/44556677/paz-y-salvo.pdf?Expires=1795890000&Signature=Qm9Tz7Kp2xW4rLc8Vn3bJ6hY1aD5fG0k&Key-Pair-Id=APKAHUBSPOTLOCAL',
            contentType: 'application/pdf',
            size: 692,
          },
        ],
      },
    });
    expect(apis.hubspot.requests).toEqual([
      '/crm/v3/objects/tickets/4701',
      '/crm/v3/owners/51234567',
      '/crm/v3/objects/notes/9002',
      '/crm/v3/objects/notes/9001',
      '/files/v3/files/187230451/signed-url',
    ]);
  });

  it('reads the workflow body’s ticket id only, and everything else from the API (identity: ticket and closed date)', async () => {
    const result = await reading(signed(sample('workflow.ticket.closed.json')));
    if (result.action !== 'accept') throw new Error(result.action);
    expect(result.event).toMatchObject({
      eventId: '4705:2026-11-29T15:02:41.000Z',
      ticketId: '4705',
      resolvedAt: '2026-11-29T15:02:41.000Z',
      caseId: SEED_CASE_IDS.acuerdoPago,
      assignee: { id: '51234568', email: 'andres.rojas@acme-cobranzas.com' },
      solution: { closingNote: 'Acuerdo de pago aprobado: 6 cuotas de $350.000 desde el 5 de diciembre.' },
    });
  });

  it('ignores a closing event when the ticket is no longer in a closed stage (re-checked with the API)', async () => {
    const ticket = seeded.find((r) => r.kind === 'ticket' && r.id === '4701') as HubSpotRecord & {
      kind: 'ticket';
    };
    apis.hubspot.put({ ...ticket, properties: { ...ticket.properties, hs_pipeline_stage: '1' } });
    const result = await reading(signed(sample('ticket.propertyChange.closed.json')));
    if (result.action !== 'each') throw new Error('expected a batch');
    expect(result.items[0]).toEqual({
      action: 'ignore',
      reason: 'the ticket\'s stage is now "1", not closed',
    });
    const workflow = await reading(signed('{"hs_object_id":"4701"}'));
    expect(workflow).toEqual({ action: 'ignore', reason: 'ticket stage "1" is not a closed stage' });
  });

  it('takes its closed stages from the settings (HUBSPOT_CLOSED_STAGES)', async () => {
    const source = hubspotSource({ closedStages: ['3', '4'] });
    // A batch of one event is read as that event's decision.
    const result = await reading(signed(sample('ticket.propertyChange.waiting.json')), source);
    expect(result.action).toBe('accept');
    expect(await reading(signed(sample('ticket.propertyChange.waiting.json')))).toEqual({
      action: 'ignore',
      reason: 'stage "3" is not a closed stage',
    });
    expect(apis.hubspot.requests[0]).toBe('/crm/v3/objects/tickets/4703');
  });

  it('parks a ticket HubSpot does not know (404) and ignores other objects and events without asking the API', async () => {
    const body = JSON.stringify([
      {
        eventId: 1,
        subscriptionType: 'ticket.propertyChange',
        objectId: 99999,
        occurredAt: 1764340212000,
        propertyName: 'hs_pipeline_stage',
        propertyValue: '4',
      },
      { eventId: 2, subscriptionType: 'contact.creation', objectId: 123, occurredAt: 1764340212000 },
      {
        eventId: 3,
        subscriptionType: 'object.propertyChange',
        objectTypeId: '0-3',
        objectId: 7,
        occurredAt: 1764340212000,
        propertyName: 'hs_pipeline_stage',
        propertyValue: '4',
      },
    ]);
    const result = await reading(signed(body));
    if (result.action !== 'each') throw new Error('expected a batch');
    expect(result.items.map((item) => item.action)).toEqual(['park', 'ignore', 'ignore']);
    expect(result.items[0]).toMatchObject({ eventId: '99999:2025-11-28T14:30:12.000Z' });
    expect(apis.hubspot.requests).toEqual(['/crm/v3/objects/tickets/99999']);
  });

  it('answers 503 (ProviderApiError) when HubSpot’s API fails, so HubSpot delivers again', async () => {
    apis.hubspot.fail(500);
    await expect(reading(signed(sample('ticket.propertyChange.closed.json')))).rejects.toThrow(
      ProviderApiError,
    );
    apis.hubspot.fail(401);
    await expect(reading(signed(sample('workflow.ticket.closed.json')))).rejects.toThrow(ProviderApiError);
    // No access token: the API cannot be asked (an operator's fix), never a 401 to HubSpot.
    const body = sample('workflow.ticket.closed.json');
    const noToken = await hubspotSource().verify(
      signed(body),
      context({ ...LOCAL_SECRETS, HUBSPOT_ACCESS_TOKEN: '' }),
    );
    await expect(
      settled(() => noToken.read(context({ ...LOCAL_SECRETS, HUBSPOT_ACCESS_TOKEN: '' }))),
    ).rejects.toThrow(ProviderApiError);
  });

  it('refuses malformed batches (400) after a valid signature', async () => {
    await expect(outcome(hubspotSource(), signed('[]'), context())).resolves.toEqual({ rejected: 400 });
    await expect(outcome(hubspotSource(), signed('{"objectId":1}'), context())).resolves.toEqual({
      rejected: 400,
    });
    const many = JSON.stringify(
      Array.from({ length: 101 }, (_, i) => ({
        subscriptionType: 'contact.creation',
        objectId: i,
        occurredAt: 1,
      })),
    );
    await expect(outcome(hubspotSource(), signed(many), context())).resolves.toEqual({ rejected: 400 });
  });
});

describe("hubspot attachments (the solution note's files through the Files API)", () => {
  const settings = {
    operation: LOCAL_OPERATION,
    caseIdProperty: 'wolkvox_id',
    closedStages: DEFAULT_CLOSED_STAGES,
    apiUrl: apis.env.HUBSPOT_API_URL,
    webhookUrl: LOCAL_WEBHOOK_URL,
    acceptV2: true,
  };
  const note = seeded.find((r) => r.kind === 'note' && r.id === '9002') as HubSpotRecord & { kind: 'note' };
  const file = seeded.find((r) => r.kind === 'file') as HubSpotRecord & { kind: 'file' };
  const closingFiles = async () => {
    const result = await reading(signed(sample('ticket.propertyChange.closed.json')));
    if (result.action !== 'each' || result.items[0]?.action !== 'accept') throw new Error('expected a close');
    return result.items[0].event.attachments;
  };

  it('skips a file HubSpot no longer has (404) and still closes the case; names a file by name and extension', async () => {
    apis.hubspot.put({ ...note, properties: { ...note.properties, hs_attachment_ids: '999;187230451;x' } });
    apis.hubspot.put({ ...file, name: 'Paz y salvo final.PDF', extension: 'PDF' });
    expect(await closingFiles()).toEqual([
      expect.objectContaining({
        filename: 'Paz y salvo final.PDF',
        contentType: 'application/pdf',
        size: 692,
      }),
    ]);
    expect(apis.hubspot.requests.filter((path) => path.startsWith('/files/'))).toEqual([
      '/files/v3/files/999/signed-url',
      '/files/v3/files/187230451/signed-url',
    ]);
  });

  it('has no files when the solution note has none, and asks the Files API nothing', async () => {
    apis.hubspot.put({ ...note, properties: { ...note.properties, hs_attachment_ids: null } });
    expect(await closingFiles()).toEqual([]);
    expect(apis.hubspot.requests.some((path) => path.startsWith('/files/'))).toBe(false);
  });

  it('allows HubSpot file hosts only and sends no token with the download; a foreign signed URL is refused', async () => {
    const hosts = hubspotCode.attachments?.hosts(settings) ?? [];
    expect(hubspotCode.attachments?.authorization(LOCAL_SECRETS)).toBeUndefined();
    apis.hubspot.put({ ...file, url: 'https://files.evil.example/hubfs/paz-y-salvo.pdf' });
    const refs = [
      ...(await closingFiles()),
      { filename: 'b.pdf', url: 'https://hubspotusercontent-na1.net.evil.example/b.pdf' },
      {
        filename: 'c.pdf',
        url: 'https://44556677.fs1.hubspotusercontent-na1.net/hubfs/44556677/paz-y-salvo.pdf',
      },
    ];
    const tmp = await mkdtemp(join(tmpdir(), 'hubspot-attachments-'));
    try {
      const fetched = await fetchAttachments(
        refs,
        { allowedHosts: hosts },
        { dispatcher: localAttachmentDispatcher(), tmpDir: tmp },
      );
      expect(fetched.failures.map((f) => f.reason)).toEqual([
        'refused: host files.evil.example is not on the allowlist',
        'refused: host hubspotusercontent-na1.net.evil.example is not on the allowlist',
      ]);
      expect(fetched.files.map((f) => f.filename)).toEqual(['c.pdf']);
      await fetched.cleanup();
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});
