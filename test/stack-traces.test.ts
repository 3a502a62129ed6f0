import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { transform } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatStack, stackFrames } from '#lib/stack-traces.ts';

// A minified module with its source map beside it, as a bundle ships, and call sites in it.
const SOURCE = [
  'export function chargeObligation(amount: number): number {',
  "  if (amount < 0) throw new RangeError('negative');",
  '  return amount;',
  '}',
].join('\n');

let dir: string;
let file: string;
/** Where `throw` landed in the minified output (1-based, as V8 reports positions). */
let throwAt: { line: number; column: number };
/** Where the function's name landed (its declaration). */
let nameAt: { line: number; column: number };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wolkvox-stack-'));
  const out = await transform(SOURCE, {
    loader: 'ts',
    format: 'esm',
    minify: true,
    sourcemap: 'external',
    sourcefile: '../../lib/translate/fixture.ts',
  });
  const path = join(dir, 'index.mjs');
  await writeFile(path, `${out.code}//# sourceMappingURL=index.mjs.map\n`);
  await writeFile(`${path}.map`, out.map);
  file = pathToFileURL(path).href;
  const position = (needle: string) => {
    const lines = out.code.split('\n');
    const line = lines.findIndex((text) => text.includes(needle));
    return { line: line + 1, column: (lines[line]?.indexOf(needle) ?? 0) + 1 };
  };
  throwAt = position('throw');
  // `function e(` → the identifier after the keyword.
  const declared = position('function ');
  nameAt = { line: declared.line, column: declared.column + 'function '.length };
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface FakeSite {
  file?: string | null;
  line?: number | null;
  column?: number | null;
  functionName?: string | null;
  typeName?: string | null;
  enclosing?: { line: number; column: number } | null;
  async?: boolean;
  isNew?: boolean;
  text?: string;
}

/** A stand-in for V8's CallSite: the methods the formatter reads. */
function site(fake: FakeSite): NodeJS.CallSite {
  return {
    getFileName: () => fake.file ?? null,
    getLineNumber: () => fake.line ?? null,
    getColumnNumber: () => fake.column ?? null,
    getFunctionName: () => fake.functionName ?? null,
    getMethodName: () => null,
    getTypeName: () => fake.typeName ?? null,
    getEnclosingLineNumber: () => fake.enclosing?.line ?? null,
    getEnclosingColumnNumber: () => fake.enclosing?.column ?? null,
    isAsync: () => fake.async ?? false,
    isConstructor: () => fake.isNew ?? false,
    toString: () => fake.text ?? 'unmapped',
  } as unknown as NodeJS.CallSite;
}

describe('stack traces of a bundle, mapped when printed', () => {
  it('show the TypeScript position and the original function name', () => {
    const stack = formatStack(new RangeError('negative'), [
      site({ file, ...throwAt, functionName: 'e', enclosing: nameAt }),
    ]);
    expect(stack).toBe(`RangeError: negative\n    at chargeObligation (lib/translate/fixture.ts:2:19)`);
  });

  it('keep the rest of a frame intact when the minified name is short (Object.e, new t, async)', () => {
    const [method, constructed, awaited] = stackFrames(
      Object.assign(new Error('x'), {
        stack: formatStack(new Error('x'), [
          site({ file, ...throwAt, functionName: 'e', typeName: 'Object' }),
          site({ file, ...throwAt, functionName: 't', isNew: true }),
          site({ file, ...throwAt, functionName: 'e', async: true }),
        ]),
      }),
    );
    expect(method).toBe('Object.e (lib/translate/fixture.ts:2:19)');
    expect(constructed).toBe('new t (lib/translate/fixture.ts:2:19)');
    expect(awaited).toBe('async e (lib/translate/fixture.ts:2:19)');
  });

  it('leave frames without a map as V8 wrote them', () => {
    const stack = formatStack(new Error('x'), [
      site({ file: 'node:internal/buffer', line: 1, column: 1, text: 'Buffer.from (node:buffer:364:9)' }),
      site({ file: pathToFileURL(join(tmpdir(), 'no-map-here.mjs')).href, line: 1, column: 1, text: 'kept' }),
      site({ text: 'async Promise.all (index 0)' }),
    ]);
    expect(stack.split('\n    at ').slice(1)).toEqual([
      'Buffer.from (node:buffer:364:9)',
      'kept',
      'async Promise.all (index 0)',
    ]);
  });
});

describe('stackFrames, for logs', () => {
  it('gives the frames without the first line, which repeats the message', () => {
    const error = new TypeError('The value "4111 1111 1111 1111" is invalid');
    const frames = stackFrames(error);
    expect(frames.length).toBeGreaterThan(0);
    expect(frames.join('\n')).not.toContain('4111');
    expect(frames[0]).toContain('stack-traces.test.ts');
  });

  it('gives at most the first 8 frames, and none for a thrown non-error', () => {
    const deep = (n: number): Error => (n === 0 ? new Error('deep') : deep(n - 1));
    expect(stackFrames(deep(20))).toHaveLength(8);
    expect(stackFrames('a string was thrown')).toEqual([]);
  });
});
