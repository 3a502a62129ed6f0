import { readFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { fileURLToPath } from 'node:url';

// Stack traces in TypeScript positions, worked out when a stack is read rather than when code
// loads. NODE_OPTIONS=--enable-source-maps reads and parses the source map of every file a cold
// start loads (5–9 ms of ours in the bench) so that the rare error prints well; this reads the
// map beside a bundle file the first time one of its frames is printed, and keeps it.
const maps = new Map<string, SourceMap | undefined>();

function sourceMapOf(file: string): SourceMap | undefined {
  if (!maps.has(file)) {
    let map: SourceMap | undefined;
    try {
      const path = file.startsWith('file:') ? fileURLToPath(file) : file;
      map = new SourceMap(JSON.parse(readFileSync(`${path}.map`, 'utf8')) as SourceMapPayload);
    } catch {
      // No map beside it (sources run as TypeScript, Node's own files): the position as it is.
      map = undefined;
    }
    maps.set(file, map);
  }
  return maps.get(file);
}

/**
 * One frame in Node's format, with the bundle's position and function name replaced by the
 * originals. The minifier renamed the function: its name is recorded where it starts or, failing
 * that, where its caller (the next frame, in the same file) calls it, as Node itself looks it up.
 */
function mappedFrame(site: NodeJS.CallSite, caller?: NodeJS.CallSite): string {
  const file = site.getFileName();
  const line = site.getLineNumber();
  const column = site.getColumnNumber();
  if (!file || line === null || column === null || file.startsWith('node:')) return String(site);
  const map = sourceMapOf(file);
  const entry = map?.findEntry(line - 1, column - 1);
  if (!map || !entry || !('originalSource' in entry)) return String(site);
  // esbuild writes sources relative to the map (../../lib/x.ts): the repository path reads better.
  const source = entry.originalSource.replace(/^(?:\.\.\/)+/, '');
  const location = `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  const minified = site.getFunctionName() ?? site.getMethodName();
  const typeName = site.getTypeName();
  const original = minified
    ? (nameAt(map, site.getEnclosingLineNumber(), site.getEnclosingColumnNumber()) ??
      (caller?.getFileName() === file
        ? nameAt(map, caller.getLineNumber(), caller.getColumnNumber())
        : undefined))
    : undefined;
  const name =
    original ?? (minified && typeName && typeName !== 'global' ? `${typeName}.${minified}` : minified);
  const prefix = site.isAsync() ? 'async ' : site.isConstructor() ? 'new ' : '';
  return name ? `${prefix}${name} (${location})` : `${prefix}${location}`;
}

function nameAt(map: SourceMap, line: number | null, column: number | null): string | undefined {
  if (line === null || column === null) return undefined;
  // Node returns the entry's name too (documented), though @types/node's SourceMapping omits it.
  const { name } = map.findEntry(line - 1, column - 1) as { name?: unknown };
  return typeof name === 'string' && name ? name : undefined;
}

/** Error.prepareStackTrace's work: the header V8 would write, then each frame, mapped where it can be. */
export function formatStack(error: Error, sites: NodeJS.CallSite[]): string {
  let header: string;
  try {
    header = Error.prototype.toString.call(error);
  } catch {
    header = '<error>';
  }
  const frames = sites.map((site, i) => {
    try {
      return `\n    at ${mappedFrame(site, sites[i + 1])}`;
    } catch {
      return `\n    at ${String(site)}`;
    }
  });
  return header + frames.join('');
}

/**
 * Installs the mapping for this process (V8 calls Error.prepareStackTrace when a stack is first
 * read), unless Node maps stacks itself (--enable-source-maps).
 */
export function mapStackTraces(): void {
  if (!process.sourceMapsEnabled) Error.prepareStackTrace = formatStack;
}

/**
 * Where an unexpected error was thrown, for logs: the stack's frames without its first line, which
 * repeats the message (a message can quote the input, which is personal data).
 */
export function stackFrames(error: unknown, max = 8): string[] {
  const stack = error instanceof Error && typeof error.stack === 'string' ? error.stack : '';
  return stack
    .split('\n')
    .filter((line) => line.startsWith('    at '))
    .slice(0, max)
    .map((line) => line.slice('    at '.length));
}
