// npm run trigger -- <provider> [sample] [--to http://127.0.0.1:3000] [--family payments|tickets]
// Signs a sample now and delivers it to a running `npm start` as the provider would; prints the
// answer and the wolkvox record before → after. Without a sample, lists the provider's samples.
import { parseArgs } from 'node:util';
import '../lib/local/cli-errors.ts';
import { trigger, TriggerError } from '../lib/local/trigger.ts';

let parsed;
try {
  parsed = parseArgs({
    args: process.argv.slice(2),
    options: {
      to: { type: 'string', default: `http://127.0.0.1:${process.env.PORT || 3000}` },
      family: { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}
const { to, family } = parsed.values;
const [provider, sample, ...extra] = parsed.positionals;
if (extra.length > 0 || (family !== undefined && family !== 'payments' && family !== 'tickets')) {
  console.error(
    'Usage: npm run trigger -- <provider> [sample] [--to http://127.0.0.1:3000] [--family payments|tickets]',
  );
  process.exit(2);
}
try {
  process.exitCode = await trigger({ provider, sample, to, family });
} catch (error) {
  if (!(error instanceof TriggerError)) throw error;
  console.error(error.message);
  process.exitCode = error.code;
}
