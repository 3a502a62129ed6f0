import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  type Message,
  QueueDoesNotExist,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import * as z from 'zod';
import {
  deduplicationId,
  messageGroupId,
  type QueuedMessage,
  queuedMessageSchema,
} from '#lib/dispatch/message.ts';
import { wolkvoxCommandSchema } from '#lib/events.ts';
import { shardOf } from '#lib/wolkvox/tokens.ts';

/**
 * Operations on the parked queue: list what waits there and why, and put chosen commands back on
 * the work queue. A parked event's body is a ParkedEvent and its message attributes say
 * `disposition=parked` and the `reason`: the ingress or the worker decided the event cannot be
 * applied (no wolkvox target, a permanent wolkvox failure).
 *
 * Dead letters (commands SQS moved after maxReceiveCount receives) have their own queue, redriven
 * with SQS's DLQ redrive (README, "Parked and dead-lettered events"). Stages deployed before the split dead-lettered into
 * this queue: such a message (a QueuedMessage, no attributes of ours) is still listed, as
 * `dead-lettered`, and can be redriven from here.
 *
 * The parked queue is FIFO: while a message of a group is in flight (received, not yet deleted or
 * visible again) SQS hides the rest of that group. A listing therefore holds what it received
 * invisible only briefly and gives it back at the end, and it counts what stayed hidden.
 */

/** The service name in serverless.yml: queue names derive from it and the stage. */
export const SERVICE = 'wolkvox-webhooks';

/** The queue names serverless.yml gives a stage (deterministic, so GetQueueUrl finds them). */
export function queueNames(stage: string): { work: string; parked: string } {
  return { work: `${SERVICE}-${stage}.fifo`, parked: `${SERVICE}-${stage}-parked.fifo` };
}

export interface QueueUrls {
  work: string;
  parked: string;
  /**
   * Every shard's work queue in shard order (the `shards` param: one per wolkvox token), when the
   * stage has more than one: a command is redriven to its record's shard, never beside it.
   */
  shards?: string[];
}

/** A problem the operator can fix (a wrong stage, region or queue URL): reported without a stack. */
export class OpsError extends Error {
  override name = 'OpsError';
}

/** A command-line mistake: usage is printed and the exit code is 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * The operator commands' shared start: the parsed command line, or the exit code already given —
 * 2 with what is wrong and the usage, or 0 after printing the usage for --help.
 */
export function parseCommand<P extends { help: boolean }>(
  argv: string[],
  parse: (argv: string[]) => P,
  usage: string,
  io: { out: (line: string) => void; err: (line: string) => void },
): Exclude<P, { help: true }> | number {
  let parsed: P;
  try {
    parsed = parse(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`${error.message}\n\n${usage}`);
    return 2;
  }
  if (parsed.help) {
    io.out(usage);
    return 0;
  }
  return parsed as Exclude<P, { help: true }>;
}

/** Queue URLs from the flags, else from the stage's queue names (GetQueueUrl, needs no CloudFormation). */
export async function resolveQueueUrls(
  client: SQSClient,
  options: { stage?: string; workQueueUrl?: string; parkedQueueUrl?: string },
): Promise<QueueUrls> {
  async function lookup(given: string | undefined, which: 'work' | 'parked', flag: string) {
    if (given) return given;
    if (!options.stage) throw new UsageError(`--stage or ${flag} is required`);
    const name = queueNames(options.stage)[which];
    try {
      const { QueueUrl } = await client.send(new GetQueueUrlCommand({ QueueName: name }));
      if (!QueueUrl) throw new OpsError(`SQS returned no URL for ${name}`);
      return QueueUrl;
    } catch (error) {
      if (!(error instanceof QueueDoesNotExist)) throw error;
      const region = await client.config.region();
      throw new OpsError(
        `No queue ${name} in ${region}: is stage '${options.stage}' deployed there? ` +
          `(pass --region, or the URL with ${flag})`,
      );
    }
  }
  const work = await lookup(options.workQueueUrl, 'work', '--work-queue-url');
  const parked = await lookup(options.parkedQueueUrl, 'parked', '--parked-queue-url');
  // Shards 1, 2, … are named after the work queue (scripts/osls-shards-plugin.cjs) until one is missing.
  const shards = [work];
  while (options.stage && !options.workQueueUrl) {
    const name = queueNames(options.stage).work.replace(/\.fifo$/, `-shard${shards.length}.fifo`);
    try {
      const { QueueUrl } = await client.send(new GetQueueUrlCommand({ QueueName: name }));
      if (!QueueUrl) break;
      shards.push(QueueUrl);
    } catch (error) {
      if (error instanceof QueueDoesNotExist) break;
      throw error;
    }
  }
  return shards.length > 1 ? { work, parked, shards } : { work, parked };
}

