// The build's training run (scripts/build.ts, trainCodeCache): loads a bundle's index.mjs with
// BUNDLE_CODE_CACHE=write, so the loader saves V8's code cache of every script the function's
// modules ran, and exits (the modules may hold sockets or timers open, as a Lambda sandbox would).
import { pathToFileURL } from 'node:url';

await import(pathToFileURL(process.argv[2] ?? '').href);
process.exit(0);
