import { createHash } from 'node:crypto';

/**
 * Several wolkvox tokens in the one secret key WOLKVOX_TOKEN, comma-separated ("tok1,tok2"): the
 * secret is a JSON object of strings (Secrets Manager's key/value editor), and wolkvox tokens are
 * hex, so a comma never occurs inside one. A single token is a list of one: nothing changes for it.
 * Each token is its own 2-in-flight, daily-quota budget (docs/delivery.md, "More than one token").
 */
export type ParsedTokens = { ok: true; tokens: string[] } | { ok: false; problems: string[] };

/** Every problem at once, tokens named by position (`token#2`), never by value. */
export function parseTokens(value: string): ParsedTokens {
  const entries = value.split(',').map((entry) => entry.trim());
  const problems: string[] = [];
  const seen = new Map<string, number>();
  entries.forEach((entry, index) => {
    const label = tokenLabel(index);
    if (entry === '') {
      problems.push(`${label} is empty (WOLKVOX_TOKEN holds tokens separated by commas)`);
      return;
    }
    if (/\s/.test(entry)) problems.push(`${label} contains whitespace`);
    const first = seen.get(entry);
    // The same token twice would be two shards sharing one 2-in-flight limit.
    if (first !== undefined) problems.push(`${label} repeats ${tokenLabel(first)}`);
    else seen.set(entry, index);
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, tokens: entries };
}

/** How logs, metrics and errors name a token: its position in WOLKVOX_TOKEN, 1-based. */
export function tokenLabel(index: number): string {
  return `token#${index + 1}`;
}

/**
 * The shard (work queue, worker, token) of a wolkvox record: a stable hash of its FIFO group id
 * modulo the shard count. sha256, not String.hashCode-like: the same in every Node and every
 * process, so ingress functions in different containers always agree.
 */
export function shardOf(groupId: string, shards: number): number {
  if (shards <= 1) return 0;
  return createHash('sha256').update(groupId).digest().readUInt32BE(0) % shards;
}
