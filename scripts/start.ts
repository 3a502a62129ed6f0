// npm start: the webhook routes on http://127.0.0.1:$PORT through the real handlers (direct dispatch),
// against a sandbox started here unless WOLKVOX_SERVER is set, and the browser console at /.
// `--watch`: restarts on a code change.
import '../lib/local/cli-errors.ts';
import { providersOf } from '../lib/providers/registry.ts';
import type { Family } from '../lib/providers/types.ts';
import { startLocalServer } from '../lib/local/server.ts';
import { restartOnChange } from '../lib/local/watch.ts';
import { queueModeBanner, queueModeFromArgs } from '../lib/local/queue-mode.ts';

const args = process.argv.slice(2);
if (args.includes('--watch'))
  await restartOnChange(
    import.meta.filename,
    args.filter((arg) => arg !== '--watch'),
  );

const port = Number(process.env.PORT ?? 3000);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a port number, got "${process.env.PORT}"`);
  process.exit(1);
}

// --queue: the deployed path (SQS FIFO model → worker → DynamoDB ledger), lib/local/queue-mode.ts.
const queue = await queueModeFromArgs(args);
const server = await startLocalServer({
  port,
  queue,
  logLevel: 'INFO',
  onPark: (e) => console.log(`parked ${e.provider} ${e.eventId}: ${e.reason}`),
  log: (line) => console.log(line),
});

const slugs = (family: Family) =>
  providersOf(family)
    .map((entry) => entry.slug)
    .join('|');
console.log(`webhooks on ${server.url}/webhooks/payments/{${slugs('payments')}}`);
console.log(`           ${server.url}/webhooks/tickets/{${slugs('tickets')}}`);
console.log(`console:    ${server.url}/ (deliveries, samples to send, the sandbox)`);
console.log(
  `wolkvox:    ${server.local.wolkvoxServer}${server.local.sandbox ? ' (sandbox started here; operation demo, token sandbox-token)' : ''}`,
);
for (const line of queue ? queueModeBanner(queue, server.url) : []) console.log(line);

const stop = () => void server.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
