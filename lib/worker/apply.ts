import { createHash } from 'node:crypto';
import type { FetchedAttachments } from '#lib/attachments/index.ts';
import type { ApplyPaymentCommand, AttachmentRef, UpdateCaseCommand, WolkvoxCommand } from '#lib/events.ts';
import { recordKey } from '#lib/events.ts';
import type { Claim, ClaimOptions, Fingerprints, Ledger, LedgerEntry } from '#lib/ledger/types.ts';
import { CommandRejectedError, failureKind, failureReason, ServiceError } from '#lib/errors.ts';
import { excerpt, quoted } from '#lib/excerpt.ts';
import type { Logger } from '#lib/log.ts';
import {
  applyPayment,
  describeChange,
  formatMajor,
  type ObligationRules,
  overpaidBy,
} from '#lib/translate/obligation.ts';
import type { CallOptions, WolkvoxClient } from '#lib/wolkvox/client.ts';
import { WolkvoxError } from '#lib/wolkvox/errors.ts';
import type { Obligation } from '#lib/wolkvox/types.ts';

/** Another worker holds this event's lease (a redelivery racing a slow attempt): retry later. */
export class EventBusyError extends ServiceError {
  override readonly name = 'EventBusyError';
  /** When the other attempt's lease ends: retrying earlier would only burn a receive. */
  readonly leaseUntil: string;

  constructor(identity: string, leaseUntil: string) {
    super('ledger', 'transient', `another attempt holds ${identity} until ${leaseUntil}`);
    this.leaseUntil = leaseUntil;
  }
}

/** Downloads a case's attachments from the helpdesk (the worker's job, never ingress'). */
export type AttachmentFetcher = (
  refs: AttachmentRef[],
  provider: string,
  signal?: AbortSignal,
) => Promise<FetchedAttachments>;

export interface ApplyDeps {
  client: WolkvoxClient;
  rules: ObligationRules;
  attachments: AttachmentFetcher;
  ledger: Ledger;
  /** Refused attachments and overpayments are logged here (ids, amounts and file names only). */
  logger: Logger;
  /** How long one attempt owns an event; past it, a redelivery may recover the event. */
  leaseMs?: number;
  /** Ends leases; the ledger measures them with its own clock (the same one, in practice). */
  now?: () => Date;
}

export interface Applied {
  identity: string;
  record: string;
  /** `skipped`: a duplicate, or a state change older than the newest one applied. */
  outcome: 'applied' | 'skipped';
  reason?: string;
  /** What changed, for logs and local tools: ids, amounts and counts, no personal data. */
  details: Record<string, unknown>;
}

export type Claimed = Extract<Claim, { token: string }>;
export interface Attempt {
  /** Set once the wolkvox write has started: from then on the claim must not be released. */
  writing: boolean;
  /** The claim stored this attempt's fingerprints itself (ClaimOptions): no prepare call needed. */
  prepared?: boolean;
  /** When a write that got no answer can no longer land (epoch ms): the lease holds until then. */
  inFlightUntil?: number;
}

export const DEFAULT_LEASE_MS = 120_000;
// A write with no answer may still be under way after our deadline (wolkvox finishing what it had
// received): the request timeout plus this margin bounds it.
const IN_FLIGHT_MARGIN_MS = 10_000;

/**
 * Steps 7–10 of the data path for one command: ledger guard, then the wolkvox write.
 *
 * The claim prepares in its own write, and reads the record's newest time beside it: one ledger
 * round trip before the wolkvox write. A case knows its fingerprints up front; a payment reads the
 * obligation first and works its write out before claiming (readAhead). The price: a payment the
 * ledger already holds (a duplicate past SQS' 5-minute deduplication, a redelivery racing a live
 * attempt) spends one wolkvox read before the claim turns it away.
 */
