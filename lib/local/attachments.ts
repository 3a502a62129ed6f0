import { readFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MockAgent } from 'undici';

/**
 * The helpdesks for local runs (demo, npm start, invoke): sample events carry real-looking
 * provider URLs that cannot be reached offline, so an undici MockAgent answers every https GET
 * from files on disk. It replaces only the transport: the allowlist and https checks of
 * fetchAttachments still run (the IP rule does not, as nothing connects).
 *
 * Which file: the `name` query parameter (Zendesk's `…/attachments/token/abc/?name=x.pdf`), else
 * the URL path's entry in `<dir>/index.json` (`{ "/rest/api/3/attachment/content/10042": "x.pdf" }`,
 * for Jira's numeric URLs), else the last path segment. Anything else is a 404.
 */

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

const TYPES: Record<string, string> = {
  '.pdf': 'application/pdf',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.txt': 'text/plain; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.json': 'application/json',
  '.zip': 'application/zip',
  '.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

/** `dir` is relative to the repository root (not the working directory) unless absolute. */
export function localAttachmentDispatcher(dir = 'events/attachments'): MockAgent {
  const root = resolve(REPO_ROOT, dir);
  const agent = new MockAgent();
  agent.disableNetConnect();
  agent
    .get((origin) => origin.startsWith('https://'))
    .intercept({ path: () => true, method: 'GET' })
    .reply(async ({ path }) => serve(root, path))
    .persist();
  return agent;
}

async function serve(root: string, path: string) {
  const notFound = { statusCode: 404, data: 'not found' };
  const url = new URL(path, 'https://local.invalid');
  const name =
    url.searchParams.get('name') ?? (await mapped(root, url.pathname)) ?? lastSegment(url.pathname);
  if (!name || !isPlainName(name)) return notFound;
  try {
    const data = await readFile(join(root, name));
    const type = TYPES[extname(name).toLowerCase()] ?? 'application/octet-stream';
    return {
      statusCode: 200,
      data,
      responseOptions: { headers: { 'content-type': type, 'content-length': String(data.byteLength) } },
    };
  } catch {
    return notFound;
  }
}

async function mapped(root: string, pathname: string): Promise<string | undefined> {
  let index: unknown;
  try {
    index = JSON.parse(await readFile(join(root, 'index.json'), 'utf8'));
  } catch {
    return undefined;
  }
  const value =
    index && typeof index === 'object' && Object.hasOwn(index, pathname)
      ? (index as Record<string, unknown>)[pathname]
      : undefined;
  return typeof value === 'string' ? value : undefined;
}

function lastSegment(pathname: string): string | undefined {
  const segment = pathname.split('/').filter(Boolean).at(-1);
  if (segment === undefined) return undefined;
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** A file directly inside the directory: no separators, no dot files, no way up. */
function isPlainName(name: string): boolean {
  return !/[/\\\0]/.test(name) && !name.startsWith('.');
}
