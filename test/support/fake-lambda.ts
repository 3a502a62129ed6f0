import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';

/**
 * A loopback Lambda API with the event source mapping calls the intake makes: list (by function
 * and event source) and update (Enabled). Every request's SigV4 signature is checked by signing
 * it again with the test credentials; a bad one is answered 403 as AWS does.
 */
export interface Mapping {
  UUID: string;
  FunctionArn: string;
  EventSourceArn: string;
  State: 'Enabled' | 'Disabled';
}

export interface FakeLambda {
  endpoint: string;
  mappings: Mapping[];
  /** Each call as `GET list` / `PUT <uuid> {"Enabled":false}`. */
  calls: string[];
  /** Answer the next update with this error type (e.g. ResourceInUseException). */
  failNextUpdate(type: string): void;
  close(): Promise<void>;
}

export const FAKE_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytes = (data: SourceData): string | Uint8Array =>
  typeof data === 'string'
    ? data
    : ArrayBuffer.isView(data)
      ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      : new Uint8Array(data);

/** SHA-256 (or HMAC-SHA-256 with a key) in the shape the SigV4 signer takes. */
class Sha256 {
  readonly #hash: Hash | Hmac;
  constructor(key?: SourceData) {
    this.#hash = key === undefined ? createHash('sha256') : createHmac('sha256', bytes(key));
  }
  update(data: SourceData): void {
    this.#hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }
}

async function signatureHolds(req: IncomingMessage, url: URL, body: string): Promise<boolean> {
  const headers = Object.fromEntries(
    Object.entries(req.headers).flatMap(([k, v]) => (typeof v === 'string' ? [[k, v]] : [])),
  );
  const authorization = headers.authorization ?? '';
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(authorization)?.[1]?.split(';') ?? [];
  const date = headers['x-amz-date'] ?? '';
  const signer = new SignatureV4({
    service: 'lambda',
    region: 'us-east-1',
    credentials: FAKE_CREDENTIALS,
    sha256: Sha256,
  });
  const at = new Date(
    `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`,
  );
  const again = await signer.sign(
    {
      method: req.method ?? 'GET',
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: Object.fromEntries(signedHeaders.map((name) => [name, headers[name] ?? ''])),
      body: body || undefined,
    },
    { signingDate: at },
  );
  return signedHeaders.includes('host') && again.headers.authorization === authorization;
}

export async function startFakeLambda(mappings: Mapping[]): Promise<FakeLambda> {
  const calls: string[] = [];
  let failNext: string | undefined;
  const server = createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      url.port = String((server.address() as AddressInfo).port);
      const reply = (status: number, payload: unknown, type?: string) => {
        res.writeHead(status, {
          'content-type': 'application/json',
          ...(type ? { 'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/` } : {}),
        });
        res.end(JSON.stringify(payload));
      };
      if (!(await signatureHolds(req, url, body)))
        return reply(403, { message: 'bad signature' }, 'InvalidSignatureException');
      const prefix = '/2015-03-31/event-source-mappings/';
      if (req.method === 'GET' && (url.pathname === prefix || url.pathname === prefix.slice(0, -1))) {
        calls.push('GET list');
        const fn = url.searchParams.get('FunctionName') ?? '';
        const source = url.searchParams.get('EventSourceArn');
        return reply(200, {
          EventSourceMappings: mappings.filter(
            (m) =>
              (m.FunctionArn === fn || m.FunctionArn.endsWith(`:function:${fn}`)) &&
              (!source || m.EventSourceArn === source),
          ),
        });
      }
      if (req.method === 'PUT' && url.pathname.startsWith(prefix)) {
        const uuid = decodeURIComponent(url.pathname.slice(prefix.length));
        calls.push(`PUT ${uuid} ${body}`);
        const mapping = mappings.find((m) => m.UUID === uuid);
        if (!mapping) return reply(404, { Type: 'User', message: 'not found' }, 'ResourceNotFoundException');
        if (failNext) {
          const type = failNext;
          failNext = undefined;
          return reply(409, { Type: 'User', message: 'busy' }, type);
        }
        const { Enabled } = JSON.parse(body) as { Enabled?: boolean };
        if (Enabled !== undefined) mapping.State = Enabled ? 'Enabled' : 'Disabled';
        return reply(202, mapping);
      }
      return reply(404, { message: 'unknown route' }, 'UnknownOperationException');
    })();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    mappings,
    calls,
    failNextUpdate: (type) => {
      failNext = type;
    },
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
