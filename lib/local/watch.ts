import { spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
/** What a change to restarts the server for: the code it runs (events/ and docs do not). */
const WATCHED = ['lib', 'functions', 'scripts'].map((folder) => join(ROOT, folder));

/**
 * `npm start -- --watch`: runs `script` under Node's own watch mode (restart on change, debounced,
 * the old process sent SIGTERM, which npm start answers by closing its server and sandbox). This
 * process only relays signals and exits with the watcher. Each restart starts a fresh sandbox.
 */
export function restartOnChange(script: string, args: readonly string[]): Promise<never> {
  const watcher = spawn(
    process.execPath,
    [...WATCHED.map((path) => `--watch-path=${path}`), '--watch-preserve-output', script, ...args],
    { stdio: 'inherit' },
  );
  const relay = (signal: NodeJS.Signals) => watcher.kill(signal);
  process.on('SIGINT', relay);
  process.on('SIGTERM', relay);
  return new Promise<never>(() => {
    watcher.once('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  });
}
