// npm run invoke -- paymentReceived events/stripe/payment_intent.succeeded.json
// Runs the real handler once (direct dispatch) against the sandbox, or WOLKVOX_SERVER when set,
// with a freshly signed copy of the sample; prints the HTTP answer and the wolkvox calls made.
import '../lib/local/cli-errors.ts';
import { access } from 'node:fs/promises';
import { localContext, startLocal } from '../lib/local/runtime.ts';
import { signedSample } from '../lib/local/samples.ts';

const FUNCTIONS = ['paymentReceived', 'ticketResolved'] as const;
type FunctionName = (typeof FUNCTIONS)[number];
const [name, file] = process.argv.slice(2);
if (!name || !file || !(FUNCTIONS as readonly string[]).includes(name)) {
  console.error(`Usage: npm run invoke -- <${FUNCTIONS.join('|')}> <events/<provider>/<sample>.json>`);
  process.exit(2);
}
try {
  await access(file);
} catch {
  console.error(
    `No file ${file}. The samples are listed by npm run trigger -- <provider> (events/<provider>/*.json); an event of your own is signed by npm run sign -- <provider> <file>.`,
  );
  process.exit(2);
}

const local = await startLocal();
try {
  const event = await signedSample(file);
  const answer = await local.handlers[name as FunctionName](event, localContext(name));
  console.log(`HTTP ${answer.statusCode} ${answer.body ?? ''}`);
  if (answer.statusCode === 401)
    console.log(
      '(The sample was signed just now with the local secrets, so its content does not match what its provider signs: a sample meant to be rejected, or one edited by hand. npm run trigger -- <provider> lists which are expected to pass.)',
    );
  const calls = local.takeCalls();
  console.log(`wolkvox calls (${local.wolkvoxServer}): ${calls.length === 0 ? 'none' : ''}`);
  for (const call of calls)
    console.log(
      `  POST ${call.endpoint} → ${call.status ?? '-'} ${call.outcome} (${Math.round(call.ms)} ms)`,
    );
  for (const parked of local.parked()) console.log(`parked: ${parked.reason}`);
} finally {
  await local.close();
}