export async function applyCommand(
  command: WolkvoxCommand,
  deps: ApplyDeps,
  call: CallOptions = {},
  /** Already claimed for this attempt (a batch's run handing its payments over, apply-run.ts). */
  claimed?: Claim,
): Promise<Applied> {
  const entry = ledgerEntry(command);
  const ahead =
    claimed || command.kind !== 'applyPayment' ? undefined : await readAhead(command, entry, deps, call);
  const options: ClaimOptions =
    command.kind === 'updateCase'
      ? { fingerprints: { before: '', after: caseAfter(command) } }
      : (ahead ?? {});
  const claim = claimed ?? (await deps.ledger.claim(entry, deps.leaseMs ?? DEFAULT_LEASE_MS, options));
  if (claim.status === 'applied') return skipped(command, 'already applied');
  if (claim.status === 'busy') throw new EventBusyError(command.identity, claim.leaseUntil);
  // A recovered claim kept the earlier attempt's fingerprints, not these: it prepares again.
  const prepared = !claimed && claim.status === 'claimed' && options.fingerprints !== undefined;
  const attempt: Attempt = { writing: false, prepared };
  try {
    const applied =
      command.kind === 'applyPayment'
        ? await applyPaymentCommand(command, entry, claim, attempt, deps, call, ahead)
        : await applyCaseCommand(command, entry, claim, attempt, deps, call);
    await deps.ledger.settle(
      entry,
      claim.token,
      applied.outcome === 'skipped' ? { outcome: 'skipped', reason: applied.reason } : undefined,
    );
    return applied;
  } catch (error) {
    await letGo(entry, claim, attempt, error, deps);
    throw error;
  }
}

/**
 * How a failed attempt leaves its event in the ledger:
 * - it cannot be applied (permanent): parked with the reason; a redrive claims it again (afresh
 *   when this was a fresh claim that wrote nothing: fingerprints of a write never made would turn
 *   the redrive into a recovery, parked again once the obligation has changed);
 * - a fresh claim that wrote nothing: released, so the retry claims it at once;
 * - otherwise the lease ends now, as nothing of this attempt is in flight — or, after a write that
 *   got no answer (a timeout, a reset), once that write can no longer land. The fingerprints stay:
 *   the next attempt reads wolkvox and recognises a write that landed, or makes it.
 * A ledger failure here is swallowed: the lease then runs out by itself, which is only slower.
 */
export async function letGo(
  entry: LedgerEntry,
  claim: Claimed,
  attempt: Attempt,
  error: unknown,
  deps: ApplyDeps,
) {
  const now = (deps.now?.() ?? new Date()).getTime();
  const fresh = claim.status === 'claimed' && !attempt.writing;
  const ending =
    failureKind(error) === 'permanent'
      ? deps.ledger.park(entry, claim.token, failureReason(error), fresh)
      : fresh
        ? deps.ledger.release(entry, claim.token)
        : deps.ledger.endLease(entry, claim.token, attempt.inFlightUntil ?? now);
  await ending.catch(() => undefined);
}

/** The wolkvox write: from here the claim is never released, and a write without an answer holds the lease. */
export async function write(attempt: Attempt, deps: ApplyDeps, request: () => Promise<void>): Promise<void> {
  const clock = () => (deps.now?.() ?? new Date()).getTime();
  attempt.writing = true;
  const started = clock();
  try {
    await request();
  } catch (error) {
    const mayStillLand = !(error instanceof WolkvoxError) || error.unanswered;
    if (mayStillLand) {
      attempt.inFlightUntil = Math.max(clock(), started + deps.client.timeoutMs) + IN_FLIGHT_MARGIN_MS;
    }
    throw error;
  }
}

export function ledgerEntry(command: WolkvoxCommand): LedgerEntry {
  const eventTime = command.kind === 'applyPayment' ? command.payment.paidAt : command.resolvedAt;
  return {
    identity: command.identity,
    record: recordKey(command),
    kind: command.kind === 'applyPayment' ? 'payment' : 'case',
    eventTime: new Date(eventTime).toISOString(),
  };
}

