import { readdir, readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { PAYPAL_CERT_PATH, PAYPAL_LOCAL_CERT_ID } from '#lib/providers/payments/paypal/provider.ts';

/**
 * Loopback fakes of the providers' own APIs, for local runs and tests: what a provider confirms
 * with the provider (DESIGN.md, trust model) is asked here instead of the real host. One server;
 * each provider under its own path prefix, which is its API base URL setting:
 *   WOMPI_API_URL       = http://127.0.0.1:PORT/wompi        → GET /wompi/v1/transactions/{id}
 *   MERCADOPAGO_API_URL = http://127.0.0.1:PORT/mercadopago  → GET /mercadopago/v1/payments/{id}
 *   EPAYCO_API_URL      = http://127.0.0.1:PORT/epayco       → GET /epayco/validation/v1/reference/{ref_payco}
 *   PAYPAL_CERT_FETCH_URL = http://127.0.0.1:PORT/paypal     → GET /paypal/v1/notifications/certs/{id}
 *     (PayPal's certificate host: serves events/paypal/local-cert/cert.pem, a local test
 *     certificate, not PayPal's, and whatever certificates a test puts)
 *   HUBSPOT_API_URL     = http://127.0.0.1:PORT/hubspot      → GET /hubspot/crm/v3/objects/tickets/{id},
 *     /crm/v3/objects/notes/{id}, /crm/v3/owners/{id}, /files/v3/files/{id}/signed-url (bearer
 *     HUBSPOT_ACCESS_TOKEN; the signed URLs point at the local attachment fake's files)
 * Local and test use only: no function imports this.
 */

/** A payment as Mercado Pago's GET /v1/payments/{id} returns it (the fields the service reads, and any others). */
export interface MercadoPagoPayment {
  id: number;
  status: string;
  status_detail?: string;
  transaction_amount: number;
  currency_id: string;
  date_approved: string | null;
  date_created?: string;
  external_reference: string | null;
  live_mode?: boolean;
  [field: string]: unknown;
}

/** `data` of ePayco's GET /validation/v1/reference/{ref_payco}: numbers where ePayco answers numbers. */
export interface EpaycoTransaction {
  x_cust_id_cliente: number;
  x_ref_payco: number | string;
  x_transaction_id: string;
  x_id_invoice: string;
  x_id_factura?: string;
  x_amount: number;
  x_currency_code: string;
  x_cod_transaction_state: number;
  x_cod_response?: number;
  x_transaction_date: string;
  x_test_request?: string;
  [field: string]: unknown;
}

export interface WompiTransaction {
  id: string;
  status: string;
  amount_in_cents: number;
  currency: string;
  reference: string;
  finalized_at?: string | null;
  created_at?: string | null;
  [field: string]: unknown;
}

/** A certificate as PayPal's certificate host serves it: GET /v1/notifications/certs/{id} → the PEM. */
export interface PayPalCertificateFile {
  id: string;
  pem: string;
}

/** A ticket as HubSpot's GET /crm/v3/objects/tickets/{id} knows it, with its associated notes' ids. */
export interface HubSpotTicket {
  id: string;
  properties: Record<string, string | null>;
  notes: string[];
}

/** A File Manager file as GET /files/v3/files/{id}/signed-url answers for it (`url`: the signed link). */
export interface HubSpotFile {
  id: string;
  name: string;
  extension: string;
  size: number;
  type: string;
  url: string;
}

/** HubSpot's records the local fake serves: tickets, notes, owners and files. */
export type HubSpotRecord =
  | ({ kind: 'ticket' } & HubSpotTicket)
  | { kind: 'note'; id: string; properties: Record<string, string | null> }
  | { kind: 'owner'; id: string; email: string; firstName?: string; lastName?: string }
  | ({ kind: 'file' } & HubSpotFile);

/** The tickets, notes, owners and files of events/hubspot/api/tickets.json (the samples' tickets). */
export async function sampleHubSpotRecords(): Promise<HubSpotRecord[]> {
  const file = join(SAMPLES, 'hubspot', 'api', 'tickets.json');
  const data = JSON.parse(await readFile(file, 'utf8')) as {
    tickets: HubSpotTicket[];
    notes: { id: string; properties: Record<string, string | null> }[];
    owners: { id: string; email: string; firstName?: string; lastName?: string }[];
    files?: HubSpotFile[];
  };
  return [
    ...data.tickets.map((t) => ({ kind: 'ticket' as const, ...t })),
    ...data.notes.map((n) => ({ kind: 'note' as const, ...n })),
    ...data.owners.map((o) => ({ kind: 'owner' as const, ...o })),
    ...(data.files ?? []).map((f) => ({ kind: 'file' as const, ...f })),
  ];
}

export interface ProviderApis {
  url: string;
  /** The settings that point the providers here. */
  env: {
    WOMPI_API_URL: string;
    MERCADOPAGO_API_URL: string;
    EPAYCO_API_URL: string;
    PAYPAL_API_URL: string;
    PAYPAL_CERT_FETCH_URL: string;
    HUBSPOT_API_URL: string;
  };
  wompi: {
    /** Adds or replaces a transaction (as Wompi's GET /v1/transactions/{id} would return it). */
    put(transaction: WompiTransaction): void;
    /** Makes the next `count` lookups answer `status` (500, 401, …) or hang (`'hang'`). */
    fail(status: number | 'hang', count?: number): void;
    /** Paths asked, in order. */
    requests: string[];
  };
  mercadopago: FakeApi<MercadoPagoPayment>;
  epayco: FakeApi<EpaycoTransaction>;
  paypal: FakeApi<PayPalCertificateFile>;
  /** PayPal's captures (GET /v2/payments/captures/{id}, after an OAuth token). */
  paypalCaptures: FakeApi<PayPalCapture>;
  /** HubSpot's tickets, notes, owners and files (keyed `<kind>:<id>`). */
  hubspot: FakeApi<HubSpotRecord>;
  close(): Promise<void>;
}

/** One provider's fake: what it knows, injected failures, and what it was asked. */
export interface FakeApi<T> {
  put(record: T): void;
  fail(status: number | 'hang', count?: number): void;
  requests: string[];
}

export interface ProviderApisOptions {
  /** Bearer key Wompi's fake requires (WOMPI_PRIVATE_KEY); undefined accepts any or none. */
  wompiPrivateKey?: string;
  wompiTransactions?: Iterable<WompiTransaction>;
  /** Bearer token Mercado Pago's fake requires (MERCADOPAGO_ACCESS_TOKEN); undefined accepts any. */
  mercadopagoAccessToken?: string;
  mercadopagoPayments?: Iterable<MercadoPagoPayment>;
  epaycoTransactions?: Iterable<EpaycoTransaction>;
  /** Certificates PayPal's host serves; default: the local test certificate (events/paypal/local-cert/). */
  paypalCertificates?: Iterable<PayPalCertificateFile>;
  /** The app's client id and secret PayPal's fake OAuth requires; undefined accepts any. */
  paypalClient?: { id: string; secret: string };
  /** Captures PayPal's API knows; default: those of the samples in events/paypal/. */
  paypalCaptures?: Iterable<PayPalCapture>;
  /** Bearer token HubSpot's fake requires (HUBSPOT_ACCESS_TOKEN); undefined accepts any. */
  hubspotAccessToken?: string;
  /** Records HubSpot's API knows; default: those of events/hubspot/api/tickets.json. */
  hubspotRecords?: Iterable<HubSpotRecord>;
}

const SAMPLES = join(import.meta.dirname, '..', '..', 'events');

/**
 * The transactions the Wompi samples in events/wompi/ carry: what Wompi would know of them. Samples
 * may show one transaction at two moments (PENDING, then APPROVED); Wompi's API answers with its
 * current, final state.
 */
export async function sampleWompiTransactions(): Promise<WompiTransaction[]> {
  const dir = join(SAMPLES, 'wompi');
  const transactions = new Map<string, WompiTransaction>();
  for (const file of (await readdir(dir)).filter((name) => name.endsWith('.json')).sort()) {
    const event = JSON.parse(await readFile(join(dir, file), 'utf8')) as {
      data?: { transaction?: WompiTransaction };
    };
    const tx = event.data?.transaction;
    if (!tx) continue;
    const known = transactions.get(tx.id);
    if (!known || known.status === 'PENDING') transactions.set(tx.id, tx);
  }
  return [...transactions.values()];
}

/** The payments Mercado Pago's API knows for the samples in events/mercadopago/ (its notifications carry only ids). */
export async function sampleMercadoPagoPayments(): Promise<MercadoPagoPayment[]> {
  const file = join(SAMPLES, 'mercadopago', 'api', 'payments.json');
  return JSON.parse(await readFile(file, 'utf8').catch(() => '[]')) as MercadoPagoPayment[];
}

/** What ePayco's API knows of the transactions its samples (form fields as JSON) confirm. */
export async function sampleEpaycoTransactions(): Promise<EpaycoTransaction[]> {
  const dir = join(SAMPLES, 'epayco');
  const files = await readdir(dir).catch(() => [] as string[]);
  const known = new Map<string, EpaycoTransaction>();
  for (const file of files.filter((name) => name.endsWith('.json')).sort()) {
    const fields = JSON.parse(await readFile(join(dir, file), 'utf8')) as Record<string, string>;
    if (!fields.x_ref_payco) continue;
    const state = Number(fields.x_cod_transaction_state);
    const previous = known.get(fields.x_ref_payco);
    // A reference seen pending and then accepted: the API answers with its final state.
    if (previous && previous.x_cod_transaction_state === 1) continue;
    known.set(fields.x_ref_payco, {
      ...fields,
      x_cust_id_cliente: Number(fields.x_cust_id_cliente ?? 0),
      x_ref_payco: Number.isNaN(Number(fields.x_ref_payco)) ? fields.x_ref_payco : Number(fields.x_ref_payco),
      x_transaction_id: fields.x_transaction_id ?? '',
      x_id_invoice: fields.x_id_invoice ?? '',
      x_id_factura: fields.x_id_invoice ?? '',
      x_amount: Number(fields.x_amount),
      x_currency_code: fields.x_currency_code ?? 'COP',
      x_cod_transaction_state: state,
      x_cod_response: state,
      x_transaction_date: fields.x_transaction_date ?? '',
    });
  }
  return [...known.values()];
}

/** The local test certificate the PayPal signer's key belongs to (not PayPal's: see its README). */
export async function localPayPalCertificates(): Promise<PayPalCertificateFile[]> {
  const pem = await readFile(join(SAMPLES, 'paypal', 'local-cert', 'cert.pem'), 'utf8').catch(
    () => undefined,
  );
  return pem === undefined ? [] : [{ id: PAYPAL_LOCAL_CERT_ID, pem }];
}

/** A capture as PayPal's GET /v2/payments/captures/{id} returns it (the fields read, and any others). */
export interface PayPalCapture {
  id: string;
  status: string;
  amount: { currency_code: string; value: string };
  custom_id?: string | null;
  invoice_id?: string | null;
  create_time?: string;
  update_time?: string;
  [field: string]: unknown;
}

/** The captures the PayPal samples carry: what PayPal's API would know of them. */
export async function samplePayPalCaptures(): Promise<PayPalCapture[]> {
  const dir = join(SAMPLES, 'paypal');
  const files = await readdir(dir).catch(() => [] as string[]);
  const captures: PayPalCapture[] = [];
  for (const file of files.filter((name) => name.endsWith('.json')).sort()) {
    const event = JSON.parse(await readFile(join(dir, file), 'utf8')) as {
      event_type?: string;
      resource?: PayPalCapture;
    };
    if (event.event_type?.startsWith('PAYMENT.CAPTURE.') && event.resource) captures.push(event.resource);
  }
  return captures;
}

/** A fake's store and its injected failures. */
function fakeApi<T>(key: (record: T) => string, initial: Iterable<T> = []) {
  const records = new Map<string, T>();
  for (const record of initial) records.set(key(record), record);
  const failures: (number | 'hang')[] = [];
  const api: FakeApi<T> & { records: Map<string, T>; failure(): number | 'hang' | undefined } = {
    records,
    requests: [],
    put: (record) => void records.set(key(record), record),
    fail: (status, count = 1) => {
      for (let i = 0; i < count; i++) failures.push(status);
    },
    failure: () => failures.shift(),
  };
  return api;
}

export async function startProviderApis(options: ProviderApisOptions = {}): Promise<ProviderApis> {
  const wompiTransactions = new Map<string, WompiTransaction>();
  for (const tx of options.wompiTransactions ?? []) wompiTransactions.set(tx.id, tx);
  const requests: string[] = [];
  const failures: (number | 'hang')[] = [];

  const reply = (res: ServerResponse, status: number, body: unknown) =>
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

  function wompi(req: IncomingMessage, res: ServerResponse, path: string) {
    requests.push(path);
    const failure = failures.shift();
    if (failure === 'hang') return; // never answers: the caller's deadline must end it
    if (failure !== undefined) return reply(res, failure, { error: { type: 'INJECTED' } });
    const match = /^\/v1\/transactions\/([^/]+)$/.exec(path);
    if (req.method !== 'GET' || !match?.[1]) return reply(res, 404, { error: { type: 'NOT_FOUND_ERROR' } });
    const key = options.wompiPrivateKey;
    // As reported of Wompi: a lookup without the private key is answered 404, a wrong key 401.
    if (key !== undefined) {
      const given = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (given === undefined) return reply(res, 404, { error: { type: 'NOT_FOUND_ERROR' } });
      if (given !== key) return reply(res, 401, { error: { type: 'INVALID_ACCESS_TOKEN' } });
    }
    const tx = wompiTransactions.get(decodeURIComponent(match[1]));
    if (!tx)
      return reply(res, 404, {
        error: { type: 'NOT_FOUND_ERROR', reason: 'La entidad solicitada no existe' },
      });
    return reply(res, 200, { data: tx, meta: {} });
  }

  const mercadopagoApi = fakeApi((p: MercadoPagoPayment) => String(p.id), options.mercadopagoPayments);
  const epaycoApi = fakeApi((t: EpaycoTransaction) => String(t.x_ref_payco), options.epaycoTransactions);
  const paypalApi = fakeApi(
    (c: PayPalCertificateFile) => c.id,
    options.paypalCertificates ?? (await localPayPalCertificates()),
  );
  const paypalCaptures = fakeApi(
    (c: PayPalCapture) => c.id,
    options.paypalCaptures ?? (await samplePayPalCaptures()),
  );
  const paypalToken = `A21AA-local-${Math.random().toString(36).slice(2)}`;

  /**
   * PayPal's REST API: POST /v1/oauth2/token (Basic client id and secret, grant_type=client_credentials)
   * and GET /v2/payments/captures/{id} with that bearer token.
   */
  function paypalRest(req: IncomingMessage, res: ServerResponse, path: string) {
    paypalCaptures.requests.push(path);
    const failure = paypalCaptures.failure();
    if (failure === 'hang') return;
    if (failure !== undefined) return reply(res, failure, { name: 'INJECTED' });
    if (req.method === 'POST' && path === '/v1/oauth2/token') {
      const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
      const [id, secret] = Buffer.from(basic, 'base64').toString('utf8').split(':');
      const client = options.paypalClient;
      if (!id || !secret || (client && (id !== client.id || secret !== client.secret))) {
        return reply(res, 401, {
          error: 'invalid_client',
          error_description: 'Client Authentication failed',
        });
      }
      return reply(res, 200, { access_token: paypalToken, token_type: 'Bearer', expires_in: 32_400 });
    }
    const match = /^\/v2\/payments\/captures\/([^/]+)$/.exec(path);
    if (req.method !== 'GET' || !match?.[1]) return reply(res, 404, { name: 'RESOURCE_NOT_FOUND' });
    if (req.headers.authorization !== `Bearer ${paypalToken}`) {
      return reply(res, 401, { error: 'invalid_token' });
    }
    const found = paypalCaptures.records.get(decodeURIComponent(match[1]));
    if (!found)
      return reply(res, 404, {
        name: 'RESOURCE_NOT_FOUND',
        message: 'The specified resource does not exist.',
      });
    return reply(res, 200, found);
  }

  /** GET /v1/payments/{id} with `Authorization: Bearer <access token>`, as Mercado Pago's API. */
  function mercadopago(req: IncomingMessage, res: ServerResponse, path: string) {
    mercadopagoApi.requests.push(path);
    const failure = mercadopagoApi.failure();
    if (failure === 'hang') return;
    if (failure !== undefined) return reply(res, failure, { message: 'injected', status: failure });
    const match = /^\/v1\/payments\/([^/]+)$/.exec(path);
    if (req.method !== 'GET' || !match?.[1]) return reply(res, 404, { message: 'not found', status: 404 });
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (
      token === undefined ||
      (options.mercadopagoAccessToken !== undefined && token !== options.mercadopagoAccessToken)
    ) {
      return reply(res, 401, { message: 'invalid access token', error: 'unauthorized', status: 401 });
    }
    const payment = mercadopagoApi.records.get(decodeURIComponent(match[1]));
    if (!payment) return reply(res, 404, { message: 'Payment not found', error: 'not_found', status: 404 });
    return reply(res, 200, payment);
  }

  /** GET /validation/v1/reference/{ref_payco}, no credentials, as ePayco's validation endpoint. */
  function epayco(req: IncomingMessage, res: ServerResponse, path: string) {
    epaycoApi.requests.push(path);
    const failure = epaycoApi.failure();
    if (failure === 'hang') return;
    if (failure !== undefined) return reply(res, failure, { success: false, text_response: 'injected' });
    const match = /^\/validation\/v1\/reference\/([^/]+)$/.exec(path);
    if (req.method !== 'GET' || !match?.[1]) return reply(res, 404, { success: false });
    const transaction = epaycoApi.records.get(decodeURIComponent(match[1]));
    // ePayco's answer for an unknown reference is undocumented; the legacy endpoint's shape.
    if (!transaction) {
      return reply(res, 200, {
        success: false,
        title_response: 'Error',
        text_response: 'Transacción no existe',
        data: [],
      });
    }
    return reply(res, 200, {
      success: true,
      title_response: 'Correcto',
      text_response: 'Transacción consultada existosamente',
      last_action: 'Consultar Transaccion',
      data: transaction,
    });
  }

  /** GET /v1/notifications/certs/{id}, no credentials, a PEM as PayPal's certificate host answers. */
  function paypal(req: IncomingMessage, res: ServerResponse, path: string) {
    paypalApi.requests.push(path);
    const failure = paypalApi.failure();
    if (failure === 'hang') return;
    if (failure !== undefined) return reply(res, failure, { name: 'INJECTED' });
    const id = path.startsWith(PAYPAL_CERT_PATH) ? path.slice(PAYPAL_CERT_PATH.length) : '';
    const certificate =
      req.method === 'GET' && id ? paypalApi.records.get(decodeURIComponent(id)) : undefined;
    if (!certificate) return reply(res, 404, { name: 'RESOURCE_NOT_FOUND' });
    res.writeHead(200, { 'content-type': 'application/x-pem-file' }).end(certificate.pem);
  }

  const hubspotApi = fakeApi(
    (r: HubSpotRecord) => `${r.kind}:${r.id}`,
    options.hubspotRecords ?? (await sampleHubSpotRecords()),
  );

  /** HubSpot's CRM v3 answers for what the provider reads (helpdesks.md §4.1). */
  function hubspot(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams) {
    hubspotApi.requests.push(path);
    const failure = hubspotApi.failure();
    if (failure === 'hang') return;
    if (failure !== undefined) return reply(res, failure, { status: 'error', message: 'injected' });
    const token = options.hubspotAccessToken;
    if (
      !req.headers.authorization?.startsWith('Bearer ') ||
      (token && req.headers.authorization !== `Bearer ${token}`)
    ) {
      return reply(res, 401, { status: 'error', category: 'INVALID_AUTHENTICATION' });
    }
    const signed = /^\/files\/v3\/files\/(\d+)\/signed-url$/.exec(path);
    if (signed) {
      const file = req.method === 'GET' ? hubspotApi.records.get(`file:${signed[1] ?? ''}`) : undefined;
      if (file?.kind !== 'file') return reply(res, 404, { status: 'error', category: 'OBJECT_NOT_FOUND' });
      const { kind: _kind, id: _id, ...answer } = file;
      // HubSpot's default lifetime is one hour (expirationSeconds).
      return reply(res, 200, { ...answer, expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
    }
    const match = /^\/crm\/v3\/(objects\/tickets|objects\/notes|owners)\/(\d+)$/.exec(path);
    const kind = { 'objects/tickets': 'ticket', 'objects/notes': 'note', owners: 'owner' }[match?.[1] ?? ''];
    const record =
      req.method === 'GET' && kind ? hubspotApi.records.get(`${kind}:${match?.[2] ?? ''}`) : undefined;
    if (!record || record.kind === 'file') {
      return reply(res, 404, { status: 'error', category: 'OBJECT_NOT_FOUND' });
    }
    const at = '2025-11-28T12:00:00.000Z';
    if (record.kind === 'owner') {
      const { kind: _kind, ...owner } = record;
      return reply(res, 200, { ...owner, userId: 1, createdAt: at, updatedAt: at, archived: false });
    }
    const asked = (query.get('properties') ?? '').split(',').filter(Boolean);
    const properties = Object.fromEntries(
      asked
        .filter((name) => Object.hasOwn(record.properties, name))
        .map((name) => [name, record.properties[name]]),
    );
    const body: Record<string, unknown> = {
      id: record.id,
      properties,
      createdAt: at,
      updatedAt: at,
      archived: false,
    };
    if (record.kind === 'ticket' && query.get('associations') === 'notes' && record.notes.length > 0) {
      body.associations = { notes: { results: record.notes.map((id) => ({ id, type: 'ticket_to_note' })) } };
    }
    return reply(res, 200, body);
  }

  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (path.startsWith('/wompi/')) return wompi(req, res, path.slice('/wompi'.length));
    if (path.startsWith('/mercadopago/')) return mercadopago(req, res, path.slice('/mercadopago'.length));
    if (path.startsWith('/epayco/')) return epayco(req, res, path.slice('/epayco'.length));
    if (path.startsWith('/paypal/v1/oauth2/') || path.startsWith('/paypal/v2/')) {
      return paypalRest(req, res, path.slice('/paypal'.length));
    }
    if (path.startsWith('/paypal/')) return paypal(req, res, path.slice('/paypal'.length));
    if (path.startsWith('/hubspot/')) {
      const query = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
      return hubspot(req, res, path.slice('/hubspot'.length), query);
    }
    reply(res, 404, { error: 'no such fake provider API' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    env: {
      WOMPI_API_URL: `${url}/wompi`,
      MERCADOPAGO_API_URL: `${url}/mercadopago`,
      EPAYCO_API_URL: `${url}/epayco`,
      PAYPAL_API_URL: `${url}/paypal`,
      PAYPAL_CERT_FETCH_URL: `${url}/paypal`,
      HUBSPOT_API_URL: `${url}/hubspot`,
    },
    hubspot: hubspotApi,
    mercadopago: mercadopagoApi,
    epayco: epaycoApi,
    paypal: paypalApi,
    paypalCaptures,
    wompi: {
      put: (tx) => void wompiTransactions.set(tx.id, tx),
      fail: (status, count = 1) => {
        for (let i = 0; i < count; i++) failures.push(status);
      },
      requests,
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
