/**
 * Payments for one obligation that meet in one SQS batch — consecutive records of its message
 * group, so already in their FIFO order — applied with one read and one write: the balance reduced
 * by their sum, `last_pay` the newest. The ledger keeps its per-payment guarantees: each payment is
 * claimed, prepared (with the fingerprints of the one write, in the claim's own write when every
 * payment turns out fresh), and settled on its own; a failed write leaves every one of them
 * unapplied (released, or its lease ended for recovery); a payment the ledger already holds as
 * applied is left out of the sum. As for one payment (apply.ts), the obligation is read ahead of
 * the claims, and again on a recovery; unlike one payment's claim, which reads the record's newest
 * time beside its write, the run reads it beside the obligation (one read for the run): which of
 * its payments are older decides the run's write.
 *
 * Whatever the shortcut cannot decide for all of them together goes one by one, through
 * applyCommand, each payment then getting its own decision: another attempt holding one of them,
 * recoveries from different earlier attempts, an obligation not found or unreadable, and a sum
 * larger than the balance (an overpayment is decided per payment, OBLIGATION_OVERPAYMENT=park
 * included).
 */
import type { SQSRecord } from 'aws-lambda';
import { queuedMessageSchema } from '#lib/dispatch/message.ts';
import type { ApplyPaymentCommand, WolkvoxCommand } from '#lib/events.ts';
import type { Claim, Fingerprints, LedgerEntry } from '#lib/ledger/types.ts';
import { applyPayment, describeChange, overpaidBy } from '#lib/translate/obligation.ts';
import type { CallOptions } from '#lib/wolkvox/client.ts';
import type { Obligation } from '#lib/wolkvox/types.ts';
import {
  type Applied,
  type ApplyDeps,
  applyCommand,
  type Attempt,
  type Claimed,
  DEFAULT_LEASE_MS,
  isOlder,
  ledgerEntry,
  letGo,
  obligationPrint,
  skipped,
  write,
} from './apply.ts';

/**
 * The run cannot be applied as one: why, and each payment goes through applyCommand instead,
 * with the claim taken here (by command index): claiming again at once would find its own lease.
 */
export interface OneByOne {
  oneByOne: string;
  claims: Map<number, Claim>;
}

