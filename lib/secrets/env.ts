import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { SecretsError } from './errors.ts';
import { type Secrets, type SecretStore, seal } from './secrets.ts';

export interface EnvStoreOptions {
  env?: NodeJS.ProcessEnv;
  /** Relative to `cwd`; a missing file is fine. */
  envFile?: string;
  cwd?: string;
}

/**
 * Local runs: every variable of the environment and of the `.env` file is exposed, unfiltered, because
 * callers look keys up by name and a name filter could only hide a variable the developer did set.
 * Read on every call (a few hundred bytes) so an edited `.env` applies without a restart.
 */
export function createEnvStore(options: EnvStoreOptions = {}): SecretStore {
  const { env = process.env, envFile = '.env', cwd = process.cwd() } = options;
  const path = resolve(cwd, envFile);

  async function read(): Promise<Secrets> {
    let fromFile: NodeJS.Dict<string> = {};
    try {
      fromFile = parseEnv(await readFile(path, 'utf8'));
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code !== 'ENOENT') {
        const message = `Cannot read ${path}: ${String(code ?? 'parse error')}`;
        throw new SecretsError(message, { reason: 'unreadable', retryable: false });
      }
    }
    const merged: Record<string, string> = {};
    // Real environment variables win over the file, as with `node --env-file`.
    for (const source of [fromFile, env]) {
      for (const [key, value] of Object.entries(source)) if (typeof value === 'string') merged[key] = value;
    }
    return seal(merged, `environment/${envFile}`);
  }

  return { kind: 'environment', get: read, refresh: read };
}
