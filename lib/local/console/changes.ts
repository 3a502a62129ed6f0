import type { SandboxState } from '#lib/sandbox/types.ts';
import type { StateChange } from './journal.ts';

/** The obligations and cases that differ between two sandbox snapshots (a new case has no before). */
export function stateChanges(before: SandboxState, after: SandboxState): StateChange[] {
  const obligations = (state: SandboxState) =>
    new Map(
      state.records.flatMap((record) =>
        record.obligations.map(
          (obligation) => [`${record.wolkvox_id} ${obligation.id}`, obligation] as const,
        ),
      ),
    );
  const cases = (state: SandboxState) =>
    new Map(state.cases.map((one) => [one.idPrefijo || one.wolkvox_id, one] as const));
  const changes: StateChange[] = [];
  for (const [kind, of] of [
    ['obligation', obligations],
    ['case', cases],
  ] as const) {
    const old: Map<string, unknown> = of(before);
    for (const [key, now] of of(after)) {
      const was = old.get(key);
      if (JSON.stringify(was) !== JSON.stringify(now))
        changes.push({ kind, key, before: was ?? null, after: now });
    }
  }
  return changes;
}
