import { parseArgs } from 'node:util';
import type { SQSClient } from '@aws-sdk/client-sqs';
import {
  OpsError,
  parseCommand,
  type RedriveOptions,
  runRedrive,
  type Selection,
  UsageError,
} from './redrive.ts';

export const USAGE = `Usage: npm run redrive -- --stage <stage> [--region <region>] [--dry-run]
                          [--all | --select <n,n,…> | --reason <text>] [--discard]

Lists the events the functions parked in the stage's parked queue, with their reasons, and moves
the chosen ones back to the work queue. (Dead letters have their own queue, …-dlq.fifo: redrive
them with SQS's DLQ redrive; see the README, "Parked and dead-lettered events".)

  --stage <stage>          the deployed stage (queues wolkvox-webhooks-<stage>.fifo and
                           wolkvox-webhooks-<stage>-parked.fifo, found with sqs:GetQueueUrl)
  --region <region>        AWS region (default: the SDK's, e.g. AWS_REGION or the profile's)
  --work-queue-url <url>   the work queue, instead of looking it up by stage
  --parked-queue-url <url> the parked queue, instead of looking it up by stage
  --dry-run                list and say what would be redriven; change nothing
  --all                    redrive every listed event that has a command
  --select <n,n,…>         redrive these numbers of the listing (ranges like 2-5 too)
  --reason <text>          redrive the events whose reason contains <text> (any case)
  --discard                delete the chosen events instead (handled by hand, or not to be
                           applied): the parked-queue alarm clears once the queue is empty
  -h, --help               this text

Without --all, --select or --reason it only lists. Numbers follow the listing, oldest first: list,
then run again with --select. Parked events without a command (no wolkvox target) are listed but
cannot be redriven: fix the data at the source and have the provider resend the event, or
update wolkvox by hand, then --discard them.`;

const STAGE = /^[a-z0-9-]+$/i;

function parseNumbers(text: string): number[] {
  const numbers: number[] = [];
  for (const part of text.split(',').map((p) => p.trim())) {
    const range = /^(\d+)(?:-(\d+))?$/.exec(part);
    const from = Number(range?.[1]);
    const to = range?.[2] === undefined ? from : Number(range[2]);
    if (!range || from < 1 || to < from || to - from > 10_000) {
      throw new UsageError(`--select: '${part}' is not a listing number or range (e.g. 1,3,5-7)`);
    }
    for (let n = from; n <= to; n += 1) numbers.push(n);
  }
  return numbers;
}

function checkUrl(flag: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${flag}: '${value}' is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new UsageError(`${flag}: not an http(s) URL`);
  return value;
}

export type ParsedArgs =
  { help: true } | { help: false; region: string | undefined; options: RedriveOptions };

/** The command line → options; a UsageError names what is wrong. */
export function parseRedriveArgs(argv: string[]): ParsedArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        stage: { type: 'string' },
        region: { type: 'string' },
        'work-queue-url': { type: 'string' },
        'parked-queue-url': { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        all: { type: 'boolean', default: false },
        select: { type: 'string' },
        reason: { type: 'string' },
        discard: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: false,
      strict: true,
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help) return { help: true };

  const workQueueUrl = checkUrl('--work-queue-url', values['work-queue-url']);
  const parkedQueueUrl = checkUrl('--parked-queue-url', values['parked-queue-url']);
  if (values.stage === undefined && !(workQueueUrl && parkedQueueUrl)) {
    throw new UsageError('--stage is required (or both --work-queue-url and --parked-queue-url)');
  }
  if (values.stage !== undefined && !STAGE.test(values.stage)) {
    throw new UsageError(`--stage: '${values.stage}' is not a stage name (letters, digits, hyphens)`);
  }
  if (values.region !== undefined && !/^[a-z]{2}(?:-[a-z]+)+-\d+$/.test(values.region)) {
    throw new UsageError(`--region: '${values.region}' is not an AWS region (e.g. us-east-1)`);
  }
  const chosen = [values.all, values.select !== undefined, values.reason !== undefined].filter(Boolean);
  if (chosen.length > 1) throw new UsageError('Use only one of --all, --select and --reason');

  if (values.discard && chosen.length === 0) {
    throw new UsageError('--discard needs --all, --select or --reason: it deletes the chosen events');
  }

  let selection: Selection = { kind: 'none' };
  if (values.all) selection = { kind: 'all' };
  if (values.select !== undefined) selection = { kind: 'numbers', numbers: parseNumbers(values.select) };
  if (values.reason !== undefined) {
    if (values.reason.trim() === '') throw new UsageError('--reason: give some text to look for');
    selection = { kind: 'reason', text: values.reason };
  }

  return {
    help: false,
    region: values.region ?? regionOf(workQueueUrl) ?? regionOf(parkedQueueUrl),
    options: {
      stage: values.stage,
      workQueueUrl,
      parkedQueueUrl,
      dryRun: values['dry-run'],
      discard: values.discard,
      selection,
    },
  };
}

/** `https://sqs.eu-west-1.amazonaws.com/…` → `eu-west-1`: a URL names the region it must be called in. */
export function regionOf(queueUrl: string | undefined): string | undefined {
  if (!queueUrl) return undefined;
  return /^sqs\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/.exec(new URL(queueUrl).hostname)?.[1];
}

export interface CliDeps {
  createClient: (region: string | undefined) => SQSClient;
  out: (line: string) => void;
  err: (line: string) => void;
  now?: () => Date;
}

/** The whole command: returns the exit code (0 done, 1 failed, 2 usage). */
export async function redriveMain(argv: string[], deps: CliDeps): Promise<number> {
  const parsed = parseCommand(argv, parseRedriveArgs, USAGE, deps);
  if (typeof parsed === 'number') return parsed;
  const client = deps.createClient(parsed.region);
  try {
    await runRedrive(client, { ...parsed.options, now: deps.now }, deps.out);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      deps.err(`${error.message}\n\n${USAGE}`);
      return 2;
    }
    // AWS errors carry a name (AccessDenied, …) and a message worth showing; a stack is not.
    const name = error instanceof Error && !(error instanceof OpsError) ? `${error.name}: ` : '';
    deps.err(`redrive failed: ${name}${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    client.destroy();
  }
}
