// scripts/bundle-loader.mjs, a bundle's index.mjs: runs the bundle's scripts as Node's module loader
// ran the ES modules they came from, with V8's code cache where V8 takes it. On a small bundle of
// its own: the functions' bundles run through it in test/bundle.test.ts.
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const LOADER = join(import.meta.dirname, '..', 'scripts', 'bundle-loader.mjs');

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wolkvox-loader-'));
  await mkdir(join(dir, 'chunks'));
  await copyFile(LOADER, join(dir, 'index.mjs'));
  // As outputsAsScripts writes them: CommonJS, naming each other by their ES module names.
  await writeFile(
    join(dir, 'main.cjs'),
    [
      'const shared = require("./chunks/shared.mjs");',
      'const again = require("./chunks/shared.mjs");',
      'exports.handler = async () => {',
      '  const lazy = await Promise.resolve().then(() => require("./chunks/lazy.mjs"));',
      '  let line;',
      '  try { shared.fail(); } catch (error) { line = /shared\\.cjs:(\\d+)/.exec(error.stack)?.[1]; }',
      '  return {',
      '    sameInstance: shared === again,',
      '    count: shared.count(),',
      '    lazy: lazy.value,',
      '    strict: (function () { return this; })() === undefined,',
      '    ownUrl: __bundleFileUrl.endsWith("/main.cjs"),',
      '    builtin: typeof require("node:path").join,',
      '    resolves: typeof require.resolve,',
      '    failedOnLine: Number(line),',
      '  };',
      '};',
    ].join('\n'),
  );
  await writeFile(
    join(dir, 'chunks', 'shared.cjs'),
    [
      'let n = 0;',
      'exports.count = () => ++n;',
      'exports.fail = () => {',
      '  throw new Error("line 4");',
      '};',
    ].join('\n'),
  );
  await writeFile(join(dir, 'chunks', 'lazy.cjs'), 'exports.value = "loaded on first use";');
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Report {
  level: string;
  message: string;
  accepted: number;
  refused: number;
  missing: number;
}

/** Loads the bundle in a fresh Node (with `flags`), calls the handler; its answer and the loader's report. */
async function invoke(flags: string[], mode?: string): Promise<{ answer: unknown; reports: Report[] }> {
  const script = `const { handler } = await import(${JSON.stringify(join(dir, 'index.mjs'))}); process.stdout.write(JSON.stringify(await handler()));`;
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '' };
  delete env.BUNDLE_CODE_CACHE;
  if (mode) env.BUNDLE_CODE_CACHE = mode;
  const { stdout, stderr } = await run(process.execPath, [...flags, '--input-type=module', '-e', script], {
    env,
  });
  const reports = stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Report);
  return { answer: JSON.parse(stdout), reports };
}

const ANSWER = {
  sameInstance: true,
  count: 1,
  lazy: 'loaded on first use',
  strict: true,
  ownUrl: true,
  builtin: 'function',
  resolves: 'function',
  failedOnLine: 4,
};

describe('scripts/bundle-loader.mjs', () => {
  it("runs each script once, in strict mode, with the file's own positions in stack traces", async () => {
    const { answer, reports } = await invoke([], 'report');
    expect(answer).toEqual(ANSWER);
    // No cache yet: every script loaded at init compiles from source, and nothing is said but the report.
    expect(reports).toEqual([
      expect.objectContaining({ level: 'INFO', accepted: 0, refused: 0, missing: 2 }),
    ]);
  });

  it('takes the code cache this Node made, and says nothing unless asked', async () => {
    await invoke([], 'write');
    const { answer, reports } = await invoke([], 'report');
    expect(answer).toEqual(ANSWER);
    expect(reports).toEqual([expect.objectContaining({ accepted: 2, refused: 0, missing: 0 })]);
    expect((await invoke([])).reports).toEqual([]);
  });

  it("compiles from source when V8 refuses a cache (another V8's flags), and warns once", async () => {
    // --expose-gc changes V8's flag hash, as another V8 or architecture would change the cache's checks.
    await invoke(['--expose-gc'], 'write');
    const { answer, reports } = await invoke([]);
    expect(answer).toEqual(ANSWER);
    expect(reports).toEqual([
      expect.objectContaining({
        level: 'WARN',
        message: expect.stringContaining('V8 refused the code cache'),
        refused: 2,
        node: process.version,
        arch: process.arch,
      }),
    ]);
  });
});