export const isOlder = (eventTime: string, newest: string | undefined) => !!newest && eventTime < newest;
const digest = (parts: string[]) => createHash('sha256').update(parts.join('\u0000')).digest('base64url');
export const obligationPrint = (o: Obligation) =>
  digest([o.total_balance, o.last_pay, o.last_pay_date, o.days_delay]);

/** The obligation's read and the write worked out from it, before the claim (the claim stores the fingerprints). */
export interface ReadAhead extends ClaimOptions {
  current: Obligation | null;
  /**
   * Worked out as the newest payment of its record (payments mostly arrive in order); undefined
   * when the payment is refused (said again after the claim, which parks it).
   */
  plan?: PaymentPlan;
}

/**
 * The obligation, read before the claim, and the write planned as if this payment were its
 * record's newest. The claim reads the record's newest time beside its own write, so neither
 * ledger call waits on the other; a payment that turns out older than an applied one (out of
 * order, the exception) is planned again after the claim and prepares that write in a call of its
 * own (applyPaymentCommand).
 */
async function readAhead(
  command: ApplyPaymentCommand,
  entry: LedgerEntry,
  deps: ApplyDeps,
  call: CallOptions,
): Promise<ReadAhead> {
  const current = await deps.client.queryObligation(
    { wolkvoxId: command.target.wolkvoxId, obligation: command.target.obligation },
    call,
  );
  let plan: PaymentPlan | undefined;
  try {
    if (current) plan = planPayment(current, command, entry, undefined, deps);
  } catch {
    // Refused (an overpayment to park, an unreadable balance): said again after the claim, which parks it.
  }
  const fingerprints = current && plan ? paymentPrints(current, plan) : undefined;
  return { current, plan, fingerprints };
}

const casePrint = (status: unknown, solution: unknown) =>
  digest([
    String(status ?? ''),
    String(solution ?? '')
      .replace(/\r\n/g, '\n')
      .trim(),
  ]);

/** The state `seen` is one in which the write these fingerprints describe has not landed. */
export const notLanded = ({ before, alsoBefore = [] }: Fingerprints, seen: string) =>
  seen === before || alsoBefore.includes(seen);

const caseAfter = (command: UpdateCaseCommand) => casePrint(command.update.status, command.update.solution);

export function skipped(command: WolkvoxCommand, reason: string): Applied {
  return { identity: command.identity, record: recordKey(command), outcome: 'skipped', reason, details: {} };
}

/**
 * Read the obligation, change it, write all of it back. Every distinct payment reduces the balance
 * once, in whatever order it arrives; only the most recent one sets last_pay and last_pay_date.
 */
async function applyPaymentCommand(
  command: ApplyPaymentCommand,
  entry: LedgerEntry,
  claim: Claimed,
  attempt: Attempt,
  deps: ApplyDeps,
  call: CallOptions,
  ahead?: ReadAhead,
): Promise<Applied> {
  const { wolkvoxId, obligation } = command.target;
  // A recovered claim reads again: a late write of the earlier attempt may have landed after the
  // read ahead, while its lease still held.
  const fresh = ahead && claim.status === 'claimed' ? ahead : undefined;
  const current = fresh ? fresh.current : await deps.client.queryObligation({ wolkvoxId, obligation }, call);
  if (!current) {
    throw new CommandRejectedError(
      `obligation ${quoted(obligation)} not found on wolkvox record ${quoted(wolkvoxId, 40)}`,
    );
  }
  if (claim.status === 'recovered') {
    const seen = obligationPrint(current);
    if (seen === claim.fingerprints.after)
      return skipped(command, 'the previous attempt had written it before it stopped');
    // Neither before nor after: other changes landed since, so whether this payment did is unknowable
    // from here. Money is never counted twice on a guess: an operator checks, then redrives.
    if (!notLanded(claim.fingerprints, seen)) {
      throw new CommandRejectedError(
        'a previous attempt may have applied this payment and the obligation has changed since: check its balance before redriving',
      );
    }
  }
  // The read ahead planned it as the record's newest payment; an older one is planned again, and
  // the fingerprints its claim stored (of a write it will not make) are replaced before it writes.
  const asPlanned = !isOlder(entry.eventTime, claim.newest) ? fresh?.plan : undefined;
  const planned = asPlanned ?? planPayment(current, command, entry, claim.newest, deps);
  const { next, surplus } = planned;
  if (!attempt.prepared || !asPlanned) {
    await deps.ledger.prepare(entry, claim.token, paymentPrints(current, planned));
  }
  await write(attempt, deps, () =>
    deps.client.updateObligation({ wolkvoxId, obligation, fields: next }, call),
  );
  return {
    identity: command.identity,
    record: entry.record,
    outcome: 'applied',
    details: { ...describeChange(current, next), ...(surplus ? { overpaidBy: formatMajor(surplus) } : {}) },
  };
}

