import { createWriteStream, openAsBlob } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { type Agent, type Dispatcher, request } from '#lib/undici.ts';
import type { AttachmentRef } from '#lib/events.ts';
import type { CaseFile } from '#lib/wolkvox/types.ts';
import { createGuardedAgent, isRestrictedAddress, RestrictedAddressError } from './address.ts';
import { assertHostPatterns, hostAllowed, normalizeHost } from './policy.ts';

const MiB = 1024 * 1024;

export const ATTACHMENT_DEFAULTS = {
  maxFileBytes: 10 * MiB,
  maxCaseBytes: 20 * MiB,
  timeoutMs: 15_000,
  maxRedirects: 3,
} as const;

export interface AttachmentPolicy {
  /** Exact hosts or `*.suffix` wildcards (a wildcard matches subdomains only, not the bare suffix). */
  allowedHosts: string[];
  /** Per file; default 10 MiB. */
  maxFileBytes?: number;
  /** Sum over the case, counting files in order; default 20 MiB. */
  maxCaseBytes?: number;
  /** Per file, redirects included; default 15 s. */
  timeoutMs?: number;
  /** Authorization header value for the provider (e.g. Basic …), sent only to the first URL's origin. */
  authorization?: string;
  /** Default 3; every hop is re-checked against the allowlist, https and the IP rule. */
  maxRedirects?: number;
}

export interface AttachmentFailure {
  filename: string;
  /** Safe to log: names a host at most, never a path, query string or credential. */
  reason: string;
}

export interface FetchedAttachments {
  /** In the order of the refs; Blob-backed by temp files, streamed by undici's FormData. */
  files: CaseFile[];
  failures: AttachmentFailure[];
  /** Removes the temp files; call after the upload (the Blobs cannot be read afterwards). */
  cleanup(): Promise<void>;
}

export interface FetchOptions {
  /** Replaces the default guarded Agent (tests, local runs); the URL checks still apply. */
  dispatcher?: Dispatcher;
  /** The caller's deadline, combined with the per-file timeout. */
  signal?: AbortSignal;
  /** Parent of the temp dir; default os.tmpdir() (Lambda's /tmp). */
  tmpDir?: string;
  /** Tests only, never from configuration: permits http and loopback addresses. */
  allowLocal?: boolean;
}

