/**
 * `node lib/sandbox/main.ts` (npm run sandbox): the sandbox as a standalone local server, for
 * pointing curl, Postman or `WOLKVOX_SERVER=http://127.0.0.1:4010` at it.
 */
import { API_PREFIX, ENDPOINTS } from '#lib/wolkvox/vendor.ts';
import { readSandboxEnv } from './env.ts';
import { startSandbox } from './sandbox.ts';
import { SEED_OBLIGATION_IDS, SEED_RECORD_IDS } from './seed.ts';
import type { RecordedRequest, Sandbox } from './types.ts';

function logRequest(request: RecordedRequest): void {
  // Method, script, status and time only: bodies carry personal data and headers the token.
  const status = request.status === 0 ? 'no-answer' : String(request.status);
  const fault = request.fault ? ` fault=${request.fault}` : '';
  console.log(
    `${request.method} ${request.endpoint ?? request.path} ${status} ${request.durationMs}ms${fault}`,
  );
}

const env = readSandboxEnv(process.env);
if (!env.ok) {
  for (const problem of env.problems) console.error(`wolkvox sandbox: ${problem}`);
  process.exit(1);
}
const { port, operation, token, latencyMs } = env.value;

let sandbox: Sandbox;
try {
  sandbox = await startSandbox({ port, operation, tokens: [token], latencyMs, onRequest: logRequest });
} catch (error) {
  console.error(`wolkvox sandbox: cannot listen on 127.0.0.1:${port}: ${(error as Error).message}`);
  process.exit(1);
}

const example = JSON.stringify({
  operation,
  wolkvox_id: SEED_RECORD_IDS.carlosRamirez,
  obligation: SEED_OBLIGATION_IDS.carlosLibreInversion,
});
// Printing the token is intended: it is a fake, local-only value.
console.log(`wolkvox sandbox listening on ${sandbox.url}`);
console.log(`  operation: ${operation}`);
console.log(`  token:     ${token}`);
console.log(`  latency:   ${latencyMs}ms`);
console.log(
  `  try: curl -s -X POST ${sandbox.url}${API_PREFIX}${ENDPOINTS.queryObligation} ` +
    `-H 'Wolkvox-Token: ${token}' -H 'Content-Type: application/json' -d '${example}'`,
);

const stop = (signal: NodeJS.Signals): void => {
  console.log(`wolkvox sandbox: ${signal}, closing`);
  sandbox.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
