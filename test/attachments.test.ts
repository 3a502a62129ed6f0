import { randomBytes } from 'node:crypto';
import type { LookupAddress } from 'node:dns';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockAgent, request } from 'undici';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type AttachmentPolicy,
  type FetchedAttachments,
  type FetchOptions,
  fetchAttachments,
  guardedLookup,
  hostAllowed,
  isRestrictedAddress,
  RestrictedAddressError,
  safeFilename,
} from '#lib/attachments/index.ts';
import { loadConfig } from '#lib/config.ts';
import { attachmentAccess } from '#lib/providers/loader.ts';
import type { Resolver } from '#lib/attachments/address.ts';
import type { AttachmentRef } from '#lib/events.ts';
import { localAttachmentDispatcher } from '#lib/local/attachments.ts';
import type { CaseFile } from '#lib/wolkvox/types.ts';
import { type Loopback, startLoopback } from './support/loopback.ts';

let tmp: string;
const closers: (() => Promise<void>)[] = [];

beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'attachments-test-'));
});
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await rm(tmp, { recursive: true, force: true });
});

async function loopback(handler?: Parameters<typeof startLoopback>[0]): Promise<Loopback> {
  const server = await startLoopback(handler);
  closers.push(() => server.close());
  return server;
}

function mockAgent(): MockAgent {
  const agent = new MockAgent();
  agent.disableNetConnect();
  closers.push(() => agent.close());
  return agent;
}

interface Seen {
  origin: string;
  path: string;
  authorization: string | undefined;
}

interface MockReply {
  statusCode: number;
  data?: string | Buffer;
  headers?: Record<string, string>;
}

/** Answers every path of `origin` with `reply(path)`, recording what was asked. */
function serve(
  agent: MockAgent,
  origin: string,
  reply: (path: string) => MockReply,
  seen: Seen[] = [],
): Seen[] {
  agent
    .get(origin)
    .intercept({ path: () => true })
    .reply(({ path, headers }) => {
      const authorization = (headers as Record<string, string> | undefined)?.authorization;
      seen.push({ origin, path, authorization });
      const { statusCode, data = '', headers: responseHeaders = {} } = reply(path);
      return { statusCode, data, responseOptions: { headers: responseHeaders } };
    })
    .persist();
  return seen;
}

async function fetchAll(
  refs: AttachmentRef[],
  policy: AttachmentPolicy,
  options: FetchOptions = {},
): Promise<FetchedAttachments> {
  const fetched = await fetchAttachments(refs, policy, { tmpDir: tmp, ...options });
  closers.push(() => fetched.cleanup());
  return fetched;
}

async function bytesOf(file: CaseFile | undefined): Promise<Buffer> {
  if (!(file?.data instanceof Blob)) throw new Error('expected a Blob-backed file');
  return Buffer.from(await file.data.arrayBuffer());
}

/** The single attachments-* dir fetchAttachments made under tmp, and what is in it. */
async function downloadDir(): Promise<{ name: string; entries: string[] }> {
  const [name, ...others] = await readdir(tmp);
  if (!name || others.length > 0)
    throw new Error(`expected one temp dir, found ${[name, ...others].join(', ')}`);
  return { name, entries: await readdir(join(tmp, name)) };
}

/** What Zendesk's provider allows with ZENDESK_SUBDOMAIN=acme (tested below, through the configuration). */
const ZENDESK = ['acme.zendesk.com', '*.zdusercontent.com'];

