// Signs a sample event freshly and prints the API Gateway (HTTP API, payload v2) event for it:
//   node scripts/sign.ts stripe events/stripe/payment_intent.succeeded.json > /tmp/event.json
//   npx osls invoke local -f paymentReceived -p /tmp/event.json
//   node scripts/sign.ts zendesk events/zendesk/ticket.solved.json   (→ -f ticketResolved)
// Secrets: the built-in local ones, overridden by .env and then by the environment, the same order
// the handler's local secrets source uses, so what is signed here verifies there.
import '../lib/local/cli-errors.ts';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { localEnvironment } from '../lib/local/defaults.ts';
import { LOCAL_PROVIDERS } from '../lib/local/providers.ts';
import { catalogFamily } from '../lib/local/samples.ts';
import { apiGatewayEvent, signSample } from '../lib/local/sign.ts';

const SLUGS: string[] = [...new Set(LOCAL_PROVIDERS.map(({ entry }) => entry.slug))];

const USAGE = `Usage: node scripts/sign.ts <provider> <sample.json> [--base64]

  provider     ${SLUGS.join(' | ')}
  sample.json  a sample event, e.g. events/stripe/payment_intent.succeeded.json
  --base64     deliver the body base64-encoded (isBase64Encoded: true)

Prints an API Gateway HTTP API (payload 2.0) event for POST /webhooks/payments/<provider>
(helpdesks: /webhooks/tickets/<provider>), signed now with the local secrets (.env and the
environment override the built-in ones).`;

function usageError(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}

function isProvider(value: string): boolean {
  return SLUGS.includes(value);
}

let parsed;
try {
  parsed = parseArgs({
    args: process.argv.slice(2),
    options: {
      base64: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
} catch (error) {
  usageError(error instanceof Error ? error.message : String(error));
}
if (parsed.values.help) {
  console.log(USAGE);
  process.exit(0);
}
const [provider, file, ...extra] = parsed.positionals;
if (provider === undefined || file === undefined) usageError('Missing arguments.');
if (extra.length > 0) usageError(`Unexpected arguments: ${extra.join(' ')}`);
if (!isProvider(provider)) usageError(`Unknown provider '${provider}'.`);

let body: string;
try {
  // Read as-is: Stripe, Zendesk and Jira sign the exact bytes, so the file content is the body.
  body = await readFile(file, 'utf8');
} catch (error) {
  usageError(`Cannot read ${file}: ${(error as { code?: string }).code ?? String(error)}`);
}

try {
  const secrets = await localEnvironment();
  // A slug both families serve (standard) is told apart by the catalog's entry for the file.
  const signed = signSample(provider, body, secrets, new Date(), await catalogFamily(file));
  const event = apiGatewayEvent({
    family: signed.family,
    provider,
    body: signed.body,
    headers: signed.headers,
    base64: parsed.values.base64,
  });
  console.log(JSON.stringify(event, null, 2));
} catch (error) {
  console.error(`Cannot sign ${file}: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
