/**
 * Documentation tables written from the code, so what the README and docs/ promise is what the code
 * declares (test/readme.test.ts keeps them equal). Local and test use only.
 */
import { loadConfig } from '#lib/config.ts';
import { createProvider } from '#lib/providers/loader.ts';
import type { Trust } from '#lib/providers/types.ts';
import { LOCAL_PROVIDERS } from './providers.ts';

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

/** Every provider created with the default configuration, as a function would create it. */
function defaultProviders() {
  const config = defaultConfig();
  return LOCAL_PROVIDERS.map(({ entry, code }) => {
    const settings = (config.providers[entry.family] as Record<string, unknown>)[entry.slug];
    return { entry, provider: createProvider(code, settings, config.wolkvox.operation) };
  });
}

/** One line per provider: what is signed, what is confirmed, the replay window. */
export function trustTable(): string {
  const lines = [
    "| provider | how it is authenticated | what the authentication covers | confirmed with the provider's API | believed as sent | replay window |",
    '| --- | --- | --- | --- | --- | --- |',
    ...defaultProviders().map(({ entry, provider: { trust } }) =>
      [
        '',
        ` \`${entry.family}/${entry.slug}\` `,
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

/** One line per provider: its route, its guide, its secret keys and its settings. */
export function providerTable(): string {
  const lines = [
    '| provider | route | guide | secret keys (required; optional) | settings |',
    '| --- | --- | --- | --- | --- |',
    ...LOCAL_PROVIDERS.map(({ entry }) => {
      const optional = entry.secrets.optional ?? [];
      const keys = `${entry.secrets.required.map((k) => `\`${k}\``).join(', ')}${optional.length > 0 ? `; ${optional.map((k) => `\`${k}\``).join(', ')}` : ''}`;
      const settings =
        Object.keys(entry.env)
          .map((k) => `\`${k}\``)
          .join(', ') || '—';
      return `| ${entry.name} | \`POST /webhooks/${entry.family}/${entry.slug}\` | [docs/providers/${entry.slug}.md](docs/providers/${entry.slug}.md) | ${keys} | ${settings} |`;
    }),
  ];
  return lines.join('\n');
}

/** Where each generated table lives: a file (from the repository root) and its `<!-- name -->` block. */
export const GENERATED_TABLES = [
  { file: 'README.md', name: 'provider-table', render: providerTable },
  { file: 'docs/trust.md', name: 'trust-table', render: trustTable },
] as const;
