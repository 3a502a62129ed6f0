import { expect } from 'vitest';
import type { TicketResolved } from '#lib/events.ts';
import { MalformedError } from '#lib/http/errors.ts';
import type { Decision, RawRequest, Provider, ProviderContext } from '#lib/providers/types.ts';

/** A request as ingress hands it to a provider: exact bytes, lower-cased headers. */
export const request = (body: string | Buffer, headers: Record<string, string> = {}): RawRequest => ({
  body: Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'),
  headers,
  query: {},
});

/** verify, then read: what ingress does with a request. */
export async function readRequest<E>(
  source: Provider<E>,
  raw: RawRequest,
  at: ProviderContext,
): Promise<Decision<E>> {
  const reading = await (await source.verify(raw, at)).read(at);
  if (reading.action === 'each') throw new Error('expected one decision, got a batch');
  return reading;
}

export function accepted(decision: Decision<TicketResolved>): TicketResolved {
  if (decision.action !== 'accept')
    throw new Error(`expected accept, got ${decision.action}: ${decision.reason}`);
  return decision.event;
}

/** The problems of the MalformedError a call rejects with (a 400's list). */
export async function malformed(call: () => unknown): Promise<string[]> {
  try {
    await call();
  } catch (error) {
    expect(error).toBeInstanceOf(MalformedError);
    return (error as MalformedError).problems;
  }
  throw new Error('expected a MalformedError');
}