/** A download refused or failed for a reason that is safe to log as it stands. */
class Refusal extends Error {
  override readonly name = 'Refusal';
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

let sharedAgent: Agent | undefined;

/** One guarded keep-alive agent per process, so warm invocations reuse their connections. */
function defaultAgent(): Agent {
  sharedAgent ??= createGuardedAgent();
  return sharedAgent;
}

/**
 * Downloads the attachments of one case, one after the other: memory, sockets and /tmp stay
 * bounded, the case cap is counted in a fixed order, and the worker runs at most two invocations
 * anyway. A file that cannot be fetched is reported in `failures`, never thrown; only an invalid
 * policy (a programmer error) throws.
 */
export async function fetchAttachments(
  refs: AttachmentRef[],
  policy: AttachmentPolicy,
  options: FetchOptions = {},
): Promise<FetchedAttachments> {
  const rules = resolvePolicy(policy);
  const files: CaseFile[] = [];
  const failures: AttachmentFailure[] = [];
  if (refs.length === 0) return { files, failures, cleanup: async () => {} };

  let dir: string;
  try {
    dir = await mkdtemp(join(options.tmpDir ?? tmpdir(), 'attachments-'));
  } catch {
    const reason = 'no temporary storage for the download';
    return {
      files,
      failures: refs.map((ref) => ({ filename: safeFilename(ref.filename), reason })),
      cleanup: async () => {},
    };
  }

  // allowLocal gets its own agent, closed at the end, so a test's servers are not held open.
  const ownAgent =
    !options.dispatcher && options.allowLocal ? createGuardedAgent({ allowLoopback: true }) : undefined;
  const dispatcher = options.dispatcher ?? ownAgent ?? defaultAgent();
  let remaining = rules.maxCaseBytes;
  try {
    for (const [index, ref] of refs.entries()) {
      const filename = safeFilename(ref.filename);
      const timeout = AbortSignal.timeout(rules.timeoutMs);
      const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
      try {
        if (remaining <= 0) throw new Refusal(`case attachment cap of ${rules.maxCaseBytes} bytes reached`);
        const limit = {
          bytes: Math.min(rules.maxFileBytes, remaining),
          name:
            remaining < rules.maxFileBytes
              ? `case attachment cap of ${rules.maxCaseBytes} bytes (${remaining} left)`
              : `per-file cap of ${rules.maxFileBytes} bytes`,
        };
        const file = await download(ref, join(dir, String(index + 1)), {
          ...rules,
          limit,
          signal,
          dispatcher,
          allowLocal: options.allowLocal === true,
        });
        remaining -= file.bytes;
        files.push({ filename, contentType: file.contentType, data: file.blob });
      } catch (error) {
        failures.push({ filename, reason: reasonFor(error, timeout, rules.timeoutMs, options.signal) });
      }
    }
  } finally {
    await ownAgent?.close();
  }

  let cleaned: Promise<void> | undefined;
  return {
    files,
    failures,
    cleanup: () => (cleaned ??= rm(dir, { recursive: true, force: true })),
  };
}

type Rules = Required<Omit<AttachmentPolicy, 'authorization'>> & Pick<AttachmentPolicy, 'authorization'>;

function resolvePolicy(policy: AttachmentPolicy): Rules {
  assertHostPatterns(policy.allowedHosts);
  const rules = { ...ATTACHMENT_DEFAULTS, ...definedOnly(policy) };
  for (const key of ['maxFileBytes', 'maxCaseBytes', 'timeoutMs'] as const) {
    if (!Number.isSafeInteger(rules[key]) || rules[key] <= 0)
      throw new TypeError(`${key} must be a positive integer`);
  }
  if (!Number.isSafeInteger(rules.maxRedirects) || rules.maxRedirects < 0) {
    throw new TypeError('maxRedirects must be a non-negative integer');
  }
  return rules;
}

/** `{ maxFileBytes: undefined }` must not override the default. */
function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

interface DownloadContext extends Rules {
  limit: { bytes: number; name: string };
  signal: AbortSignal;
  dispatcher: Dispatcher;
  allowLocal: boolean;
}

async function download(ref: AttachmentRef, path: string, ctx: DownloadContext) {
  // The payload's own size is trusted only to refuse early; the stream is counted regardless.
  if (ref.size !== undefined && ref.size > ctx.limit.bytes) {
    throw new Refusal(`too large: ${ref.size} bytes declared by the helpdesk, over the ${ctx.limit.name}`);
  }
  let url = parseUrl(ref.url, undefined, 'refused');
  const firstOrigin = url.origin;
  for (let hop = 0; ; hop++) {
    assertTarget(url, ctx, hop === 0 ? 'refused' : 'redirect refused');
    ctx.signal.throwIfAborted();
    const headers: Record<string, string> = { accept: '*/*', 'user-agent': 'wolkvox-webhooks' };
    // A pre-signed URL carries its own credentials; storage such as S3 rejects a second scheme.
    if (ctx.authorization && url.origin === firstOrigin && !isPresigned(url)) {
      headers.authorization = ctx.authorization;
    }
    const response = await request(url, {
      method: 'GET',
      headers,
      signal: ctx.signal,
      dispatcher: ctx.dispatcher,
    });
    const host = normalizeHost(url.hostname);

    if (REDIRECTS.has(response.statusCode)) {
      await response.body.dump();
      if (hop >= ctx.maxRedirects) throw new Refusal(`too many redirects (more than ${ctx.maxRedirects})`);
      const location = single(response.headers.location);
      if (!location) throw new Refusal(`redirect without a Location from ${host}`);
      url = parseUrl(location, url, 'redirect refused');
      continue;
    }
    if (response.statusCode !== 200) {
      await response.body.dump();
      throw new Refusal(`HTTP ${response.statusCode} from ${host}`);
    }

    const declared = Number(single(response.headers['content-length']) ?? Number.NaN);
    if (Number.isSafeInteger(declared) && declared > ctx.limit.bytes) {
      // Destroy instead of draining: the body is never read.
      response.body.destroy();
      throw new Refusal(`too large: content-length ${declared} is over the ${ctx.limit.name}`);
    }

    let bytes = 0;
    const limit = ctx.limit;
    try {
      await pipeline(
        response.body,
        // Counting while streaming: a missing or lying content-length must not get past the cap.
        async function* (source: AsyncIterable<Uint8Array>) {
          for await (const chunk of source) {
            bytes += chunk.byteLength;
            if (bytes > limit.bytes) throw new Refusal(`too large: over the ${limit.name}`);
            yield chunk;
          }
        },
        createWriteStream(path, { flags: 'wx' }),
        { signal: ctx.signal },
      );
    } catch (error) {
      await rm(path, { force: true });
      throw error;
    }
    const contentType = pickContentType(ref.contentType, single(response.headers['content-type']));
    return { blob: await openAsBlob(path, { type: contentType }), bytes, contentType };
  }
}

/** A Location header may be relative to the URL that answered it. */
function parseUrl(value: string, base: URL | undefined, prefix: string): URL {
  try {
    return new URL(value, base);
  } catch {
    throw new Refusal(`${prefix}: not a valid URL`);
  }
}

/** https only, no credentials in the URL, no restricted IP literal, a host on the allowlist. */
function assertTarget(url: URL, ctx: { allowedHosts: string[]; allowLocal: boolean }, prefix: string): void {
  if (url.protocol !== 'https:' && !(ctx.allowLocal && url.protocol === 'http:')) {
    throw new Refusal(`${prefix}: only https is allowed`);
  }
  if (url.username || url.password) throw new Refusal(`${prefix}: the URL carries credentials`);
  const host = normalizeHost(url.hostname);
  // A literal skips DNS, so the connect-time guard never sees it: check it here.
  if (isIP(host) !== 0 && isRestrictedAddress(host, ctx.allowLocal)) {
    throw new Refusal(`${prefix}: ${host} is a private or local address`);
  }
  if (!hostAllowed(host, ctx.allowedHosts))
    throw new Refusal(`${prefix}: host ${host} is not on the allowlist`);
}

function isPresigned(url: URL): boolean {
  const query = url.searchParams;
  return (
    query.has('X-Amz-Signature') ||
    query.has('X-Amz-Credential') ||
    (query.has('Signature') && query.has('Expires'))
  );
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

const MIME_TYPE = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+(?:\s*;[\x20-\x7e]*)?$/;

/** The ref's type, else the response's, else octet-stream; a malformed one is skipped. */
function pickContentType(...candidates: (string | undefined)[]): string {
  for (const candidate of candidates) {
    const value = candidate?.trim().toLowerCase();
    if (value && MIME_TYPE.test(value)) return value;
  }
  return 'application/octet-stream';
}

/**
 * A display name safe for a multipart part and a CRM: no control or bidirectional-override
 * characters (which can disguise an extension), no path separators, no leading dots; accents kept.
 */
export function safeFilename(name: string): string {
  const cleaned = name
    .normalize('NFC')
    .replace(/[\p{Cc}\u202a-\u202e\u2066-\u2069]/gu, '')
    .replace(/[/\\]/g, '_')
    .trim()
    .replace(/^\.+/, '')
    .trim();
  const chars = Array.from(cleaned);
  if (chars.length === 0) return 'attachment';
  if (chars.length <= 200) return cleaned;
  // Keep a short extension when cutting a very long name.
  const dot = cleaned.lastIndexOf('.');
  const extension = dot > 0 && cleaned.length - dot <= 16 ? cleaned.slice(dot) : '';
  return chars.slice(0, 200 - extension.length).join('') + extension;
}

function reasonFor(error: unknown, timeout: AbortSignal, timeoutMs: number, caller?: AbortSignal): string {
  if (error instanceof Refusal) return error.message;
  if (timeout.aborted) return `timed out after ${timeoutMs} ms`;
  if (caller?.aborted) return 'cancelled before the download finished';
  const restricted = findInCauses(error, (e) => e instanceof RestrictedAddressError);
  if (restricted instanceof RestrictedAddressError) return `refused: ${restricted.message}`;
  // Codes only: error messages may quote a URL or an address.
  const coded = findInCauses(error, (e) => typeof (e as { code?: unknown }).code === 'string');
  const code = (coded as { code?: string } | undefined)?.code;
  return code ? `network error (${code})` : 'download failed';
}

function findInCauses(error: unknown, test: (error: object) => boolean): unknown {
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 5; depth++) {
    if (test(current)) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