/** Applies `commands` (payments to one obligation, in queue order); one Applied per command, same order. */
export async function applyPaymentRun(
  commands: ApplyPaymentCommand[],
  deps: ApplyDeps,
  call: CallOptions = {},
): Promise<Applied[] | OneByOne> {
  const entries = commands.map(ledgerEntry);
  // A payment delivered twice within the batch is claimed once: its copies are duplicates.
  const firsts = [...new Map(commands.map((c, i) => [c.identity, i] as const).reverse()).values()].sort(
    (a, b) => a - b,
  );
  const lease = deps.leaseMs ?? DEFAULT_LEASE_MS;
  const { wolkvoxId, obligation } = (commands[0] as ApplyPaymentCommand).target;
  const read = () => deps.client.queryObligation({ wolkvoxId, obligation }, call);
  // Read ahead, as a payment alone does (apply.ts), with the record's newest beside it, and the
  // write worked out as if every payment were fresh, so each claim prepares in its own write.
  const [ahead, newest] = await Promise.all([read(), deps.ledger.newest(entry(firsts[0] as number))]);
  const planned = ahead ? fold(ahead, firsts, newest, deps) : undefined;
  const answers = await Promise.allSettled(
    firsts.map((i, k) =>
      deps.ledger.claim(entry(i), lease, {
        known: { newest },
        fingerprints: ahead && planned ? runPrints(ahead, planned, k) : undefined,
      }),
    ),
  );
  const claims = new Map<number, Claim>();
  answers.forEach((answer, k) => {
    if (answer.status === 'fulfilled') claims.set(firsts[k] as number, answer.value);
  });
  const held = [...claims].filter((pair): pair is [number, Claimed] => 'token' in pair[1]);
  const giveBack = async (why: string): Promise<OneByOne> => ({ oneByOne: why, claims });
  const failedClaim = answers.find((a) => a.status === 'rejected');
  if (failedClaim) {
    await handBack(
      held.map(([i, claim]) => [entry(i), claim]),
      deps,
    );
    throw failedClaim.reason;
  }
  if ([...claims.values()].some((c) => c.status === 'busy')) return giveBack('another attempt holds one');
  if (held.length === 1) return giveBack('one payment left to apply');

  const results = (detail: (i: number) => Applied) =>
    commands.map((command, i) =>
      !firsts.includes(i)
        ? skipped(command, 'a duplicate of an earlier message in this batch')
        : claims.get(i)?.status === 'applied'
          ? skipped(command, 'already applied')
          : detail(i),
    );
  if (held.length === 0) return results(() => skipped(commands[0] as ApplyPaymentCommand, 'already applied'));

  const recovered = held.filter(([, c]) => c.status === 'recovered');
  // One earlier write: the same before and after (a merged one gives each payment its own alsoBefore).
  const prints = new Set(
    recovered.map(([, c]) => c.status === 'recovered' && `${c.fingerprints.before} ${c.fingerprints.after}`),
  );
  // Recoveries of one earlier write (this run's, or one payment's) are decided together; more
  // than one earlier write is left to each payment.
  if (prints.size > 1) return giveBack('recoveries from different attempts');
  const earlier = recovered[0]?.[1];
  // Every payment claimed afresh: the claims stored the planned write's fingerprints.
  const prepared = planned !== undefined && held.length === firsts.length && !earlier;
  const attempt: Attempt = { writing: false };
  let toApply = held;
  try {
    // A recovery reads again: an earlier attempt's late write may have landed after the read ahead.
    const current = earlier ? await read() : ahead;
    if (!current) return await giveBack('obligation not found');
    const landedReason = 'the previous attempt had written it before it stopped';
    let landed: Array<[number, Claimed]> = [];
    if (earlier?.status === 'recovered') {
      const seen = obligationPrint(current);
      // The earlier write landed: its payments are done, the fresh ones go on top of it.
      if (seen === earlier.fingerprints.after) {
        landed = recovered;
        toApply = held.filter(([, c]) => c.status === 'claimed');
      } else if (seen !== earlier.fingerprints.before) {
        return await giveBack('changed since the previous attempt');
      }
    }
    const settleLanded = () =>
      Promise.all(
        landed.map(([i, c]) =>
          deps.ledger.settle(entry(i), c.token, { outcome: 'skipped', reason: landedReason }),
        ),
      );
    const isLanded = (i: number) => landed.some(([k]) => k === i);
    if (toApply.length === 0) {
      await settleLanded();
      return results((i) => skipped(commands[i] as ApplyPaymentCommand, landedReason));
    }
    const pending = toApply.map(([i]) => i);
    const states = prepared ? planned : fold(current, pending, newest, deps);
    const next = states?.at(-1);
    if (!states || !next) return await giveBack('the sum exceeds the balance, or the balance is unreadable');
    // Known to have landed: settled before the new write, whose fate may turn out unknown.
    await Promise.all([
      settleLanded(),
      ...(prepared
        ? []
        : toApply.map(([i, c], k) => deps.ledger.prepare(entry(i), c.token, runPrints(current, states, k)))),
    ]);
    await write(attempt, deps, () =>
      deps.client.updateObligation({ wolkvoxId, obligation, fields: next }, call),
    );
    await Promise.all(toApply.map(([i, c]) => deps.ledger.settle(entry(i), c.token)));
    const change = { ...describeChange(current, next), together: toApply.length };
    return results((i) =>
      isLanded(i)
        ? skipped(commands[i] as ApplyPaymentCommand, landedReason)
        : {
            identity: commands[i]?.identity ?? '',
            record: entry(i).record,
            outcome: 'applied',
            details: change,
          },
    );
  } catch (error) {
    await Promise.all(toApply.map(([i, claim]) => letGo(entry(i), claim, attempt, error, deps)));
    throw error;
  }

  function entry(i: number): LedgerEntry {
    return entries[i] as LedgerEntry;
  }

  /**
   * Each payment in queue order, as one by one would: the state after each (the last is the
   * write's); undefined when one of them must be decided alone.
   */
  function fold(
    current: Obligation,
    pending: number[],
    recordNewest: string | undefined,
    { rules }: ApplyDeps,
  ) {
    let newest = recordNewest;
    const states: Obligation[] = [];
    let next = current;
    try {
      for (const i of pending) {
        const { payment } = commands[i] as ApplyPaymentCommand;
        if (overpaidBy(next, payment, rules)) return undefined;
        const isNewest = !isOlder(entry(i).eventTime, newest);
        next = applyPayment(next, payment, rules, { newest: isNewest });
        states.push(next);
        if (isNewest) newest = entry(i).eventTime;
      }
    } catch {
      return undefined;
    }
    return states;
  }
}

