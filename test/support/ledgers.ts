import type { Ledger } from '#lib/ledger/types.ts';

/** `inner`, with the name of each method called pushed onto `calls`, in call order. */
export function countingLedger(inner: Ledger, calls: string[]): Ledger {
  return Object.fromEntries(
    Object.entries(inner).map(([name, method]) => [
      name,
      (...args: unknown[]) => (calls.push(name), (method as (...a: unknown[]) => unknown)(...args)),
    ]),
  ) as unknown as Ledger;
}
