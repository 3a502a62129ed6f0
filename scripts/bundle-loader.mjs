// A function's handler module in its zip (scripts/build.ts copies this file as index.mjs). It runs
// the bundle's scripts — main.cjs and chunks/*.cjs, esbuild's output in CommonJS form — with
// V8's code cache for each one the build made (<script>.cache): bytecode compiled ahead, which V8
// takes only for scripts (an ES module's only through the experimental vm.SourceTextModule).
//
// V8 uses a cache only if the same V8 build, on the same architecture and with the same flags,
// made it, and checks that itself: any other Node compiles the script from source, as without one,
// and this says so once on stderr (for the logs: rebuild the zip with Lambda's Node).
//
// BUNDLE_CODE_CACHE: `write` (the build's training run only) writes each loaded script's cache
// after the function's modules have run; `report` says on stderr how V8 took the caches (tests).
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Script } from 'node:vm';

const ROOT = dirname(fileURLToPath(import.meta.url));
// Node's own CommonJS wrapper, plus the file's URL for code that reads files beside it. Its own
// line, with lineOffset -1: stack traces keep the file's positions, which its source map maps.
const WRAPPER_START =
  '(function (exports, require, module, __filename, __dirname, __bundleFileUrl) {"use strict";\n';
// The scripts name each other as esbuild named the ES modules they came from.
const SCRIPT = /^\.\.?\/.*\.mjs$/;

const modules = new Map();
const scripts = [];
/** Scripts loaded with their cache taken, refused by V8, or without one. */
const caches = { accepted: 0, refused: 0, missing: 0 };

function cacheOf(file) {
  try {
    return readFileSync(`${file}.cache`);
  } catch (error) {
    if (error?.code === 'ENOENT') return undefined;
    throw error;
  }
}

function load(file) {
  const known = modules.get(file);
  if (known) return known.exports;
  const module = { exports: {} };
  modules.set(file, module);
  const cachedData = cacheOf(file);
  const script = new Script(`${WRAPPER_START}${readFileSync(file, 'utf8')}\n})`, {
    filename: file,
    lineOffset: -1,
    cachedData,
  });
  if (!cachedData) caches.missing += 1;
  else if (script.cachedDataRejected) caches.refused += 1;
  else caches.accepted += 1;
  scripts.push({ file, script });
  const dir = dirname(file);
  const nodeRequire = createRequire(file);
  const require = Object.assign(
    (id) => (SCRIPT.test(id) ? load(join(dir, `${id.slice(0, -'.mjs'.length)}.cjs`)) : nodeRequire(id)),
    nodeRequire,
  );
  const run = script.runInThisContext();
  run.call(module.exports, module.exports, require, module, file, dir, pathToFileURL(file).href);
  return module.exports;
}

export const { handler } = load(join(ROOT, 'main.cjs'));

const mode = process.env.BUNDLE_CODE_CACHE;
if (caches.refused > 0 || mode === 'report') {
  const message =
    caches.refused > 0
      ? 'V8 refused the code cache: this Node did not make it; compiled from source instead'
      : 'code cache';
  const level = caches.refused > 0 ? 'WARN' : 'INFO';
  const facts = { ...caches, node: process.version, arch: process.arch };
  process.stderr.write(`${JSON.stringify({ level, message, ...facts })}\n`);
}

if (mode === 'write') {
  for (const { file, script } of scripts) writeFileSync(`${file}.cache`, script.createCachedData());
}