export type Disposition = 'parked' | 'dead-lettered';

/** One message of the parked queue, as listed and as redriven. */
export interface ListedMessage {
  /** 1-based position in the listing (oldest first): what `--select` refers to. */
  number: number;
  messageId: string;
  receiptHandle: string;
  disposition: Disposition;
  reason: string;
  provider: string;
  eventId: string;
  /** The command's identity, else the parked event's summary (ids and amounts only). */
  summary: string;
  sentAt: Date | undefined;
  receiveCount: number;
  /** What goes back on the work queue; undefined when nothing can (see `unredrivable`). */
  redrive: QueuedMessage | undefined;
  unredrivable: string | undefined;
}

const parkedBodySchema = z.object({
  provider: z.string(),
  eventId: z.string(),
  reason: z.string(),
  command: z.unknown().optional(),
  summary: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
  parkedAt: z.string().optional(),
  receivedAt: z.string().optional(),
});

function parseJson(text: string | undefined): unknown {
  try {
    return JSON.parse(text ?? '');
  } catch {
    return undefined;
  }
}

/** What a received message is, why it is here, and whether (and how) it can go back. */
export function describeMessage(message: Message, number = 0): ListedMessage {
  const receiveCount = Number(message.Attributes?.ApproximateReceiveCount ?? 0);
  const sentMs = Number(message.Attributes?.SentTimestamp);
  const attributes = message.MessageAttributes ?? {};
  const base = {
    number,
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    sentAt: Number.isFinite(sentMs) && sentMs > 0 ? new Date(sentMs) : undefined,
    receiveCount,
  };
  const exhausted = `exhausted retries (receive count ${receiveCount})`;
  const body = parseJson(message.Body);

  const queued = queuedMessageSchema.safeParse(body);
  if (queued.success) {
    const { command, meta } = queued.data;
    return {
      ...base,
      disposition: attributes.disposition?.StringValue === 'parked' ? 'parked' : 'dead-lettered',
      reason: attributes.reason?.StringValue ?? exhausted,
      provider: meta.provider,
      eventId: meta.eventId,
      summary: command.identity,
      redrive: { command, meta },
      unredrivable: undefined,
    };
  }

  const parked = parkedBodySchema.safeParse(body);
  if (parked.success) {
    const event = parked.data;
    const command = event.command === undefined ? undefined : wolkvoxCommandSchema.safeParse(event.command);
    const summary =
      command?.data?.identity ??
      Object.entries(event.summary ?? {})
        .map(([key, value]) => `${key}=${String(value)}`)
        .join(' ');
    return {
      ...base,
      disposition: 'parked',
      // The body keeps the whole reason; the attribute is cut at 256 characters.
      reason: event.reason,
      provider: event.provider,
      eventId: event.eventId,
      summary,
      redrive: command?.success
        ? {
            command: command.data,
            meta: {
              provider: event.provider,
              eventId: event.eventId,
              receivedAt: event.receivedAt ?? event.parkedAt ?? base.sentAt?.toISOString() ?? '',
            },
          }
        : undefined,
      unredrivable: !command
        ? 'no command (no wolkvox target was found): nothing to apply'
        : command.success
          ? undefined
          : 'its command does not match the current command format',
    };
  }

  return {
    ...base,
    disposition: attributes.disposition?.StringValue === 'parked' ? 'parked' : 'dead-lettered',
    reason: attributes.reason?.StringValue ?? exhausted,
    provider: '?',
    eventId: base.messageId,
    summary: '',
    redrive: undefined,
    unredrivable: 'unreadable body (neither a queued command nor a parked event)',
  };
}

