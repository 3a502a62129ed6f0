/**
 * Builds what the bench measures: our production bundles through scripts/build.ts
 * (`buildFunctions()`, the deploy build), the fair baseline (bench/fair/, FAIR_BUILD_OPTIONS: the
 * targets are stated against it) and the naive baseline (bench/naive/, NAIVE_BUILD_OPTIONS: a
 * second reference), side by side.
 */
import { cp, mkdir, readdir, readFile, rm, stat, symlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type BuildOptions } from 'esbuild';
import { type BundleSize, bundleOptions, trainCodeCache } from '../scripts/build.ts';

export const FUNCTIONS = ['payment-received', 'ticket-resolved', 'wolkvox-sync'] as const;
export type FunctionName = (typeof FUNCTIONS)[number];

const ROOT = join(import.meta.dirname, '..');

export interface BundleBytes {
  /** Every file of code the function ships (its entry and any chunks; ours' scripts included). */
  total: number;
  /** The entry and the chunks it loads at once: the code a cold start loads. */
  loadedAtColdStart: number;
  files: number;
  /** V8's code cache a cold start reads beside that code (ours only: scripts/build.ts). */
  codeCache: number;
}

export const VARIANTS = ['ours', 'fair', 'naive'] as const;
export type Variant = (typeof VARIANTS)[number];
/** The baselines ours is compared with: fair (the targets) and naive (a second reference). */
export const BASELINES = ['fair', 'naive'] as const;

export type Built = Record<Variant, Record<FunctionName, string>> & {
  /** Path of each function's index.mjs (above); the bytes of each bundle. */
  sizes: Record<Variant, Record<FunctionName, BundleBytes>>;
};

type BuildModule = {
  buildFunctionsWithSizes: (
    names: string[] | undefined,
    codeCache: 'this',
  ) => Promise<Record<string, BundleSize>>;
};

/**
 * `dir` unset: ours into .esbuild/<name>/ as `npm run build` does, the baseline into
 * .esbuild/bench-naive/. `dir` set: both under `dir`, ours built by a copy of scripts/ whose
 * functions/, lib/ and node_modules/ link back to the repository, so the output is the same
 * production build without touching .esbuild/ (which `osls package` may be zipping meanwhile).
 */
export async function buildBundles(dir?: string): Promise<Built> {
  let oursRoot = ROOT;
  let script = join(ROOT, 'scripts', 'build.ts');
  if (dir) {
    oursRoot = join(dir, 'ours');
    await rm(oursRoot, { recursive: true, force: true });
    await mkdir(oursRoot, { recursive: true });
    await cp(join(ROOT, 'scripts'), join(oursRoot, 'scripts'), { recursive: true });
    await cp(join(ROOT, 'package.json'), join(oursRoot, 'package.json'));
    for (const linked of ['functions', 'lib', 'node_modules', 'tsconfig.json']) {
      await symlink(join(ROOT, linked), join(oursRoot, linked));
    }
    script = join(oursRoot, 'scripts', 'build.ts');
  }
  const production = (await import(pathToFileURL(script).href)) as BuildModule;
  // The code cache made by this Node: the bench runs the bundles here (a deployment's is made by
  // Lambda's, scripts/lambda-node.ts, and only Lambda's takes it).
  const oursSizes = await production.buildFunctionsWithSizes(undefined, 'this');
  const fairRoot = dir ? join(dir, 'fair') : join(ROOT, '.esbuild', 'bench-fair');
  const naiveRoot = dir ? join(dir, 'naive') : join(ROOT, '.esbuild', 'bench-naive');
  for (const name of FUNCTIONS) {
    await buildBaseline('fair', FAIR_BUILD_OPTIONS, name, join(fairRoot, name));
    await buildBaseline('naive', NAIVE_BUILD_OPTIONS, name, join(naiveRoot, name));
  }

  const ours = paths((name) => join(oursRoot, '.esbuild', name, 'index.mjs'));
  const fair = paths((name) => join(fairRoot, name, 'index.mjs'));
  const naive = paths((name) => join(naiveRoot, name, 'index.mjs'));
  return {
    ours,
    fair,
    naive,
    sizes: { ours: fromBuild(oursSizes), fair: await sizesOf(fair), naive: await sizesOf(naive) },
  };
}

/**
 * The baseline is built the usual way: esbuild's common Lambda options (bundle, minify, ESM for
 * node24, linked source maps, a require() for CommonJS dependencies), and esbuild's defaults for
 * the rest. What scripts/build.ts adds on top is ours to be measured, not given to the baseline:
 * the AWS SDK's ES builds (mainFields), code splitting with lazy chunks, built-ins through
 * require(), and undici's fallback parser as a file.
 */
export const NAIVE_BUILD_OPTIONS = {
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  minify: true,
  sourcemap: 'linked',
  sourcesContent: false,
  legalComments: 'none',
  banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
  logLevel: 'warning',
} satisfies BuildOptions;

/**
 * The fair baseline is built as the AWS docs and Powertools' examples build for Lambda: ESM,
 * minified, bundled with the AWS SDK's ES builds (mainFields module, main: they tree-shake), linked
 * source maps that nothing loads at run time (env.ts sets no --enable-source-maps for it). No code
 * splitting, no lazy built-ins, no undici internals, no mapped stack traces: those are ours, and
 * each stays only where the bench shows it paying (docs/performance-fair.md).
 */