/** The payment's write: the obligation after it, and the surplus of an overpayment. */
interface PaymentPlan {
  next: Obligation;
  surplus: ReturnType<typeof overpaidBy>;
}

function planPayment(
  current: Obligation,
  command: ApplyPaymentCommand,
  entry: LedgerEntry,
  newest: string | undefined,
  { rules }: ApplyDeps,
): PaymentPlan {
  let plan: PaymentPlan;
  try {
    plan = {
      surplus: overpaidBy(current, command.payment, rules),
      next: applyPayment(current, command.payment, rules, { newest: !isOlder(entry.eventTime, newest) }),
    };
  } catch (error) {
    throw new CommandRejectedError(`cannot apply the payment: ${(error as Error).message}`);
  }
  // More than is owed: never silent. By default the balance goes to 0 and the surplus is reported;
  // OBLIGATION_OVERPAYMENT=park leaves the decision (a refund, another obligation) to an operator.
  const { surplus } = plan;
  if (surplus && rules.overpayment === 'park') {
    throw new CommandRejectedError(
      `the payment exceeds the balance by ${formatMajor(surplus)} ${surplus.currency} (OBLIGATION_OVERPAYMENT=park)`,
    );
  }
  return plan;
}

const paymentPrints = (current: Obligation, { next }: PaymentPlan): Fingerprints => ({
  before: obligationPrint(current),
  after: obligationPrint(next),
});

/** One cases/update.php call with the attachments that could be fetched; the others are reported. */
async function applyCaseCommand(
  command: UpdateCaseCommand,
  entry: LedgerEntry,
  claim: Claimed,
  attempt: Attempt,
  deps: ApplyDeps,
  call: CallOptions,
): Promise<Applied> {
  const { wolkvoxId } = command.target;
  if (isOlder(entry.eventTime, claim.newest))
    return skipped(command, 'older than the newest resolution applied to the case');
  const after = caseAfter(command);
  if (claim.status === 'recovered') {
    const [found] = await deps.client.queryCases({ field: 'wolkvox-id', value: wolkvoxId }, call);
    if (found && casePrint(found.status, found.solution) === after) {
      return skipped(command, 'the previous attempt had written it before it stopped');
    }
  }
  const fetched =
    command.attachments.length > 0
      ? await deps.attachments(command.attachments, command.provider, call.signal)
      : undefined;
  for (const failure of fetched?.failures ?? []) {
    deps.logger.warn('attachment refused', {
      identity: command.identity,
      file: excerpt(failure.filename),
      reason: excerpt(failure.reason, 200),
    });
  }
  try {
    if (!attempt.prepared) await deps.ledger.prepare(entry, claim.token, { before: '', after });
    await write(attempt, deps, () =>
      deps.client.updateCase({ wolkvoxId, ...command.update, files: fetched?.files }, call),
    );
  } finally {
    await fetched?.cleanup();
  }
  return {
    identity: command.identity,
    record: entry.record,
    outcome: 'applied',
    details: {
      status: command.update.status,
      attached: fetched?.files.length ?? 0,
      attachmentFailures: fetched?.failures ?? [],
    },
  };
}
