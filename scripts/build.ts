// Bundles each Lambda entry point (functions/*.ts) into .esbuild/<name>/index.mjs: ESM, minified,
// tree-shaken, with the AWS SDK bundled deliberately (the runtime's copy is a moving target, and a
// bundled client tree-shakes to less than what the runtime would load).
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { build } from 'esbuild';

const root = join(import.meta.dirname, '..');
const outRoot = join(root, '.esbuild');

export async function buildFunctions(names?: string[]): Promise<Record<string, number>> {
  const files = (await readdir(join(root, 'functions'))).filter((f) => f.endsWith('.ts'));
  const wanted = files.filter((f) => !names || names.includes(basename(f, '.ts')));
  const sizes: Record<string, number> = {};
  for (const file of wanted) {
    const name = basename(file, '.ts');
    const result = await build({
      entryPoints: [join(root, 'functions', file)],
      outfile: join(outRoot, name, 'index.mjs'),
      bundle: true,
      platform: 'node',
      target: 'node24',
      format: 'esm',
      minify: true,
      sourcemap: 'linked',
      // Stack traces need only the mappings; embedding sources would ship them in every zip.
      sourcesContent: false,
      metafile: true,
      legalComments: 'none',
      // Some CommonJS dependencies call require() on Node built-ins; give the ESM bundle one.
      banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
      logLevel: 'warning',
    });
    const output = Object.entries(result.metafile.outputs).find(([path]) => path.endsWith('.mjs'));
    sizes[name] = output?.[1].bytes ?? 0;
  }
  return sizes;
}

if (import.meta.main) {
  const sizes = await buildFunctions(process.argv.slice(2).length ? process.argv.slice(2) : undefined);
  const names = Object.keys(sizes);
  if (names.length === 0) console.log('no functions/*.ts to build');
  for (const name of names)
    console.log(`${name.padEnd(24)} ${(sizes[name] ?? 0).toLocaleString('en')} bytes`);
}