export const FAIR_BUILD_OPTIONS = {
  ...NAIVE_BUILD_OPTIONS,
  mainFields: ['module', 'main'],
} satisfies BuildOptions;

async function buildBaseline(
  variant: Exclude<Variant, 'ours'>,
  buildOptions: BuildOptions,
  name: FunctionName,
  outdir: string,
): Promise<void> {
  const entry = join(ROOT, 'bench', variant, `${name}.ts`);
  const options: BuildOptions = { ...buildOptions, entryPoints: { index: entry }, outdir };
  await rm(outdir, { recursive: true, force: true });
  await build(options);
}

function paths(of: (name: FunctionName) => string): Record<FunctionName, string> {
  return Object.fromEntries(FUNCTIONS.map((name) => [name, of(name)])) as Record<FunctionName, string>;
}

/** Ours' sizes as scripts/build.ts counts them, from its metafile (its scripts name chunks by require()). */
function fromBuild(sizes: Record<string, BundleSize>): Record<FunctionName, BundleBytes> {
  return Object.fromEntries(
    FUNCTIONS.map((name) => {
      const size = sizes[name];
      if (!size) throw new Error(`scripts/build.ts built no ${name}`);
      const bytes: BundleBytes = {
        total: size.total,
        loadedAtColdStart: size.coldStart,
        files: size.files,
        codeCache: size.codeCache,
      };
      return [name, bytes];
    }),
  ) as Record<FunctionName, BundleBytes>;
}

async function sizesOf(entries: Record<FunctionName, string>): Promise<Record<FunctionName, BundleBytes>> {
  const sizes = {} as Record<FunctionName, BundleBytes>;
  for (const name of FUNCTIONS) sizes[name] = await bundleBytes(entries[name]);
  return sizes;
}

// Static imports in esbuild's minified ESM: `from"./x.mjs"` and `import"./x.mjs"`, never `import("./x.mjs")`.
const STATIC_IMPORT = /(?:\bfrom|\bimport)\s*["'](\.\.?\/[^"']+\.mjs)["']/g;

/**
 * Measured from the files, whatever scripts/build.ts's options (a single file, or code splitting
 * with chunks/ beside index.mjs): the .mjs bytes shipped, and those reachable from index.mjs by
 * static imports.
 */
export async function bundleBytes(entry: string): Promise<BundleBytes> {
  const dir = dirname(entry);
  const all = (await readdir(dir, { recursive: true })).filter((f) => f.endsWith('.mjs'));
  let total = 0;
  for (const file of all) total += (await stat(join(dir, file))).size;
  let loadedAtColdStart = 0;
  const seen = new Set<string>();
  const pending = [resolve(entry)];
  for (let file = pending.pop(); file !== undefined && seen.size < 10_000; file = pending.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    const code = await readFile(file, 'utf8');
    loadedAtColdStart += Buffer.byteLength(code);
    for (const match of code.matchAll(STATIC_IMPORT)) pending.push(resolve(dirname(file), match[1] ?? ''));
  }
  return { total, loadedAtColdStart, files: all.length, codeCache: 0 };
}

/** Not a plugin: ours started without its exec wrapper (functions/exec-wrapper.sh), same bundles. */
export const EXEC_WRAPPER = 'exec-wrapper';
/** Not a plugin: ours' bundles without V8's code cache beside their scripts (compiled from source). */
export const CODE_CACHE = 'code-cache';

/**
 * The build changes of scripts/build.ts that are there for speed, by what they do, the exec wrapper
 * serverless.yml deploys and V8's code cache: each stays only while the bench shows it paying (b″.),
 * so each is measured against ours built (or started, or shipped) without it.
 */
export const BUILD_TRICKS = {
  "X-Ray's context without async hooks": 'xray-context-on-storage',
  'X-Ray without the parts Lambda never runs': 'xray-as-lambda-runs-it',
  'a cold start in a few files': 'lazy-chunks-beside-the-entry',
  "the exec wrapper: --expose-gc off, malloc's heap kept": EXEC_WRAPPER,
  "V8's code cache": CODE_CACHE,
} as const;
export type BuildTrick = keyof typeof BUILD_TRICKS;

/** Ours as scripts/build.ts builds it, less the named esbuild plugin, into `<dir>/<name>/`. */
export async function buildOursWithout(plugin: string, dir: string): Promise<Record<FunctionName, string>> {
  for (const name of FUNCTIONS) {
    const options = bundleOptions(name, join(dir, name));
    const plugins = options.plugins.filter((p) => p.name !== plugin);
    if (plugins.length === options.plugins.length)
      throw new Error(`scripts/build.ts has no plugin ${plugin}`);
    await rm(join(dir, name), { recursive: true, force: true });
    await build({ ...options, plugins, logLevel: 'silent' });
    // With its code cache, as ours: the pair differs in the one plugin.
    await trainCodeCache(join(dir, name), name, [process.execPath]);
  }
  return paths((name) => join(dir, name, 'index.mjs'));
}

/** Ours as built (`bundles`), copied into `<dir>/<name>/` without its code cache. */
export async function copyOursWithoutCodeCache(
  bundles: Record<FunctionName, string>,
  dir: string,
): Promise<Record<FunctionName, string>> {
  for (const name of FUNCTIONS) {
    await rm(join(dir, name), { recursive: true, force: true });
    await cp(dirname(bundles[name]), join(dir, name), {
      recursive: true,
      filter: (source) => !source.endsWith('.cache'),
    });
  }
  return paths((name) => join(dir, name, 'index.mjs'));
}