export interface ReceiveOptions {
  /** Seconds the listed messages stay invisible at most; they are given back sooner. */
  visibilityTimeout?: number;
  /** Stop after this many messages. */
  max?: number;
}

/** Receives until the queue answers empty or `max` is reached. Received messages are in flight. */
export async function receiveAll(
  client: SQSClient,
  queueUrl: string,
  options: ReceiveOptions = {},
): Promise<Message[]> {
  const max = options.max ?? 1000;
  const received = new Map<string, Message>();
  while (received.size < max) {
    const { Messages = [] } = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: Math.min(10, max - received.size),
        VisibilityTimeout: options.visibilityTimeout ?? 60,
        // Long polling, however short: a short poll (0) asks only some SQS servers and can answer
        // empty while messages wait, which would end the listing early.
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) break;
    // A message seen twice (its visibility ran out mid-listing) is listed once, with the newest handle.
    for (const message of Messages) received.set(message.MessageId ?? message.ReceiptHandle ?? '', message);
  }
  return [...received.values()];
}

/** Messages visible but not received: behind an in-flight message of their FIFO group. Approximate. */
export async function countVisible(client: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes } = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  return Number(Attributes?.ApproximateNumberOfMessages ?? 0);
}

/**
 * Makes held messages visible again now instead of after the listing's visibility timeout, and
 * forgets them. `held` maps message id → receipt handle; what could not be given back stays in it.
 */
export async function release(client: SQSClient, queueUrl: string, held: Map<string, string>): Promise<void> {
  for (const [messageId, handle] of [...held]) {
    try {
      await client.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queueUrl,
          ReceiptHandle: handle,
          VisibilityTimeout: 0,
        }),
      );
      held.delete(messageId);
    } catch {
      // Harmless: the message comes back by itself when the listing's visibility timeout ends.
    }
  }
}

/**
 * Sends the message's command to the work queue, then deletes it from the parked queue: in that
 * order, so a failure in between leaves a duplicate (which the worker's ledger skips), never a loss.
 * The deduplication id is new: the original one would be dropped by SQS within 5 minutes of its use.
 */
export async function redriveMessage(
  client: SQSClient,
  urls: QueueUrls,
  listed: ListedMessage,
  now: () => Date = () => new Date(),
): Promise<{ messageId: string; group: string }> {
  const body = listed.redrive;
  if (!body)
    throw new OpsError(`#${listed.number} cannot be redriven: ${listed.unredrivable ?? 'no command'}`);
  const group = messageGroupId(body.command);
  const sent = await client.send(
    new SendMessageCommand({
      QueueUrl: urls.shards?.[shardOf(group, urls.shards.length)] ?? urls.work,
      MessageBody: JSON.stringify(body),
      MessageGroupId: group,
      MessageDeduplicationId: deduplicationId(`${body.command.identity}:redrive:${now().getTime()}`),
    }),
  );
  await client.send(new DeleteMessageCommand({ QueueUrl: urls.parked, ReceiptHandle: listed.receiptHandle }));
  return { messageId: sent.MessageId ?? '', group };
}

export type Selection =
  | { kind: 'none' }
  | { kind: 'all' }
  | { kind: 'numbers'; numbers: number[] }
  | { kind: 'reason'; text: string };