describe('transport (loopback server, allowLocal)', () => {
  it('downloads byte-exact into file-backed Blobs with name and type; cleanup removes the temp dir', async () => {
    const pdf = randomBytes(200_000);
    const server = await loopback((req, res) => {
      if (req.url?.startsWith('/doc')) res.writeHead(200, { 'content-type': 'application/pdf' }).end(pdf);
      else res.writeHead(200).end(Buffer.from('raw bytes'));
    });
    const fetched = await fetchAll(
      [
        { filename: 'paz y salvo – cédula/ñ.pdf', url: `${server.url}/doc?token=abc` },
        { filename: 'notas.txt', url: `${server.url}/doc`, contentType: 'text/plain' },
        { filename: 'raw', url: `${server.url}/raw` },
      ],
      { allowedHosts: ['127.0.0.1'] },
      { allowLocal: true },
    );

    expect(fetched.failures).toEqual([]);
    const [first, second, third] = fetched.files;
    expect(first?.filename).toBe('paz y salvo – cédula_ñ.pdf');
    expect(first?.contentType).toBe('application/pdf');
    expect((first?.data as Blob).type).toBe('application/pdf');
    expect((await bytesOf(first)).equals(pdf)).toBe(true);
    // The ref's declared type wins over the response's; with neither, octet-stream.
    expect(second?.contentType).toBe('text/plain');
    expect((second?.data as Blob).type).toBe('text/plain');
    expect(third?.contentType).toBe('application/octet-stream');
    expect((await bytesOf(third)).toString()).toBe('raw bytes');

    expect((await downloadDir()).entries).toHaveLength(3);
    await fetched.cleanup();
    expect(await readdir(tmp)).toEqual([]);
    // The Blobs were backed by the removed files, not by memory.
    await expect((first?.data as Blob).arrayBuffer()).rejects.toThrow();
  });

  it('refuses a declared content-length over the cap without reading the body', async () => {
    let closed = false;
    const server = await loopback((_req, res) => {
      res.on('close', () => (closed = true));
      res.writeHead(200, { 'content-length': String(50 * 1024 * 1024) });
      res.write(Buffer.alloc(1024)); // then nothing: reading the body would hang until the timeout
    });
    const fetched = await fetchAll(
      [
        { filename: 'big.pdf', url: `${server.url}/big` },
        { filename: 'declared.pdf', url: `${server.url}/declared`, size: 2 * 1024 * 1024 },
      ],
      { allowedHosts: ['127.0.0.1'], maxFileBytes: 1024 * 1024, timeoutMs: 10_000 },
      { allowLocal: true },
    );
    expect(fetched.failures).toEqual([
      {
        filename: 'big.pdf',
        reason: 'too large: content-length 52428800 is over the per-file cap of 1048576 bytes',
      },
      {
        filename: 'declared.pdf',
        reason: 'too large: 2097152 bytes declared by the helpdesk, over the per-file cap of 1048576 bytes',
      },
    ]);
    // The helpdesk's own size refused the second file before any request.
    expect(server.requests).toEqual(['/big']);
    await vi.waitFor(() => expect(closed).toBe(true));
  });

  it('cuts a body without content-length at the cap and leaves no partial file', async () => {
    const server = await loopback((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/pdf' }); // chunked: no content-length
      for (let i = 0; i < 40; i++) res.write(Buffer.alloc(64 * 1024, i));
      res.end();
    });
    const fetched = await fetchAll(
      [{ filename: 'endless.pdf', url: `${server.url}/endless` }],
      { allowedHosts: ['127.0.0.1'], maxFileBytes: 256 * 1024 },
      { allowLocal: true },
    );
    expect(fetched.files).toEqual([]);
    expect(fetched.failures).toEqual([
      { filename: 'endless.pdf', reason: 'too large: over the per-file cap of 262144 bytes' },
    ]);
    expect((await downloadDir()).entries).toEqual([]);
  });

  it('times out a stalled server (headers or body) and still fetches the other files', async () => {
    const server = await loopback((req, res) => {
      if (req.url === '/ok') res.writeHead(200).end('fine');
      else if (req.url === '/slow-body') res.writeHead(200, { 'content-length': '100' }).write('partial');
      // '/stall' never answers
    });
    const started = performance.now();
    const fetched = await fetchAll(
      [
        { filename: 'stall.pdf', url: `${server.url}/stall` },
        { filename: 'slow.pdf', url: `${server.url}/slow-body` },
        { filename: 'ok.txt', url: `${server.url}/ok` },
      ],
      // Long enough that /ok, answered at once, is fetched in time on a busy CI machine.
      { allowedHosts: ['127.0.0.1'], timeoutMs: 1_000 },
      { allowLocal: true },
    );
    expect(fetched.failures).toEqual([
      { filename: 'stall.pdf', reason: 'timed out after 1000 ms' },
      { filename: 'slow.pdf', reason: 'timed out after 1000 ms' },
    ]);
    expect(fetched.files.map((f) => f.filename)).toEqual(['ok.txt']);
    expect((await bytesOf(fetched.files[0])).toString()).toBe('fine');
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('reports 404 and 500 and still returns the files that worked', async () => {
    const server = await loopback((req, res) => {
      const status = req.url === '/missing' ? 404 : req.url === '/broken' ? 500 : 200;
      res.writeHead(status).end(status === 200 ? 'ok' : 'error page');
    });
    const fetched = await fetchAll(
      [
        { filename: 'missing.pdf', url: `${server.url}/missing` },
        { filename: 'broken.pdf', url: `${server.url}/broken` },
        { filename: 'ok.pdf', url: `${server.url}/ok` },
      ],
      { allowedHosts: ['127.0.0.1'] },
      { allowLocal: true },
    );
    expect(fetched.failures).toEqual([
      { filename: 'missing.pdf', reason: 'HTTP 404 from 127.0.0.1' },
      { filename: 'broken.pdf', reason: 'HTTP 500 from 127.0.0.1' },
    ]);
    expect(fetched.files.map((f) => f.filename)).toEqual(['ok.pdf']);
  });

  it('refuses http without allowLocal before connecting', async () => {
    const server = await loopback((_req, res) => res.end('should not be asked'));
    const fetched = await fetchAll([{ filename: 'a.pdf', url: `${server.url}/a` }], {
      allowedHosts: ['127.0.0.1'],
    });
    expect(fetched.failures).toEqual([{ filename: 'a.pdf', reason: 'refused: only https is allowed' }]);
    expect(server.connections()).toBe(0);
  });
});

describe('size caps (MockAgent)', () => {
  it('a lying content-length does not get a body past the per-file cap', async () => {
    const agent = mockAgent();
    serve(agent, 'https://acme.zendesk.com', () => ({
      statusCode: 200,
      data: Buffer.alloc(300, 1),
      headers: { 'content-length': '10' },
    }));
    const ref = { filename: 'liar.pdf', url: 'https://acme.zendesk.com/liar' };
    const capped = await fetchAll([ref], { allowedHosts: ZENDESK, maxFileBytes: 100 }, { dispatcher: agent });
    expect(capped.failures).toEqual([
      { filename: 'liar.pdf', reason: 'too large: over the per-file cap of 100 bytes' },
    ]);
    // Control: under a larger cap all 300 bytes arrive, so the refusal above came from counting.
    const roomy = await fetchAll([ref], { allowedHosts: ZENDESK, maxFileBytes: 400 }, { dispatcher: agent });
    expect((await bytesOf(roomy.files[0])).length).toBe(300);
  });

  it('the case cap counts attached files in order; once reached, later files are not requested', async () => {
    const agent = mockAgent();
    const sizes: Record<string, number> = { '/a': 10, '/b': 10, '/c': 10, '/d': 5, '/e': 1 };
    const seen = serve(agent, 'https://acme.zendesk.com', (path) => ({
      statusCode: 200,
      data: Buffer.alloc(sizes[path] ?? 0, 7),
    }));
    const refs = Object.keys(sizes).map((path) => ({
      filename: `${path.slice(1)}.bin`,
      url: `https://acme.zendesk.com${path}`,
    }));
    const fetched = await fetchAll(
      refs,
      { allowedHosts: ZENDESK, maxFileBytes: 100, maxCaseBytes: 25 },
      { dispatcher: agent },
    );
    expect(fetched.files.map((f) => f.filename)).toEqual(['a.bin', 'b.bin', 'd.bin']);
    expect(fetched.failures).toEqual([
      { filename: 'c.bin', reason: 'too large: over the case attachment cap of 25 bytes (5 left)' },
      { filename: 'e.bin', reason: 'case attachment cap of 25 bytes reached' },
    ]);
    expect(seen.map((s) => s.path)).toEqual(['/a', '/b', '/c', '/d']);
  });
});

describe('redirects and Authorization (MockAgent on provider hosts)', () => {
  const authorization = 'Basic Zm9vQGFjbWUuY28vdG9rZW46c2VjcmV0';

  it('follows a redirect inside the allowlist and drops Authorization on the hop to another host', async () => {
    const agent = mockAgent();
    const seen: Seen[] = [];
    serve(
      agent,
      'https://acme.zendesk.com',
      (path): MockReply =>
        path.startsWith('/attachments/')
          ? {
              statusCode: 302,
              headers: { location: 'https://p1.zdusercontent.com/attachment/1/paz.pdf?token=eyJhbGciOi' },
            }
          : path === '/same/start'
            ? { statusCode: 301, headers: { location: '/same/end' } }
            : { statusCode: 200, data: 'same host', headers: { 'content-type': 'application/pdf' } },
      seen,
    );
    serve(
      agent,
      'https://p1.zdusercontent.com',
      () => ({ statusCode: 200, data: 'PDF-1.7 paz', headers: { 'content-type': 'application/pdf' } }),
      seen,
    );
    const fetched = await fetchAll(
      [
        { filename: 'paz.pdf', url: 'https://acme.zendesk.com/attachments/token/abc/?name=paz.pdf' },
        { filename: 'same.pdf', url: 'https://acme.zendesk.com/same/start' },
        {
          filename: 'presigned.pdf',
          url: 'https://acme.zendesk.com/direct?X-Amz-Credential=x&X-Amz-Signature=y',
        },
      ],
      { allowedHosts: ZENDESK, authorization },
      { dispatcher: agent },
    );
    expect(fetched.failures).toEqual([]);
    expect((await bytesOf(fetched.files[0])).toString()).toBe('PDF-1.7 paz');
    expect(seen).toEqual([
      { origin: 'https://acme.zendesk.com', path: '/attachments/token/abc/?name=paz.pdf', authorization },
      {
        origin: 'https://p1.zdusercontent.com',
        path: '/attachment/1/paz.pdf?token=eyJhbGciOi',
        authorization: undefined,
      },
      // A same-origin hop keeps it; a pre-signed URL carries its own credentials and gets none.
      { origin: 'https://acme.zendesk.com', path: '/same/start', authorization },
      { origin: 'https://acme.zendesk.com', path: '/same/end', authorization },
      {
        origin: 'https://acme.zendesk.com',
        path: '/direct?X-Amz-Credential=x&X-Amz-Signature=y',
        authorization: undefined,
      },
    ]);
  });

  it('refuses a redirect to another host, to http or to a private address, without asking it', async () => {
    const agent = mockAgent();
    const targets: Record<string, string> = {
      '/evil': 'https://evil.example.com/steal',
      '/downgrade': 'http://p1.zdusercontent.com/file',
      '/metadata': 'https://169.254.169.254/latest/meta-data/',
      '/garbage': 'https://exa mple.com:99999/',
    };
    serve(agent, 'https://acme.zendesk.com', (path) => ({
      statusCode: 307,
      headers: { location: targets[path] ?? '/' },
    }));
    const elsewhere = serve(agent, 'https://evil.example.com', () => ({ statusCode: 200, data: 'loot' }));
    serve(agent, 'http://p1.zdusercontent.com', () => ({ statusCode: 200, data: 'plain' }), elsewhere);
    serve(agent, 'https://169.254.169.254', () => ({ statusCode: 200, data: 'creds' }), elsewhere);
    const fetched = await fetchAll(
      Object.keys(targets).map((path) => ({
        filename: path.slice(1),
        url: `https://acme.zendesk.com${path}`,
      })),
      { allowedHosts: [...ZENDESK, '169.254.169.254'] },
      { dispatcher: agent },
    );
    expect(fetched.failures).toEqual([
      { filename: 'evil', reason: 'redirect refused: host evil.example.com is not on the allowlist' },
      { filename: 'downgrade', reason: 'redirect refused: only https is allowed' },
      { filename: 'metadata', reason: 'redirect refused: 169.254.169.254 is a private or local address' },
      { filename: 'garbage', reason: 'redirect refused: not a valid URL' },
    ]);
    expect(elsewhere).toEqual([]);
  });

  it('caps a redirect loop at maxRedirects', async () => {
    const agent = mockAgent();
    const seen = serve(agent, 'https://acme.zendesk.com', () => ({
      statusCode: 302,
      headers: { location: '/loop' },
    }));
    const ref = { filename: 'loop.pdf', url: 'https://acme.zendesk.com/loop' };
    const fetched = await fetchAll([ref], { allowedHosts: ZENDESK }, { dispatcher: agent });
    expect(fetched.failures).toEqual([{ filename: 'loop.pdf', reason: 'too many redirects (more than 3)' }]);
    expect(seen).toHaveLength(4);
    seen.length = 0;
    const none = await fetchAll([ref], { allowedHosts: ZENDESK, maxRedirects: 0 }, { dispatcher: agent });
    expect(none.failures[0]?.reason).toBe('too many redirects (more than 0)');
    expect(seen).toHaveLength(1);
  });
});

describe('host allowlist and IP rule', () => {
  it('refuses a host that is not on the allowlist without asking it', async () => {
    const agent = mockAgent();
    const seen: Seen[] = [];
    for (const origin of [
      'https://evil.example.com',
      'https://zendesk.com.evil.com',
      'https://evilzendesk.com',
    ]) {
      serve(agent, origin, () => ({ statusCode: 200, data: 'loot' }), seen);
    }
    const fetched = await fetchAll(
      [
        { filename: 'a', url: 'https://evil.example.com/a' },
        { filename: 'b', url: 'https://zendesk.com.evil.com/b' },
        { filename: 'c', url: 'https://evilzendesk.com/c' },
      ],
      { allowedHosts: ['*.zendesk.com'] },
      { dispatcher: agent },
    );
    expect(fetched.failures.map((f) => f.reason)).toEqual([
      'refused: host evil.example.com is not on the allowlist',
      'refused: host zendesk.com.evil.com is not on the allowlist',
      'refused: host evilzendesk.com is not on the allowlist',
    ]);
    expect(seen).toEqual([]);
  });

  it('allows nothing for a provider without attachment hosts', async () => {
    const agent = mockAgent();
    const seen = serve(agent, 'https://app.hubspot.com', () => ({ statusCode: 200, data: 'x' }));
    const fetched = await fetchAll(
      [{ filename: 'x.pdf', url: 'https://app.hubspot.com/x.pdf' }],
      { allowedHosts: [] },
      { dispatcher: agent },
    );
    expect(fetched.failures[0]?.reason).toBe('refused: host app.hubspot.com is not on the allowlist');
    expect(seen).toEqual([]);
  });

  it('matches wildcards on subdomains only, and exact hosts exactly', () => {
    const patterns = ['*.zendesk.com', 'acme.atlassian.net'];
    for (const host of [
      'acme.zendesk.com',
      'a.b.zendesk.com',
      'ACME.Zendesk.com',
      'acme.zendesk.com.',
      'acme.atlassian.net',
    ]) {
      expect(hostAllowed(host, patterns), host).toBe(true);
    }
    for (const host of [
      'zendesk.com',
      'zendesk.com.evil.com',
      'evilzendesk.com',
      'acme.zendesk.co',
      'x.acme.atlassian.net',
      'acme.atlassian.net.evil.com',
      'atlassian.net',
    ]) {
      expect(hostAllowed(host, patterns), host).toBe(false);
    }
  });

  it('refuses IP-literal hosts in private ranges even when they are on the allowlist', async () => {
    const agent = mockAgent();
    // Answers anything, so a refusal can only come from the IP rule.
    const seen: string[] = [];
    agent
      .get(() => true)
      .intercept({ path: () => true })
      .reply(({ origin }) => {
        seen.push(String(origin));
        return { statusCode: 200, data: 'internal' };
      })
      .persist();
    const urls = [
      'https://10.0.0.1/a',
      'https://169.254.169.254/latest/meta-data/',
      'https://100.64.0.1/a',
      'https://127.0.0.1/a',
      'https://0.0.0.0/a',
      'https://[::1]/a',
      'https://[::ffff:127.0.0.1]/a',
      'https://[fd00:ec2::254]/a',
      'https://0x7f.1/a', // the URL parser's 127.0.0.1
    ];
    const allowedHosts = urls.map((url) => new URL(url).hostname);
    const fetched = await fetchAll(
      urls.map((url, i) => ({ filename: `f${i}`, url })),
      { allowedHosts },
      { dispatcher: agent },
    );
    expect(fetched.files).toEqual([]);
    for (const failure of fetched.failures)
      expect(failure.reason).toMatch(/^refused: .+ is a private or local address$/);
    expect(fetched.failures).toHaveLength(urls.length);
    expect(seen).toEqual([]);

    // allowLocal admits loopback only: the private range stays refused.
    const local = await fetchAll(
      [
        { filename: 'loop', url: 'https://127.0.0.1/a' },
        { filename: 'private', url: 'https://10.0.0.1/a' },
      ],
      { allowedHosts },
      { dispatcher: agent, allowLocal: true },
    );
    expect(local.files.map((f) => f.filename)).toEqual(['loop']);
    expect(local.failures).toEqual([
      { filename: 'private', reason: 'refused: 10.0.0.1 is a private or local address' },
    ]);
  });

  it('classifies addresses', () => {
    const restricted = [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '100.127.255.255',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
      '::',
      '::1',
      '[::1]',
      '::ffff:10.0.0.1',
      '::ffff:a9fe:a9fe',
      'fd00:ec2::254',
      'fe80::1',
      'ff02::1',
      '64:ff9b::a00:1', // NAT64 of 10.0.0.1
      '2002:a9fe:a9fe::1', // 6to4 of 169.254.169.254
      'not-an-ip',
    ];
    const open = [
      '8.8.8.8',
      '172.32.0.1',
      '100.128.0.1',
      '93.184.216.34',
      '2606:4700::1111',
      '::ffff:8.8.8.8',
      '64:ff9b::808:808',
    ];
    for (const address of restricted) expect(isRestrictedAddress(address), address).toBe(true);
    for (const address of open) expect(isRestrictedAddress(address), address).toBe(false);
    expect(isRestrictedAddress('127.0.0.1', true)).toBe(false);
    expect(isRestrictedAddress('::1', true)).toBe(false);
    expect(isRestrictedAddress('10.0.0.1', true)).toBe(true);
    expect(isRestrictedAddress('169.254.169.254', true)).toBe(true);
  });
});

describe('connect-time lookup guard', () => {
  const fakeResolver =
    (addresses: string[]): Resolver =>
    (_hostname, _options, callback) =>
      callback(
        null,
        addresses.map((address): LookupAddress => ({ address, family: address.includes(':') ? 6 : 4 })),
      );

  function lookup(resolve: Resolver, all: boolean, allowLoopback = false) {
    return new Promise<{ error: unknown; address: unknown; family: unknown }>((done) =>
      guardedLookup({ resolve, allowLoopback })('files.example.com', { all }, (error, address, family) =>
        done({ error, address, family }),
      ),
    );
  }

  it('refuses a name resolving to a restricted address, even among public ones', async () => {
    for (const addresses of [
      ['127.0.0.1'],
      ['10.2.3.4'],
      ['93.184.216.34', '10.0.0.1'],
      ['::ffff:169.254.169.254'],
    ]) {
      const { error } = await lookup(fakeResolver(addresses), true);
      expect(error, addresses.join()).toBeInstanceOf(RestrictedAddressError);
      expect((error as Error).message).toBe('files.example.com resolves to a private or local address');
    }
    expect((await lookup(fakeResolver(['127.0.0.1']), false, true)).error).toBeNull();
    expect((await lookup(fakeResolver(['10.0.0.1']), false, true)).error).toBeInstanceOf(
      RestrictedAddressError,
    );
  });

  it('passes public answers on in the shape net asked for, and resolver errors through', async () => {
    const resolve = fakeResolver(['93.184.216.34', '2606:2800:220:1::']);
    expect(await lookup(resolve, false)).toEqual({ error: null, address: '93.184.216.34', family: 4 });
    expect(await lookup(resolve, true)).toEqual({
      error: null,
      address: [
        { address: '93.184.216.34', family: 4 },
        { address: '2606:2800:220:1::', family: 6 },
      ],
      family: undefined,
    });
    const failing: Resolver = (_h, _o, callback) =>
      callback(Object.assign(new Error('nope'), { code: 'ENOTFOUND' }), []);
    expect(((await lookup(failing, true)).error as { code?: string }).code).toBe('ENOTFOUND');
  });

  it('the default Agent refuses localhost at connect time; allowLocal lets it connect', async () => {
    const server = await loopback();
    const ref = { filename: 'a.pdf', url: `https://localhost:${server.port}/a.pdf` };
    const refused = await fetchAll([ref], { allowedHosts: ['localhost'], timeoutMs: 5_000 });
    expect(refused.failures).toEqual([
      { filename: 'a.pdf', reason: 'refused: localhost resolves to a private or local address' },
    ]);
    expect(server.connections()).toBe(0);
    // Control: the same request with loopback permitted reaches the (plain-http) server and fails TLS.
    const reached = await fetchAll(
      [ref],
      { allowedHosts: ['localhost'], timeoutMs: 5_000 },
      { allowLocal: true },
    );
    expect(reached.failures[0]?.reason).toMatch(/^network error/);
    expect(server.connections()).toBeGreaterThan(0);
  });
});

describe('failure reasons', () => {
  it('never carry query strings, paths, userinfo or credentials', async () => {
    const agent = mockAgent();
    serve(agent, 'https://acme.zendesk.com', (path): MockReply =>
      path.startsWith('/hop')
        ? { statusCode: 302, headers: { location: 'https://evil.example.com/?X-Amz-Signature=SECRETQ' } }
        : path.startsWith('/big')
          ? { statusCode: 200, headers: { 'content-length': '999999' } }
          : { statusCode: 404 },
    );
    agent
      .get('https://p1.zdusercontent.com')
      .intercept({ path: () => true })
      .replyWithError(new Error('connect failed for https://p1.zdusercontent.com/x?token=SECRETQ'))
      .persist();
    const refs = [
      'https://acme.zendesk.com/attachments/token/SECRETPATH/?name=a.pdf&token=SECRETQ',
      'https://evil.example.com/x?sig=SECRETQ',
      'https://user:SECRETPW@acme.zendesk.com/x',
      'http://acme.zendesk.com/x?token=SECRETQ',
      'https://acme.zendesk.com/hop/SECRETPATH?token=SECRETQ',
      'https://acme.zendesk.com/big/SECRETPATH?token=SECRETQ',
      'https://p1.zdusercontent.com/x?token=SECRETQ',
    ].map((url, i) => ({ filename: `file${i}.pdf`, url }));
    const fetched = await fetchAll(
      refs,
      { allowedHosts: ZENDESK, authorization: 'Basic U0VDUkVUQVVUSA==', maxFileBytes: 1000 },
      { dispatcher: agent },
    );
    expect(fetched.failures).toHaveLength(refs.length);
    const text = JSON.stringify(fetched.failures);
    expect(text).not.toMatch(/SECRET|\?|Basic|U0VD|token=|user:|\/x/);
    expect(fetched.failures.map((f) => f.reason)).toEqual([
      'HTTP 404 from acme.zendesk.com',
      'refused: host evil.example.com is not on the allowlist',
      'refused: the URL carries credentials',
      'refused: only https is allowed',
      'redirect refused: host evil.example.com is not on the allowlist',
      'too large: content-length 999999 is over the per-file cap of 1000 bytes',
      'download failed',
    ]);
  });
});

describe('lifecycle and programmer errors', () => {
  it('makes no temp dir for a case without attachments', async () => {
    const fetched = await fetchAll([], { allowedHosts: ZENDESK });
    expect(fetched).toMatchObject({ files: [], failures: [] });
    expect(await readdir(tmp)).toEqual([]);
  });

  it('reports every file when the caller has already given up, without throwing', async () => {
    const agent = mockAgent();
    const seen = serve(agent, 'https://acme.zendesk.com', () => ({ statusCode: 200, data: 'x' }));
    const fetched = await fetchAll(
      [
        { filename: 'a.pdf', url: 'https://acme.zendesk.com/a' },
        { filename: 'b.pdf', url: 'https://acme.zendesk.com/b' },
      ],
      { allowedHosts: ZENDESK },
      { dispatcher: agent, signal: AbortSignal.abort() },
    );
    expect(fetched.failures.map((f) => f.reason)).toEqual([
      'cancelled before the download finished',
      'cancelled before the download finished',
    ]);
    expect(seen).toEqual([]);
  });

  it('throws on an invalid policy, before touching the disk', async () => {
    const ref = [{ filename: 'a', url: 'https://acme.zendesk.com/a' }];
    for (const policy of [
      { allowedHosts: ['*'] },
      { allowedHosts: ['*.com'] },
      { allowedHosts: ['https://acme.zendesk.com'] },
      { allowedHosts: ZENDESK, maxFileBytes: 0 },
      { allowedHosts: ZENDESK, maxCaseBytes: 1.5 },
      { allowedHosts: ZENDESK, maxRedirects: -1 },
    ]) {
      await expect(fetchAttachments(ref, policy, { tmpDir: tmp }), JSON.stringify(policy)).rejects.toThrow(
        TypeError,
      );
    }
    expect(await readdir(tmp)).toEqual([]);
  });

  it('sanitizes file names, keeping accents', () => {
    expect(safeFilename('Paz y salvo – cédula ñ.pdf')).toBe('Paz y salvo – cédula ñ.pdf');
    expect(safeFilename('../../etc/passwd')).toBe('_.._etc_passwd');
    expect(safeFilename('..\\win\\x.pdf')).toBe('_win_x.pdf');
    expect(safeFilename('a\r\nb\u0000c.pdf')).toBe('abc.pdf');
    expect(safeFilename('invoice\u202Efdp.exe')).toBe('invoicefdp.exe');
    expect(safeFilename('Cafe\u0301.txt')).toBe('Café.txt');
    expect(safeFilename(' .. ')).toBe('attachment');
    const long = safeFilename(`${'á'.repeat(300)}.pdf`);
    expect(Array.from(long)).toHaveLength(200);
    expect(long.endsWith('á.pdf')).toBe(true);
  });
});

describe('provider policy (what each helpdesk declares, as the worker reads it)', () => {
  const access = (provider: string, env: Record<string, string> = {}, secrets: Record<string, string> = {}) =>
    attachmentAccess(
      loadConfig({ WOLKVOX_SERVER: 'crm0001.wolkvox.com', WOLKVOX_OPERATION: 'demo', ...env }),
      provider,
      secrets,
    );

  it('lists each provider’s hosts, narrowed by the account settings', async () => {
    expect((await access('zendesk', { ZENDESK_SUBDOMAIN: 'Acme' })).hosts).toEqual(ZENDESK);
    expect((await access('zendesk')).hosts).toEqual(['*.zendesk.com', '*.zdusercontent.com']);
    expect((await access('jira', { JIRA_SITE: 'acme.atlassian.net' })).hosts).toEqual([
      'acme.atlassian.net',
      'api.media.atlassian.com',
    ]);
    expect((await access('jira')).hosts).toEqual(['*.atlassian.net', 'api.media.atlassian.com']);
    expect((await access('freshdesk')).hosts).toEqual(['*.freshdesk.com', '*.freshworks.com']);
    expect((await access('servicenow')).hosts).toEqual([]);
    expect((await access('constructor')).hosts).toEqual([]);
    expect(() =>
      loadConfig({
        WOLKVOX_SERVER: 'x.wolkvox.com',
        WOLKVOX_OPERATION: 'd',
        ZENDESK_SUBDOMAIN: 'acme.evil.com/',
      }),
    ).toThrow(/ZENDESK_SUBDOMAIN/);
  });

  it('builds each provider’s Basic credentials, or none when a secret is missing', async () => {
    const decode = (value: string | undefined) =>
      Buffer.from(value?.replace(/^Basic /, '') ?? '', 'base64').toString();
    const secrets = {
      ZENDESK_API_EMAIL: 'ana@acme.co',
      ZENDESK_API_TOKEN: 'zt0k',
      JIRA_API_EMAIL: 'ops@acme.co',
      JIRA_API_TOKEN: 'jt0k',
      FRESHDESK_API_KEY: 'fk3y',
    };
    const authorization = async (provider: string, given: Record<string, string>) =>
      (await access(provider, {}, given)).authorization;
    expect(decode(await authorization('zendesk', secrets))).toBe('ana@acme.co/token:zt0k');
    expect(decode(await authorization('jira', secrets))).toBe('ops@acme.co:jt0k');
    expect(decode(await authorization('freshdesk', secrets))).toBe('fk3y:X');
    expect(await authorization('zendesk', { ...secrets, ZENDESK_API_TOKEN: ' ' })).toBeUndefined();
    expect(await authorization('jira', { JIRA_API_TOKEN: 'jt0k' })).toBeUndefined();
    expect(await authorization('freshdesk', {})).toBeUndefined();
    expect(await authorization('hubspot', secrets)).toBeUndefined();
  });
});

describe('localAttachmentDispatcher', () => {
  it('serves files by ?name=, index.json or last segment, and 404s anything else', async () => {
    const dir = join(tmp, 'samples');
    await mkdir(dir);
    const pdf = randomBytes(5_000);
    await writeFile(join(dir, 'paz-y-salvo.pdf'), pdf);
    await writeFile(join(dir, 'contrato.pdf'), 'contrato');
    await writeFile(join(dir, 'logo.png'), 'png');
    await writeFile(
      join(dir, 'index.json'),
      JSON.stringify({ '/rest/api/3/attachment/content/10042': 'contrato.pdf' }),
    );
    await writeFile(join(tmp, 'outside.txt'), 'must not be served');
    const agent = localAttachmentDispatcher(dir);
    closers.push(() => agent.close());

    const fetched = await fetchAll(
      [
        {
          filename: 'paz-y-salvo.pdf',
          url: 'https://acme.zendesk.com/attachments/token/abc/?name=paz-y-salvo.pdf',
        },
        { filename: 'contrato.pdf', url: 'https://acme.atlassian.net/rest/api/3/attachment/content/10042' },
        { filename: 'logo.png', url: 'https://acme.zendesk.com/files/logo.png' },
        { filename: 'nope.pdf', url: 'https://acme.zendesk.com/attachments/token/x/?name=nope.pdf' },
        { filename: 'escape.txt', url: 'https://acme.zendesk.com/a/?name=../outside.txt' },
      ],
      { allowedHosts: [...ZENDESK, 'acme.atlassian.net'] },
      { dispatcher: agent },
    );
    expect(fetched.files.map((f) => [f.filename, f.contentType])).toEqual([
      ['paz-y-salvo.pdf', 'application/pdf'],
      ['contrato.pdf', 'application/pdf'],
      ['logo.png', 'image/png'],
    ]);
    expect((await bytesOf(fetched.files[0])).equals(pdf)).toBe(true);
    expect((await bytesOf(fetched.files[1])).toString()).toBe('contrato');
    expect(fetched.failures).toEqual([
      { filename: 'nope.pdf', reason: 'HTTP 404 from acme.zendesk.com' },
      { filename: 'escape.txt', reason: 'HTTP 404 from acme.zendesk.com' },
    ]);
    // Plain http origins are not served (and never reach the network).
    await expect(
      request('http://acme.zendesk.com/?name=paz-y-salvo.pdf', { dispatcher: agent }),
    ).rejects.toThrow();
  });
});