/**
 * The fingerprints of the k-th payment of a run's write: the one write's before and after, and
 * (alsoBefore) the states its earlier payments leave when applied one by one — what a retry in
 * another batch, recovering payment by payment, sees before reaching this one ("not landed").
 */
function runPrints(current: Obligation, states: Obligation[], k: number): Fingerprints {
  return {
    before: obligationPrint(current),
    after: obligationPrint(states.at(-1) as Obligation),
    alsoBefore: states.slice(0, k).map(obligationPrint),
  };
}

/** Claims nobody will use after all: released, or (a recovery's) lease ended, as letGo would. */
async function handBack(claims: Array<[LedgerEntry, Claim]>, deps: ApplyDeps): Promise<void> {
  const now = (deps.now?.() ?? new Date()).getTime();
  await Promise.all(
    claims.map(([entry, claim]) =>
      claim.status === 'claimed'
        ? deps.ledger.release(entry, claim.token).catch(() => undefined)
        : claim.status === 'recovered'
          ? deps.ledger.endLease(entry, claim.token, now).catch(() => undefined)
          : undefined,
    ),
  );
}

interface Run {
  commands: ApplyPaymentCommand[];
  messageIds: string[];
  result?: Promise<Applied[] | OneByOne>;
}

/** A payment that may join others in one write: balanceAfter states a balance, not an amount to add up. */
function summable(body: string): ApplyPaymentCommand | undefined {
  try {
    const { command } = queuedMessageSchema.parse(JSON.parse(body));
    return command.kind === 'applyPayment' && !command.payment.balanceAfter ? command : undefined;
  } catch {
    return undefined;
  }
}

const sameObligation = (a: ApplyPaymentCommand, b: ApplyPaymentCommand) =>
  a.target.wolkvoxId === b.target.wolkvoxId && a.target.obligation === b.target.obligation;

/**
 * For the records of one message group in one batch: how to apply each. The first record of a run
 * of payments to one obligation applies the whole run; Powertools' FIFO processor then hands over
 * the others, which take their part of its result. If the run fails, the processor skips them
 * (skipGroupOnError) and they come back with it.
 */
export function batchApplier(records: SQSRecord[], deps: ApplyDeps) {
  const runs = new Map<string, Run>();
  let run: Run | undefined;
  for (const record of records) {
    const command = summable(record.body);
    const head = run?.commands[0];
    if (command && run && head && sameObligation(head, command)) {
      run.commands.push(command);
      run.messageIds.push(record.messageId);
    } else {
      run = command ? { commands: [command], messageIds: [record.messageId] } : undefined;
    }
    if (run) runs.set(record.messageId, run);
  }
  // `logger`: the record's own (its correlation id) for a payment applied alone; a merged run logs
  // through the batch's.
  return async (
    record: SQSRecord,
    command: WolkvoxCommand,
    call: CallOptions,
    logger: ApplyDeps['logger'] = deps.logger,
  ): Promise<Applied> => {
    const own = runs.get(record.messageId);
    if (!own || own.commands.length < 2) return applyCommand(command, { ...deps, logger }, call);
    own.result ??= applyPaymentRun(own.commands, deps, call);
    const result = await own.result;
    const index = own.messageIds.indexOf(record.messageId);
    if (!('oneByOne' in result)) return result[index] as Applied;
    const taken = result.claims.get(index);
    result.claims.delete(index);
    try {
      // Claimed with the run, so the record's newest it carries predates the run's earlier
      // payments, applied one by one since: read it again, or an older payment would set last_pay.
      const claim =
        taken && 'token' in taken && index > 0
          ? { ...taken, newest: await deps.ledger.newest(ledgerEntry(command)) }
          : taken;
      return await applyCommand(command, deps, call, claim);
    } catch (error) {
      // The processor skips the rest of the group now (or parks this one and goes on): either way
      // the later payments' claims are not held for them.
      const rest = [...result.claims].filter(([i]) => i > index);
      for (const [i] of rest) result.claims.delete(i);
      await handBack(
        rest.map(([i, c]) => [ledgerEntry(own.commands[i] as ApplyPaymentCommand), c]),
        deps,
      );
      throw error;
    }
  };
}
