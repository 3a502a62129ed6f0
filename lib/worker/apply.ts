import type { FetchedAttachments } from '#lib/attachments/index.ts';
import type { ApplyPaymentCommand, AttachmentRef, UpdateCaseCommand, WolkvoxCommand } from '#lib/events.ts';
import { applyPayment, describeChange, type ObligationRules } from '#lib/translate/obligation.ts';
import type { CallOptions, WolkvoxClient } from '#lib/wolkvox/client.ts';
import { type FailureKind, WolkvoxError } from '#lib/wolkvox/errors.ts';

/** The command cannot be applied as it stands; retrying will not help (it is parked). */
export class CommandRejected extends Error {
  override readonly name = 'CommandRejected';
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
}

export interface Applied {
  identity: string;
  record: string;
  /** What changed, for logs and local tools: ids, amounts and counts, no personal data. */
  details: Record<string, unknown>;
}

/** Steps 9–10 of the data path for one command. */
export function applyCommand(
  command: WolkvoxCommand,
  deps: ApplyDeps,
  call: CallOptions = {},
): Promise<Applied> {
  return command.kind === 'applyPayment'
    ? applyPaymentCommand(command, deps, call)
    : applyCaseCommand(command, deps, call);
}

/** Read the obligation, change it, write the whole of it back (whether omitted fields are blanked is unverified). */
async function applyPaymentCommand(
  command: ApplyPaymentCommand,
  deps: ApplyDeps,
  call: CallOptions,
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
    details: { ...describeChange(current, next) },
  };
}

/** One cases/update.php call with the attachments that could be fetched; the others are reported. */
async function applyCaseCommand(
  command: UpdateCaseCommand,
  deps: ApplyDeps,
  call: CallOptions,
): Promise<Applied> {
  const { wolkvoxId } = command.target;
  const fetched =
    command.attachments.length > 0
      ? await deps.attachments(command.attachments, command.provider, call.signal)
      : undefined;
  try {
    await deps.client.updateCase({ wolkvoxId, ...command.update, files: fetched?.files }, call);
  } finally {
    await fetched?.cleanup();
  }
  return {
    identity: command.identity,
    record: `case ${wolkvoxId}`,
    details: {
      status: command.update.status,
      attached: fetched?.files.length ?? 0,
      attachmentFailures: fetched?.failures ?? [],
    },
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
