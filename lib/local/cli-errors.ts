/**
 * Imported first by the local scripts (npm start, demo, invoke, sign, trigger): a configuration
 * problem is the developer's to fix, not a bug, so it prints once as its list, without a stack.
 */
import { ConfigError } from '#lib/config.ts';

process.on('uncaughtException', (error) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
