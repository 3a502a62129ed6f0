import { parseArgs } from 'node:util';
import { REGISTRY } from '#lib/providers/registry.ts';
import type { Family } from '#lib/providers/types.ts';
import { OpsError, parseCommand, UsageError } from './redrive.ts';
import { regionOf } from './redrive-cli.ts';
import { ConfigError, runStatus, type StatusClients, type StatusOptions } from './status.ts';

export const USAGE = `Usage: npm run status -- --stage <stage> [--family payments|tickets] [--region <region>]
                        [--since <n>d|h|m] <provider> <payment or ticket id>

Tells what happened to one event: its ledger entry (applied, skipped, parked or pending; when,
after how many attempts, why, the wolkvox record), any message of it waiting in the parked queue or
the dead-letter queue, with the reason, and its log lines across paymentReceived, ticketResolved
and wolkvoxSync (CloudWatch Logs Insights, by the requests' correlation ids). Read-only: peeked
messages are given back at once.

  <provider>             the provider's slug, as in the webhook URL (stripe, zendesk, …)
  <payment or ticket id> the provider's payment id, or ticket id (all its resolutions; or
                         <ticket id>:<resolved at> for one); an event id is matched in queues and logs
  --stage <stage>        the deployed stage (table wolkvox-webhooks-<stage>-ledger, queues
                         wolkvox-webhooks-<stage>-parked.fifo and -dlq.fifo, log groups
                         /aws/lambda/wolkvox-webhooks-<stage>-<function>)
  --family <family>      payments or tickets: needed when the slug is in both (standard)
  --region <region>      AWS region (default: the SDK's, e.g. AWS_REGION or the profile's)
  --since <age>          how far back the logs are searched: 7d (default), 12h, 30m
  --table <name>         the ledger table, instead of the stage's
  --parked-queue <url>   the parked queue, instead of looking it up by stage
  --dlq <url>            the dead-letter queue, instead of looking it up by stage
  --scan-limit <n>       most ledger items read to find a ticket by id alone (default 100000)
  -h, --help             this text

Exit codes: 0 found, 1 not found (or AWS failed), 2 usage or configuration error.`;

const STAGE = /^[a-z0-9-]+$/i;
const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `7d`, `12h`, `30m` → milliseconds. */
export function parseSince(text: string): number {
  const match = /^(\d+)([dhm])$/.exec(text);
  const ms = match ? Number(match[1]) * (UNITS[match[2] ?? ''] ?? 0) : 0;
  if (ms <= 0) throw new UsageError(`--since: '${text}' is not an age like 7d, 12h or 30m`);
  return ms;
}

/** The family of a slug: the one it belongs to, or the one --family names when it is in both. */
function familyOf(provider: string, given: string | undefined): Family {
  if (given !== undefined && given !== 'payments' && given !== 'tickets') {
    throw new UsageError(`--family: '${given}' is neither payments nor tickets`);
  }
  const families = REGISTRY.filter((entry) => entry.slug === provider).map((entry) => entry.family);
  if (families.length === 0) {
    const known = [...new Set(REGISTRY.map((entry) => entry.slug))].join(', ');
    throw new UsageError(`'${provider}' is not a provider (known: ${known})`);
  }
  if (given !== undefined) {
    if (!families.includes(given)) throw new UsageError(`'${provider}' is not a ${given} provider`);
    return given;
  }
  if (families.length > 1) {
    throw new UsageError(
      `'${provider}' is both a payments and a tickets provider: add --family payments|tickets`,
    );
  }
  return families[0] as Family;
}

function checkUrl(flag: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) {
    throw new UsageError(`${flag}: '${value}' is not an http(s) URL`);
  }
  return value;
}

export type ParsedStatusArgs =
  { help: true } | { help: false; region: string | undefined; options: StatusOptions };

/** The command line → options; a UsageError names what is wrong. */
export function parseStatusArgs(argv: string[]): ParsedStatusArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        stage: { type: 'string' },
        family: { type: 'string' },
        region: { type: 'string' },
        since: { type: 'string', default: '7d' },
        table: { type: 'string' },
        'parked-queue': { type: 'string' },
        dlq: { type: 'string' },
        'scan-limit': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help) return { help: true };
  if (values.stage === undefined) throw new UsageError('--stage is required');
  if (!STAGE.test(values.stage)) {
    throw new UsageError(`--stage: '${values.stage}' is not a stage name (letters, digits, hyphens)`);
  }
  if (values.region !== undefined && !/^[a-z]{2}(?:-[a-z]+)+-\d+$/.test(values.region)) {
    throw new UsageError(`--region: '${values.region}' is not an AWS region (e.g. us-east-1)`);
  }
  if (positionals.length !== 2) {
    throw new UsageError('Give the provider and the payment or ticket id (two arguments)');
  }
  const [provider = '', id = ''] = positionals;
  // The id goes into a Logs Insights query and a DynamoDB key: printable, bounded.
  // eslint-disable-next-line no-control-regex -- control characters are what is refused
  if (id.trim() === '' || id.length > 512 || /[\u0000-\u001f\u007f]/.test(id)) {
    throw new UsageError('The payment or ticket id must be 1–512 printable characters');
  }
  const scanLimit = values['scan-limit'] === undefined ? undefined : Number(values['scan-limit']);
  if (scanLimit !== undefined && !(Number.isSafeInteger(scanLimit) && scanLimit > 0)) {
    throw new UsageError(`--scan-limit: '${values['scan-limit']}' is not a positive whole number`);
  }
  const parkedQueueUrl = checkUrl('--parked-queue', values['parked-queue']);
  const dlqUrl = checkUrl('--dlq', values.dlq);
  return {
    help: false,
    region: values.region ?? regionOf(parkedQueueUrl) ?? regionOf(dlqUrl),
    options: {
      stage: values.stage,
      family: familyOf(provider, values.family),
      provider,
      id,
      table: values.table,
      parkedQueueUrl,
      dlqUrl,
      sinceMs: parseSince(values.since),
      scanLimit,
    },
  };
}

export interface StatusCliDeps {
  /** The three clients, for a region (undefined: the SDK's default); destroyed at the end. */
  createClients: (region: string | undefined) => StatusClients;
  out: (line: string) => void;
  err: (line: string) => void;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
}

/** The whole command: returns the exit code (0 found, 1 not found or failed, 2 usage or configuration). */
export async function statusMain(argv: string[], deps: StatusCliDeps): Promise<number> {
  const parsed = parseCommand(argv, parseStatusArgs, USAGE, deps);
  if (typeof parsed === 'number') return parsed;
  const clients = deps.createClients(parsed.region);
  try {
    const report = await runStatus(
      clients,
      { ...parsed.options, now: deps.now, sleep: deps.sleep },
      deps.out,
    );
    return report.found ? 0 : 1;
  } catch (error) {
    if (error instanceof ConfigError || error instanceof UsageError) {
      deps.err(`${error.message}\n\n${USAGE}`);
      return 2;
    }
    // AWS errors carry a name (AccessDenied, …) and a message worth showing; a stack is not.
    const name = error instanceof Error && !(error instanceof OpsError) ? `${error.name}: ` : '';
    deps.err(`status failed: ${name}${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    for (const client of Object.values(clients)) client.destroy();
  }
}
