import type { WolkvoxCommand } from '#lib/events.ts';
import {
  applyPayment,
  describeChange,
  type ObligationChange,
  type ObligationRules,
} from '#lib/translate/obligation.ts';
import type { CallOptions, WolkvoxClient } from '#lib/wolkvox/client.ts';
import { type FailureKind, WolkvoxError } from '#lib/wolkvox/errors.ts';

/** The command cannot be applied as it stands; retrying will not help (it is parked). */
export class CommandRejected extends Error {
  override readonly name = 'CommandRejected';
}

export interface ApplyDeps {
  client: WolkvoxClient;
  rules: ObligationRules;
}

export interface Applied {
  identity: string;
  record: string;
  change: ObligationChange;
}

/** Steps 9–10 of the data path: read the obligation, change it, write the whole of it back. */
export async function applyCommand(
  command: WolkvoxCommand,
  deps: ApplyDeps,
  call: CallOptions = {},
): Promise<Applied> {
  const { wolkvoxId, obligation } = command.target;
  const current = await deps.client.queryObligation({ wolkvoxId, obligation }, call);
  if (!current)
    throw new CommandRejected(`obligation "${obligation}" not found on wolkvox record ${wolkvoxId}`);
  let next;
  try {
    next = applyPayment(current, command.payment, deps.rules);
  } catch (error) {
    throw new CommandRejected(`cannot apply the payment: ${(error as Error).message}`);
  }
  await deps.client.updateObligation({ wolkvoxId, obligation, fields: next }, call);
  return {
    identity: command.identity,
    record: `${wolkvoxId}/${obligation}`,
    change: describeChange(current, next),
  };
}

/** How a failure of applyCommand is handled: retried (transient, quota, auth) or parked (permanent). */
export function failureKind(error: unknown): FailureKind {
  if (error instanceof WolkvoxError) return error.kind;
  if (error instanceof CommandRejected) return 'permanent';
  return 'transient';
}

export function failureReason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
