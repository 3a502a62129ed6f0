import type { AgentRef, TicketResolved, UpdateCaseCommand } from '#lib/events.ts';

/**
 * How helpdesk values become wolkvox values; every map is a documented setting (README,
 * lib/config.ts). Maps, not objects: the keys looked up arrive in webhooks, and a plain object
 * would answer `constructor` or `__proto__` with Object.prototype's members.
 */
export interface CaseRules {
  /** The status a resolved ticket sets; it must exist in the case module with the "Closed" condition. */
  resolvedStatus: string;
  /** Per wolkvox case type, when types close with different statuses. */
  resolvedStatusByType: ReadonlyMap<string, string>;
  /** A wolkvox case type to set on every resolved case, when the helpdesk's type is not mapped. */
  caseType?: string | undefined;
  /** Helpdesk ticket type (lower-cased) → wolkvox case type. */
  caseTypeMap: ReadonlyMap<string, string>;
  /** Helpdesk agent e-mail (lower-cased) or id → wolkvox user `user@operation`; unmapped = unchanged. */
  responsibleMap: ReadonlyMap<string, string>;
  /** Helpdesk priority label (lower-cased) → wolkvox priority; unmapped = unchanged. */
  priorityMap: ReadonlyMap<string, string>;
  /** Helpdesk custom field key → wolkvox form field label; unmapped fields are not sent. */
  formMap: ReadonlyMap<string, string>;
}

/** The default CASE_PRIORITY_MAP (a JSON object, as the setting is written). */
export const DEFAULT_PRIORITY_MAP: Record<string, string> = {
  urgent: 'Urgente',
  highest: 'Urgente',
  high: 'Alta',
  medium: 'Media',
  normal: 'Media',
  low: 'Baja',
  lowest: 'Baja',
};

export type CaseTranslation = { command: UpdateCaseCommand } | { park: string };

/** The solution in DESIGN.md's order: the resolution text, else the closing note, else the last public reply. */
export function solutionOf(event: TicketResolved): string | undefined {
  const { resolution, closingNote, lastPublicReply } = event.solution;
  return [resolution, closingNote, lastPublicReply].map((text) => text?.trim()).find((text) => !!text);
}

export function responsibleFor(agent: AgentRef | null, map: ReadonlyMap<string, string>): string | undefined {
  const email = agent?.email?.trim().toLowerCase();
  const id = agent?.id?.trim();
  return (email && map.get(email)) || (id && map.get(id)) || undefined;
}

const lookup = (map: ReadonlyMap<string, string>, key: string | null | undefined) =>
  key ? map.get(key.trim().toLowerCase()) : undefined;

/** A resolved ticket → the case update, or why the case must not be touched (parked). */
export function caseCommand(event: TicketResolved, rules: CaseRules, operation: string): CaseTranslation {
  if (!event.caseId) return { park: event.targetProblem ?? 'the ticket names no wolkvox case' };
  const solution = solutionOf(event);
  // wolkvox requires a solution for a "Closed" status; closing without one would lose the outcome.
  if (!solution)
    return { park: 'no solution text (resolution, closing note or public reply): the case is not closed' };

  const caseType = lookup(rules.caseTypeMap, event.caseType) ?? rules.caseType;
  const status = (caseType && rules.resolvedStatusByType.get(caseType)) || rules.resolvedStatus;
  const form: Record<string, string> = {};
  for (const [key, value] of Object.entries(event.customFields)) {
    const label = rules.formMap.get(key);
    if (label && value.trim()) form[label] = value;
  }
  return {
    command: {
      kind: 'updateCase',
      identity: `${event.provider}:${event.ticketId}:${event.resolvedAt}`,
      provider: event.provider,
      resolvedAt: event.resolvedAt,
      target: { operation, wolkvoxId: event.caseId },
      update: {
        status,
        solution,
        responsible: responsibleFor(event.assignee, rules.responsibleMap),
        priority: lookup(rules.priorityMap, event.priority),
        caseType,
        form: Object.keys(form).length > 0 ? form : undefined,
      },
      attachments: event.attachments,
    },
  };
}
