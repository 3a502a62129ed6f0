/**
 * README sections written from the code, so what the README promises is what the code declares
 * (test/readme.test.ts keeps them equal). Local and test use only.
 */
import { loadConfig } from '#lib/config.ts';
import { paymentSources } from '#lib/sources/payments/index.ts';
import { ticketSources } from '#lib/sources/tickets/index.ts';
import type { Source, Trust } from '#lib/sources/types.ts';

/** The configuration every default in the README is shown for. */
function defaultConfig() {
  return loadConfig({ WOLKVOX_SERVER: 'crm0001.wolkvox.com', WOLKVOX_OPERATION: 'demo', DISPATCH: 'direct' });
}

const field = (name: string) =>
  name.startsWith('header:') ? `the \`${name.slice('header:'.length)}\` header` : `\`${name}\``;
const list = (fields: readonly string[]) => (fields.length > 0 ? fields.map(field).join(', ') : '—');

function signedCell(trust: Trust): string {
  if (trust.covers === 'bytes')
    return `the whole body${trust.signed.length > 0 ? `, ${list(trust.signed)}` : ''}`;
  if (trust.covers === 'sender') return 'nothing: the token proves the sender';
  return list(trust.signed);
}

/** One line per provider: what is signed, what is confirmed, the replay window. */
export function trustTable(): string {
  const config = defaultConfig();
  const operation = config.wolkvox.operation;
  const rows: [string, Source<unknown>][] = [
    ...Object.entries(paymentSources(config)).map(
      ([slug, source]) => [`payments/${slug}`, source] as [string, Source<unknown>],
    ),
    ...Object.entries(ticketSources({ operation, zendesk: config.zendesk, jira: config.jira })).map(
      ([slug, source]) => [`tickets/${slug}`, source] as [string, Source<unknown>],
    ),
  ];
  const lines = [
    "| provider | how it is authenticated | what the authentication covers | confirmed with the provider's API | believed as sent | replay window |",
    '| --- | --- | --- | --- | --- | --- |',
    ...rows.map(([route, { trust }]) =>
      [
        '',
        ` \`${route}\` `,
        ` ${trust.scheme} `,
        ` ${signedCell(trust)} `,
        ` ${list(trust.confirmed)} `,
        ` ${list(trust.unverified)} `,
        ` ${trust.replayWindow} `,
        '',
      ].join('|'),
    ),
  ];
  return lines.join('\n');
}