/** The listed messages a selection names. Unknown numbers are a usage error: nothing is done. */
export function choose(listed: ListedMessage[], selection: Selection): ListedMessage[] {
  switch (selection.kind) {
    case 'none':
      return [];
    case 'all':
      return listed;
    case 'reason': {
      const text = selection.text.toLowerCase();
      return listed.filter((m) => m.reason.toLowerCase().includes(text));
    }
    case 'numbers': {
      const byNumber = new Map(listed.map((m) => [m.number, m]));
      const missing = selection.numbers.filter((n) => !byNumber.has(n));
      if (missing.length > 0) {
        const range = listed.length > 0 ? `1–${listed.length}` : 'none: the queue is empty';
        throw new UsageError(
          `No message ${missing.map((n) => `#${n}`).join(', ')} in the listing (${range})`,
        );
      }
      return [...new Set(selection.numbers)].flatMap((n) => {
        const found = byNumber.get(n);
        return found ? [found] : [];
      });
    }
  }
}

/** `42s`, `17m`, `5h`, `3d`. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

const clip = (text: string, width: number) => (text.length <= width ? text : `${text.slice(0, width - 1)}…`);

/** A plain-text table, one row per message. */
export function formatTable(listed: ListedMessage[], now: Date): string {
  const header = ['#', 'disposition', 'reason', 'provider', 'event id', 'identity / summary', 'age'];
  const rows = listed.map((m) => [
    String(m.number),
    m.disposition,
    clip(m.reason, 70),
    m.provider,
    clip(m.eventId, 40),
    clip(m.summary, 60),
    m.sentAt ? formatAge(now.getTime() - m.sentAt.getTime()) : '?',
  ]);
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  return [header, ...rows]
    .map((row) =>
      row
        .map((cell, i) => (i === 0 ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export interface RedriveOptions {
  stage?: string;
  workQueueUrl?: string;
  parkedQueueUrl?: string;
  dryRun: boolean;
  selection: Selection;
  /** Delete the chosen messages instead of redriving them (handled by hand, or not worth applying). */
  discard?: boolean;
  visibilityTimeout?: number;
  /** Most messages listed in one run. */
  max?: number;
  now?: () => Date;
}

export interface RedriveReport {
  urls: QueueUrls;
  listed: ListedMessage[];
  /** Redriven, or discarded with `discard` (in a dry run: that would be). */
  redriven: ListedMessage[];
  /** Chosen but without a command to send back. */
  skipped: ListedMessage[];
  /** Messages still hidden behind listed ones in their FIFO groups at the end (approximate). */
  hidden: number;
  capped: boolean;
}

const describeLine = (m: ListedMessage) => `#${m.number} ${m.provider} ${m.eventId}`;

/**
 * Lists the parked queue and redrives (or, with `discard`, deletes) the chosen messages. With `--all`
 * or `--reason` (not a dry run) it goes on in passes: deleting messages uncovers the ones queued behind them in
 * their FIFO groups, which the next pass lists and chooses from; numbers continue across passes.
 * Every message listed and not redriven is made visible again before returning, error or not.
 */
export async function runRedrive(
  client: SQSClient,
  options: RedriveOptions,
  out: (line: string) => void,
): Promise<RedriveReport> {
  const now = options.now ?? (() => new Date());
  const urls = await resolveQueueUrls(client, options);
  const max = options.max ?? 1000;
  const listed: ListedMessage[] = [];
  const redriven: ListedMessage[] = [];
  const skipped: ListedMessage[] = [];
  // Message id → current receipt handle of what is held in flight and must be given back.
  const held = new Map<string, string>();
  const passes = !options.dryRun && (options.selection.kind === 'all' || options.selection.kind === 'reason');
  let hidden: number | undefined;
  let capped = false;

  out(`Parked queue: ${urls.parked}`);
  out(`Work queue:   ${urls.work}`);
  try {
    for (let pass = 1; ; pass += 1) {
      const remaining = max - listed.length;
      // Messages listed in an earlier pass and not redriven come back too (they head their groups).
      const carried = listed.length - redriven.length;
      const received = await receiveAll(client, urls.parked, { ...options, max: remaining + carried });
      for (const message of received) held.set(message.MessageId ?? '', message.ReceiptHandle ?? '');
      hidden = await countVisible(client, urls.parked);
      const known = new Map(listed.map((m) => [m.messageId, m]));
      for (const message of received) {
        const earlier = known.get(message.MessageId ?? '');
        if (earlier) earlier.receiptHandle = message.ReceiptHandle ?? '';
      }
      const unseen = received
        .filter((message) => !known.has(message.MessageId ?? ''))
        .map((message) => describeMessage(message))
        .sort(
          (a, b) =>
            (a.sentAt?.getTime() ?? 0) - (b.sentAt?.getTime() ?? 0) || a.messageId.localeCompare(b.messageId),
        );
      capped ||= unseen.length >= remaining;
      const fresh = unseen.slice(0, remaining).map((m, i) => ({ ...m, number: listed.length + i + 1 }));
      if (pass === 1 && fresh.length === 0) out('\nThe parked queue is empty.');
      if (fresh.length === 0) break;
      out(pass === 1 ? '' : `\nUncovered by redriving (pass ${pass}):`);
      out(formatTable(fresh, now()));
      listed.push(...fresh);

      const chosen = choose(passes ? fresh : listed, options.selection);
      if (options.selection.kind === 'none') {
        out('\nNothing chosen: add --all, --select <n,n,…> or --reason <text> to redrive.');
      } else {
        out(chosen.length === 0 ? '\nNo listed message matches.' : '');
      }
      let moved = 0;
      for (const m of chosen) {
        if (options.discard) {
          redriven.push(m);
          if (options.dryRun) {
            out(`would discard ${describeLine(m)}`);
            continue;
          }
          await client.send(
            new DeleteMessageCommand({ QueueUrl: urls.parked, ReceiptHandle: m.receiptHandle }),
          );
          held.delete(m.messageId);
          moved += 1;
          out(`discarded ${describeLine(m)}`);
          continue;
        }
        if (!m.redrive) {
          skipped.push(m);
          out(`cannot redrive ${describeLine(m)}: ${m.unredrivable ?? 'no command'}`);
          continue;
        }
        if (options.dryRun) {
          redriven.push(m);
          out(`would redrive ${describeLine(m)} → work queue, group ${messageGroupId(m.redrive.command)}`);
          continue;
        }
        const sent = await redriveMessage(client, urls, m, now);
        held.delete(m.messageId);
        redriven.push(m);
        moved += 1;
        out(`redriven ${describeLine(m)} → work queue, group ${sent.group}, message ${sent.messageId}`);
      }
      if (!passes || moved === 0 || capped) break;
      // Give back what stays, so the next receive sees the messages queued behind it in its group.
      await release(client, urls.parked, held);
    }
  } finally {
    await release(client, urls.parked, held);
    if (held.size > 0) {
      const seconds = options.visibilityTimeout ?? 60;
      out(
        `\n${held.size} message(s) could not be given back now; they are visible again within ${seconds} s.`,
      );
    }
  }

  if (options.dryRun && options.selection.kind !== 'none') out('\nDry run: nothing was changed.');
  if (!options.dryRun && options.selection.kind !== 'none' && options.discard) {
    out(`\n${redriven.length} discarded, ${listed.length - redriven.length} not chosen.`);
  } else if (!options.dryRun && options.selection.kind !== 'none') {
    out(
      `\n${redriven.length} redriven, ${skipped.length} could not be (still parked), ` +
        `${listed.length - redriven.length - skipped.length} not chosen.`,
    );
  }
  if (capped) out(`\nStopped listing at ${max} messages: run again for the rest.`);
  if (hidden !== undefined && hidden > 0) {
    out(
      `\nAbout ${hidden} more message(s) wait behind the listed ones in their FIFO message groups ` +
        '(SQS shows them once the ones before them are deleted): redrive or remove those, then run again.',
    );
  }
  return { urls, listed, redriven, skipped, hidden: hidden ?? 0, capped };
}
