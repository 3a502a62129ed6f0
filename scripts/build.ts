// Bundles each Lambda entry point (functions/*.ts) into .esbuild/<name>/: ES modules, minified,
// tree-shaken, with the AWS SDK bundled deliberately (the runtime's copy is a moving target, and a
// bundled client tree-shakes to less than what the runtime would load), then written as scripts
// with V8's code cache beside them (outputsAsScripts, trainCodeCache).
//
// main.cjs is the function's code; code reached only through `await import()` goes to
// chunks/*.cjs beside it and is loaded when first needed: the worker side in an ingress function
// run with DISPATCH=direct (local runs), the attachment downloader, AWS credential providers
// Lambda never uses. index.mjs, the handler's module, is scripts/bundle-loader.mjs, which runs
// them. Each zip ships its whole directory (serverless.yml: .esbuild/<name>/**).
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { copyFile, readdir, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { createRequire, isBuiltin } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { build, type BuildOptions, type Metafile, type Plugin, transform } from 'esbuild';
import { lambdaNode } from './lambda-node.ts';

const root = join(import.meta.dirname, '..');
const outRoot = join(root, '.esbuild');

const LLHTTP_FALLBACK = /[\\/]undici[\\/]lib[\\/]llhttp[\\/]llhttp-wasm\.js$/;
const LLHTTP_FALLBACK_FILE = 'llhttp-wasm.wasm';

/**
 * undici ships its HTTP parser (llhttp) as two WebAssembly builds inlined as base64 in JS: one using
 * SIMD, and a fallback without it for machines that lack SIMD (riscv64, old ppc64) or when
 * UNDICI_NO_WASM_SIMD=1. Lambda (x86_64, arm64) always takes the SIMD one, so the fallback's 72 KB
 * need not be in the code a cold start loads: it becomes a .wasm file beside the chunk that reads
 * it, read only if undici ever asks for it. Same bytes, same behaviour.
 */
function llhttpFallbackAsFile(): Plugin {
  return {
    name: 'llhttp-fallback-as-file',
    setup(b) {
      let wasm: Buffer | undefined;
      b.onLoad({ filter: LLHTTP_FALLBACK }, (args) => {
        wasm = createRequire(import.meta.url)(args.path) as Buffer;
        // CommonJS, as the original (require() must get the Buffer itself). __bundleFileUrl is the
        // URL of whichever output file this code lands in (the loader gives it); onEnd puts the
        // .wasm beside that file.
        return {
          loader: 'js',
          contents: [
            "'use strict'",
            "const { readFileSync } = require('node:fs')",
            'let wasm',
            "Object.defineProperty(module, 'exports', {",
            `  get: () => (wasm ??= readFileSync(new URL('./${LLHTTP_FALLBACK_FILE}', __bundleFileUrl))),`,
            '})',
          ].join('\n'),
        };
      });
      b.onEnd((result) => {
        if (!wasm || !result.metafile || b.initialOptions.write === false) return;
        for (const [path, output] of Object.entries(result.metafile.outputs)) {
          const reads = Object.entries(output.inputs).some(
            ([input, { bytesInOutput }]) => LLHTTP_FALLBACK.test(input) && bytesInOutput > 0,
          );
          if (!reads) continue;
          const file = resolve(b.initialOptions.absWorkingDir ?? process.cwd(), path);
          writeFileSync(join(dirname(file), LLHTTP_FALLBACK_FILE), wasm);
        }
      });
    },
  };
}

/** The provider families each function serves: the code of the others is never loaded there. */
const SERVED_FAMILIES: Readonly<Record<string, readonly string[]>> = {
  'payment-received': ['payments'],
  'ticket-resolved': ['tickets'],
  // The worker loads a helpdesk's code for its attachment hosts; payments need none of it.
  'wolkvox-sync': ['tickets'],
};

const PROVIDER_CODE = /[\\/]lib[\\/]providers[\\/](\w+)[\\/]([\w-]+)[\\/]provider\.ts$/;

/**
 * Every function validates every provider's settings (lib/providers/registry.ts), and each
 * settings.ts points at its provider's code with import(). The code of a family a function does not
 * serve would still ship in its zip as a chunk nothing loads: it becomes a stub that says so, so a
 * function ships its own family's providers only, however many the registry lists.
 */
function onlyServedProviders(name: string): Plugin {
  const served = SERVED_FAMILIES[name];
  return {
    name: 'only-served-providers',
    setup(b) {
      if (!served) return;
      b.onResolve({ filter: /\/provider\.ts$/ }, (args) => {
        const path = resolve(args.resolveDir, args.path);
        const match = PROVIDER_CODE.exec(path);
        if (!match || served.includes(match[1] ?? '')) return undefined;
        return { path: `${match[1]}/${match[2]}`, namespace: 'provider-not-served' };
      });
      b.onLoad({ filter: /.*/, namespace: 'provider-not-served' }, (args) => ({
        loader: 'js',
        contents: `const fail = () => { throw new Error(${JSON.stringify(`provider ${args.path} is not served by ${name}`)}); };\nexport default { create: fail, sign: fail, userAgent: '' };`,
      }));
    },
  };
}

/**
 * aws-xray-sdk-core requires every part of itself when it loads (the tracer's chunk, loaded only
 * when tracing is on), and a Lambda traced through Powertools runs only some. These become stubs that
 * throw when used, so a traced cold start compiles and runs about 45 KB less (semver, 29 KB, among
 * it) and loads neither os nor url for them. What each was for, and why it never runs here:
 * - segments/plugins/*: the EC2, ECS and Elastic Beanstalk hosts' data, read by AWSXRay.config(),
 *   which nothing calls (a Lambda is none of those hosts);
 * - patchers/aws_p (and with it semver): the AWS SDK v2 patcher; the clients here are v3, captured
 *   by patchers/aws3_p (captureAWSv3Client), which stays;
 * - patchers/http_p: node:http's patcher; lib/tracing.ts sets captureHTTPsRequests false and traces
 *   undici through its diagnostics channels;
 * - patchers/promise_p: capturePromise, which nothing calls;
 * - database/*: SQL subsegments; there is no database client here;
 * - middleware/sampling/default_sampler (and the rule and target pollers it starts): centralized
 *   sampling, which the SDK replaces by its local sampler when it loads in Lambda
 *   (env/aws_lambda.js): Lambda decides whether an invocation is sampled.
 * test/bundle.test.ts runs a built bundle traced as deployed, so a stub that anything calls fails it.
 */
const XRAY_UNUSED_IN_LAMBDA =
  /[\\/]aws-xray-sdk-core[\\/]dist[\\/]lib[\\/](segments[\\/]plugins[\\/]\w+|patchers[\\/](aws_p|http_p|promise_p)|database[\\/]\w+|middleware[\\/]sampling[\\/]default_sampler)\.js$/;

function xrayAsLambdaRunsIt(): Plugin {
  return {
    name: 'xray-as-lambda-runs-it',
    setup(b) {
      b.onLoad({ filter: XRAY_UNUSED_IN_LAMBDA }, (args) => {
        const file = `${(XRAY_UNUSED_IN_LAMBDA.exec(args.path)?.[1] ?? args.path).replaceAll('\\', '/')}.js`;
        const message = `aws-xray-sdk-core's ${file} is not bundled: a Lambda never runs it (scripts/build.ts)`;
        return {
          loader: 'js',
          // Any export read is this function, which throws when called: the SDK's index reads them
          // all when it loads (captureAWS, plugins.EC2Plugin, …) and calls none.
          contents: [
            `const fail = () => { throw new Error(${JSON.stringify(message)}); };`,
            "module.exports = new Proxy(fail, { get: (target, key) => (typeof key === 'symbol' ? target[key] : fail) });",
          ].join('\n'),
        };
      });
    },
  };
}

/**
 * The X-Ray SDK keeps its current segment with cls-hooked, whose async hook every promise of the
 * process pays for once the tracer loads; lib/xray-context.ts is the same module over
 * AsyncLocalStorage, which costs nothing until read (test/xray-context.test.ts holds it to
 * cls-hooked's behaviour).
 */
function xrayContextOnStorage(): Plugin {
  return {
    name: 'xray-context-on-storage',
    setup(b) {
      b.onResolve({ filter: /^cls-hooked\/context$/ }, (args) =>
        /[\\/]aws-xray-sdk-core[\\/]/.test(args.importer)
          ? { path: join(root, 'lib', 'xray-context.ts') }
          : undefined,
      );
    },
  };
}

/**
 * esbuild writes a chunk for each set of entry points that reach a module, and counts every
 * import() target as an entry point, with no regard for what its importer has loaded already. So
 * the modules a function's own module reaches were split over some 27 files, by which lazily
 * loaded modules also reach them, and each cost a cold start Node's ES module loader (resolving,
 * a stat, reading, linking, the banner's createRequire): 10–17 ms per function on the bench
 * machine, in paired cold starts. Here every import() target that is an ES module, and not
 * reached without import() as well, first imports the function's module (`import
 * "functions/<name>.ts"`). That module is loaded before any import() can run, so this costs
 * nothing at run time, and every module it reaches is then reached from every entry point alike:
 * a few chunks (a CommonJS or built-in target still makes its own set). The targets come from a
 * first pass without this plugin, so the outcome does not depend on the order esbuild happens to
 * load modules in (test/bundle.test.ts holds a cold start to a handful of files).
 */
function lazyChunksBesideTheEntry(): Plugin {
  const name = 'lazy-chunks-beside-the-entry';
  return {
    name,
    setup(b) {
      const plan = (async () => {
        const plugins = (b.initialOptions.plugins ?? []).filter((plugin) => plugin.name !== name);
        const firstPass = await build({
          ...b.initialOptions,
          plugins,
          write: false,
          minify: false,
          sourcemap: false,
          metafile: true,
          logLevel: 'silent',
        });
        return lazyTargets(firstPass.metafile, b.initialOptions.absWorkingDir ?? process.cwd());
      })();
      b.onLoad({ filter: /\.[cm]?[jt]s$/ }, async (args) => {
        const { entry, targets } = await plan;
        if (args.namespace !== 'file' || !targets.has(args.path)) return undefined;
        const source = await readFile(args.path, 'utf8');
        return {
          // On the first line, so the source map's lines still match the file's.
          contents: `import ${JSON.stringify(entry)};${source}`,
          loader: args.path.endsWith('.ts') ? 'ts' : 'js',
          resolveDir: dirname(args.path),
        };
      });
    },
  };
}

/** From a build's metafile: the function's module, and the import() targets that are to import it. */
function lazyTargets(metafile: Metafile, cwd: string): { entry: string; targets: Set<string> } {
  // The function's module as esbuild resolved it (through any symlink: the bench builds a copy
  // whose functions/ links back here).
  const entry = Object.entries(metafile.outputs).find(([path]) => basename(path) === 'index.mjs')?.[1]
    .entryPoint;
  if (!entry) throw new Error('lazyChunksBesideTheEntry: no index.mjs in the first pass');
  // What it reaches without import(): loaded at cold start anyway, and an import there would close
  // a cycle, which esbuild may order badly within a chunk.
  const eager = reachedFrom(entry, (path) =>
    (metafile.inputs[path]?.imports ?? [])
      .filter((imported) => imported.kind !== 'dynamic-import' && !imported.external)
      .map((imported) => imported.path),
  );
  const targets = new Set<string>();
  for (const input of Object.values(metafile.inputs)) {
    for (const { kind, path } of input.imports) {
      // Only files (not a built-in's or a stub's namespace), and only ES modules: an import
      // statement would turn a CommonJS module into something else.
      if (kind !== 'dynamic-import' || eager.has(path) || /^[\w-]+:/.test(path)) continue;
      if (metafile.inputs[path]?.format === 'esm') targets.add(resolve(cwd, path));
    }
  }
  return { entry: resolve(cwd, entry), targets };
}

/** The loader that is each bundle's index.mjs (the handler's module), and the script it runs first. */
const LOADER = join(root, 'scripts', 'bundle-loader.mjs');
const MAIN_SCRIPT = 'main.cjs';

/**
 * V8 takes a code cache (bytecode compiled ahead: trainCodeCache) only for classic scripts; an ES
 * module's only through the experimental vm.SourceTextModule. So each output file is turned into a
 * script after the build: esbuild's CommonJS form of the same code (import() included, as
 * require()), its source map composed over the bundle's, the entry as main.cjs and each chunk as
 * chunks/<name>.cjs. index.mjs becomes scripts/bundle-loader.mjs, which runs them in the order
 * their imports ask for, as Node's module loader did, and takes each one's cache if there is one.
 * The metafile is rewritten to describe the files as written, so sizes and the cold-start set
 * below stay true.
 */
function outputsAsScripts(): Plugin {
  return {
    name: 'outputs-as-scripts',
    setup(b) {
      b.onEnd(async (result) => {
        if (!result.metafile || b.initialOptions.write === false || result.errors.length > 0) return;
        await toScripts(result.metafile, b.initialOptions.absWorkingDir ?? process.cwd());
      });
    },
  };
}

async function toScripts(metafile: Metafile, cwd: string): Promise<void> {
  const modules = Object.keys(metafile.outputs).filter((path) => path.endsWith('.mjs'));
  const entry = modules.find((path) => basename(path) === 'index.mjs' && !path.includes('/chunks/'));
  if (!entry) throw new Error('outputsAsScripts: no index.mjs among the outputs');
  const renamed = new Map(
    modules.map((path) => [
      path,
      path === entry ? join(dirname(path), MAIN_SCRIPT) : path.replace(/\.mjs$/, '.cjs'),
    ]),
  );
  const outputs: Metafile['outputs'] = {};
  for (const [path, script] of renamed) {
    const file = resolve(cwd, path);
    const map = existsSync(`${file}.map`) ? await readFile(`${file}.map`, 'utf8') : undefined;
    const code = (await readFile(file, 'utf8')).replace(/\/\/# sourceMappingURL=\S*\s*$/, '');
    const inline = map
      ? `\n//# sourceMappingURL=data:application/json;base64,${Buffer.from(map).toString('base64')}`
      : '';
    const out = await transform(`${code}${inline}`, {
      format: 'cjs',
      loader: 'js',
      target: 'node24',
      minify: true,
      sourcemap: map ? 'external' : false,
      // Not .mjs: esbuild would give import() and default imports Node's semantics for CommonJS
      // (`default` = the whole module), where these are ES modules' exports (`__esModule`).
      sourcefile: basename(file).replace(/\.mjs$/, '.js'),
      // import() of a chunk becomes require(): the loader resolves chunks; nothing is an ES module now.
      supported: { 'dynamic-import': false },
      // The file's own URL, as in the module it was (the loader passes it to each script).
      define: { 'import.meta.url': '__bundleFileUrl' },
      legalComments: 'none',
      logLevel: 'silent',
    });
    if (out.warnings.length > 0) {
      throw new Error(`outputsAsScripts: ${path}: ${out.warnings.map((w) => w.text).join('; ')}`);
    }
    const target = resolve(cwd, script);
    const text = map ? `${out.code}//# sourceMappingURL=${basename(target)}.map\n` : out.code;
    await writeFile(target, text);
    if (map) await writeFile(`${target}.map`, out.map);
    await unlink(file);
    if (map) await unlink(`${file}.map`);
    const before = metafile.outputs[path];
    if (!before) continue;
    outputs[script] = {
      ...before,
      bytes: Buffer.byteLength(text),
      imports: before.imports.map((i) => ({ ...i, path: renamed.get(i.path) ?? i.path })),
    };
    const beforeMap = metafile.outputs[`${path}.map`];
    if (map && beforeMap) outputs[`${script}.map`] = { ...beforeMap, bytes: Buffer.byteLength(out.map) };
  }
  for (const [path, output] of Object.entries(metafile.outputs)) {
    if (!renamed.has(path) && !renamed.has(path.replace(/\.map$/, ''))) outputs[path] = output;
  }
  const loader = resolve(cwd, entry);
  await copyFile(LOADER, loader);
  outputs[entry] = {
    bytes: (await stat(loader)).size,
    inputs: {},
    imports: [{ path: join(dirname(entry), MAIN_SCRIPT), kind: 'import-statement' }],
    exports: ['handler'],
    entryPoint: metafile.outputs[entry]?.entryPoint,
  };
  metafile.outputs = outputs;
}

/**
 * The environment a training run evaluates a function's modules in: a deployment's (queue
 * dispatch, the DynamoDB ledger, X-Ray on in Lambda), with nothing behind it — evaluating the
 * modules calls nothing, and the cache holds only compiled code, never a value.
 */
function trainingEnv(name: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    AWS_LAMBDA_FUNCTION_NAME: name,
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    AWS_REGION: 'us-east-1',
    WOLKVOX_SERVER: 'https://wolkvox.invalid',
    WOLKVOX_OPERATION: 'training',
    DISPATCH: 'queue',
    SECRET_ID: 'training',
    QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/training.fifo',
    PARKED_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/training-parked.fifo',
    LEDGER_TABLE: 'training',
    POWERTOOLS_TRACE_ENABLED: 'true',
    LAMBDA_TASK_ROOT: '/var/task',
    _X_AMZN_TRACE_ID: 'Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=1',
    AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1:2000',
    LOG_LEVEL: 'ERROR',
    BUNDLE_CODE_CACHE: 'write',
  };
}

/**
 * Writes V8's code cache beside each script a cold start loads: `node` (a command line: Lambda's
 * Node, emulated or not, or this one) evaluates the function's modules once, as a cold start does,
 * and the loader saves what V8 compiled. Only that Node's V8 will take the cache.
 */
export async function trainCodeCache(outdir: string, name: string, node: string[]): Promise<void> {
  const [command = '', ...prefix] = node;
  const trainer = join(root, 'scripts', 'train-code-cache.mjs');
  await promisify(execFile)(command, [...prefix, trainer, join(outdir, 'index.mjs')], {
    env: trainingEnv(name),
    timeout: 120_000,
  });
}

/** esbuild's options for functions/<name>.ts; the caller adds `write` and the like. */
export function bundleOptions(name: string, outdir = join(outRoot, name)) {
  return {
    entryPoints: { index: join(root, 'functions', `${name}.ts`) },
    outdir,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    // The AWS SDK's ES modules (dist-es) tree-shake; its CommonJS builds (main) carry every command
    // of a client and all of @smithy/core. Packages without a `module` field are unaffected.
    mainFields: ['module', 'main'],
    // undici's experimental Milo parser (off unless UNDICI_USE_MILO is set, and we never set it)
    // is left out, as in Node's own build of undici: client-h1.js keys it on this identifier.
    define: { esbuildDetection: 'true' },
    // The AWS SDK's browser user-agent provider imports bowser with import(); on Node that provider
    // is tree-shaken away, but esbuild would still write bowser as an orphan 34 KB chunk.
    // assertNoExternalImports() fails the build if anything live ever imports it.
    external: ['bowser'],
    minify: true,
    sourcemap: 'linked',
    // Stack traces need only the mappings; embedding sources would ship them in every zip.
    sourcesContent: false,
    metafile: true,
    legalComments: 'none',
    // No banner: require() (for CommonJS dependencies' built-ins) and __bundleFileUrl (each file's own
    // URL, for llhttpFallbackAsFile) are the loader's, given to each script (outputsAsScripts).
    logLevel: 'warning',
    plugins: [
      llhttpFallbackAsFile(),
      onlyServedProviders(name),
      xrayAsLambdaRunsIt(),
      xrayContextOnStorage(),
      lazyChunksBesideTheEntry(),
      // Last: it turns what the others made into scripts.
      outputsAsScripts(),
    ],
  } satisfies BuildOptions;
}

export interface BundleSize {
  /** index.mjs, main.cjs and the chunks it requires at once: the code a cold start loads. */
  coldStart: number;
  /** Every script in the bundle, the lazily loaded chunks included (not the llhttp fallback .wasm). */
  total: number;
  files: number;
  /** V8's code cache beside the scripts a cold start loads (trainCodeCache): 0 when none was made. */
  codeCache: number;
}

/** The output files a cold start loads: index.mjs and, transitively, the chunks it imports statically. */
export function coldStartOutputs(metafile: Metafile): Set<string> {
  const outputs = metafile.outputs;
  // Chunks loaded with import() have an entryPoint too: the handler's is index.mjs.
  const entry = Object.keys(outputs).find((path) => basename(path) === 'index.mjs');
  return reachedFrom(entry, (path) =>
    (outputs[path]?.imports ?? [])
      .filter((imported) => imported.kind === 'import-statement' && imported.path in outputs)
      .map((imported) => imported.path),
  );
}

/** Every node reached from `start` (itself included) through `next`: a metafile's import graph. */
function reachedFrom(start: string | undefined, next: (path: string) => string[]): Set<string> {
  const reached = new Set<string>();
  const pending = start === undefined ? [] : [start];
  for (let path = pending.pop(); path !== undefined; path = pending.pop()) {
    if (reached.has(path)) continue;
    reached.add(path);
    pending.push(...next(path));
  }
  return reached;
}

/** Sizes from a metafile: what a cold start loads, and everything (source maps aside). */
export function bundleSize(metafile: Metafile, codeCache = 0): BundleSize {
  const code = Object.keys(metafile.outputs).filter((path) => /\.[cm]js$/.test(path));
  const sum = (paths: Iterable<string>) =>
    [...paths].reduce((n, path) => n + (metafile.outputs[path]?.bytes ?? 0), 0);
  return { coldStart: sum(coldStartOutputs(metafile)), total: sum(code), files: code.length, codeCache };
}

/** Bytes of code cache a build left in `outdir` (trainCodeCache). */
async function codeCacheBytes(outdir: string): Promise<number> {
  const files = (await readdir(outdir, { recursive: true })).filter((file) => file.endsWith('.cache'));
  let bytes = 0;
  for (const file of files) bytes += (await stat(join(outdir, file))).size;
  return bytes;
}

/**
 * Which Node makes the code cache: Lambda's (the deploy build: arm64, emulated where this machine is
 * not, scripts/lambda-node.ts) or this one (the bench and `invoke local`, which run the bundles
 * here). Lambda's Node when it cannot run here: no cache, and the build says so.
 */
export type CodeCacheFor = 'lambda' | 'this';

function codeCacheNode(codeCache: CodeCacheFor): string[] | undefined {
  if (codeCache === 'this') return [process.execPath];
  const node = lambdaNode();
  if (node.missing.length === 0) return node.command;
  console.warn(
    `No code cache in the bundles (cold starts compile from source): cannot run Lambda's Node here:\n${node.missing
      .map((m) => `  - ${m}`)
      .join('\n')}`,
  );
  return undefined;
}

/** Everything a bundle imports must be in it, or be a Node built-in the runtime provides. */
export function assertNoExternalImports(metafile: Metafile): void {
  for (const [path, output] of Object.entries(metafile.outputs)) {
    const missing = output.imports.filter((i) => i.external && !isBuiltin(i.path));
    if (missing.length > 0) {
      throw new Error(`${path} imports ${missing.map((i) => i.path).join(', ')}, which is not bundled`);
    }
  }
}

/** Builds functions/<name>.ts (all, or the named ones); answers each one's bytes loaded at cold start. */
export async function buildFunctions(
  names?: string[],
  codeCache: CodeCacheFor = 'lambda',
): Promise<Record<string, number>> {
  const details = await buildFunctionsWithSizes(names, codeCache);
  return Object.fromEntries(Object.entries(details).map(([name, size]) => [name, size.coldStart]));
}

/** Builds as buildFunctions does; answers each bundle's cold-start and total sizes. */
export async function buildFunctionsWithSizes(
  names?: string[],
  codeCache: CodeCacheFor = 'lambda',
): Promise<Record<string, BundleSize>> {
  // esbuild targets node24, and the code cache is V8's: build with Lambda's major.
  if (process.versions.node.split('.')[0] !== '24') {
    throw new Error(
      `Build with Node 24 (nodejs24.x), not ${process.version}: run it through npm scripts after npm ci`,
    );
  }
  const files = (await readdir(join(root, 'functions'))).filter((f) => f.endsWith('.ts'));
  const wanted = files.filter((f) => !names || names.includes(basename(f, '.ts')));
  const sizes: Record<string, BundleSize> = {};
  const node = wanted.length > 0 ? codeCacheNode(codeCache) : undefined;
  for (const file of wanted) {
    const name = basename(file, '.ts');
    const options = bundleOptions(name);
    // Chunk names carry content hashes: stale ones from an earlier build must not ship, and a code
    // cache must never outlive the script it was made for.
    await rm(options.outdir, { recursive: true, force: true });
    const result = await build(options);
    assertNoExternalImports(result.metafile);
    if (node) await trainCodeCache(options.outdir, name, node);
    sizes[name] = bundleSize(result.metafile, await codeCacheBytes(options.outdir));
  }
  return sizes;
}

if (import.meta.main) {
  const sizes = await buildFunctionsWithSizes(
    process.argv.slice(2).length ? process.argv.slice(2) : undefined,
  );
  const names = Object.keys(sizes);
  if (names.length === 0) console.log('no functions/*.ts to build');
  const bytes = (n: number) => `${n.toLocaleString('en')} bytes`.padStart(16);
  for (const name of names) {
    const { coldStart, total, files, codeCache } = sizes[name] ?? {
      coldStart: 0,
      total: 0,
      files: 0,
      codeCache: 0,
    };
    console.log(
      `${name.padEnd(24)} ${bytes(coldStart)} loaded at cold start, ${bytes(total)} in ${files} files, ${bytes(codeCache)} of code cache`,
    );
  }
}
