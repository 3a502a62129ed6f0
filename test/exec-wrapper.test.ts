// functions/exec-wrapper.sh run as Lambda's Node.js bootstrap runs an exec wrapper
// (AWS_LAMBDA_EXEC_WRAPPER, serverless.yml): with the node binary, the bootstrap's flags and the
// runtime's script as its arguments. What comes out must be the same Node with the same flags,
// --expose-gc turned back off, and the script last.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAMBDA_MEMORY_MB, lambdaNodeArgs } from '../bench/env.ts';
import { LAMBDA_NODE, LAMBDA_NODE_NAME, lambdaNodeReady } from './support/lambda-node.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..');
const WRAPPER = join(ROOT, 'functions', 'exec-wrapper.sh');

interface Probe {
  execArgv: string[];
  argv: string[];
  gc: string;
  /** V8's version and flag hash: Node's code cache for its built-ins is used only when it matches. */
  tag: number;
  /** glibc's malloc settings the process was started with. */
  malloc: { topPad?: string; trimThreshold?: string };
}

let dir: string;
let script: string;

beforeAll(async () => {
  // A directory with a space: the wrapper must pass every argument through as one word.
  dir = await mkdtemp(join(tmpdir(), 'wolkvox exec-wrapper-'));
  script = join(dir, 'runtime index.mjs');
  await writeFile(
    script,
    [
      "import v8 from 'node:v8';",
      'process.stdout.write(JSON.stringify({ execArgv: process.execArgv, argv: process.argv.slice(2),',
      '  gc: typeof globalThis.gc, tag: v8.cachedDataVersionTag(),',
      '  malloc: { topPad: process.env.MALLOC_TOP_PAD_, trimThreshold: process.env.MALLOC_TRIM_THRESHOLD_ } }));',
    ].join('\n'),
  );
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function probe(command: string, args: string[], env: Record<string, string> = {}): Promise<Probe> {
  const base: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '' };
  delete base.MALLOC_TOP_PAD_;
  delete base.MALLOC_TRIM_THRESHOLD_;
  const { stdout } = await run(command, args, { env: { ...base, ...env }, timeout: 50_000 });
  return JSON.parse(stdout) as Probe;
}

describe('functions/exec-wrapper.sh (Lambda runs it with the bootstrap command line)', () => {
  it("starts the same Node with the bootstrap's flags, --no-expose-gc after them, the script last", async () => {
    const bootstrap = lambdaNodeArgs();
    const wrapped = await probe(WRAPPER, [process.execPath, ...bootstrap, script]);
    expect(wrapped.execArgv).toEqual([...bootstrap, '--no-expose-gc']);
    expect(wrapped.argv).toEqual([]);
    expect(wrapped.gc).toBe('undefined');
  });

  it("gives V8 back the flag hash of Node's own code cache, which --expose-gc changes", async () => {
    const plain = await probe(process.execPath, [script]);
    const bootstrap = await probe(process.execPath, [...lambdaNodeArgs(), script]);
    const wrapped = await probe(WRAPPER, [process.execPath, ...lambdaNodeArgs(), script]);
    // Without the wrapper, the bootstrap's flags make every built-in compile from source.
    expect(bootstrap.gc).toBe('function');
    expect(bootstrap.tag).not.toBe(plain.tag);
    expect(wrapped.tag).toBe(plain.tag);
  });

  // The flag hash is V8's, and V8 on arm64 is built apart: the claim must hold on the Node Lambda runs.
  it.skipIf(!lambdaNodeReady)(
    `does the same on Lambda's own Node (${LAMBDA_NODE_NAME})`,
    { timeout: 60_000 },
    async () => {
      const node = LAMBDA_NODE.command;
      const [command = '', ...prefix] = node;
      const plain = await probe(command, [...prefix, script]);
      const bootstrap = await probe(command, [...prefix, ...lambdaNodeArgs(), script]);
      const wrapped = await probe(WRAPPER, [...node, ...lambdaNodeArgs(), script]);
      expect(wrapped.execArgv).toEqual([...lambdaNodeArgs(), '--no-expose-gc']);
      expect(wrapped.gc).toBe('undefined');
      expect(bootstrap.tag).not.toBe(plain.tag);
      expect(wrapped.tag).toBe(plain.tag);
    },
  );

  it("starts Node with glibc's malloc keeping its heap, unless the function's environment says otherwise", async () => {
    const wrapped = await probe(WRAPPER, [process.execPath, ...lambdaNodeArgs(), script]);
    expect(wrapped.malloc).toEqual({ topPad: '16777216', trimThreshold: '268435456' });
    const plain = await probe(process.execPath, [script]);
    expect(plain.malloc).toEqual({});
    const overridden = await probe(WRAPPER, [process.execPath, script], { MALLOC_TRIM_THRESHOLD_: '131072' });
    expect(overridden.malloc).toEqual({ topPad: '16777216', trimThreshold: '131072' });
  });

  it('is executable, as the zip keeps it (test/serverless.test.ts checks the zip)', async () => {
    expect((await stat(WRAPPER)).mode & 0o111).toBe(0o111);
  });

  it("mirrors serverless.yml's memory in the bench's bootstrap flags", async () => {
    const yml = await readFile(join(ROOT, 'serverless.yml'), 'utf8');
    expect(Number(/^ {2}memorySize: (\d+)$/m.exec(yml)?.[1])).toBe(LAMBDA_MEMORY_MB);
    expect(lambdaNodeArgs(512)).toEqual([
      '--expose-gc',
      '--max-http-header-size',
      '81920',
      '--max-semi-space-size=25',
      '--max-old-space-size=461',
    ]);
  });
});
