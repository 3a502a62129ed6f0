import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { format } from 'prettier';
import { describe, expect, it } from 'vitest';
import { LOCAL_SECRETS } from '#lib/local/defaults.ts';
import { providerTable, trustTable } from '#lib/local/readme.ts';
import { readCatalog } from '#lib/local/samples.ts';
import { REGISTRY } from '#lib/providers/registry.ts';
import { FRESHDESK_TEMPLATE } from '#lib/providers/tickets/freshdesk/template.ts';
import { ZENDESK_TEMPLATE } from '#lib/providers/tickets/zendesk/template.ts';

const readme = () => readFile('README.md', 'utf8');

/** The README's text between `<!-- name -->` and `<!-- /name -->`. */
async function block(name: string): Promise<string> {
  const text = await readme();
  const start = text.indexOf(`<!-- ${name} -->`);
  const end = text.indexOf(`<!-- /${name} -->`);
  if (start < 0 || end < 0) throw new Error(`README.md has no ${name} block`);
  return text.slice(start + `<!-- ${name} -->`.length, end).trim();
}

const formatted = async (markdown: string) =>
  (await format(markdown, { parser: 'markdown', printWidth: 110 })).trim();

describe('README', () => {
  it("states each provider's trust as its code declares it (regenerate: the expected text below)", async () => {
    expect(await block('trust-table')).toBe(await formatted(trustTable()));
  });

  it('lists every registered provider with its route, guide, secret keys and settings', async () => {
    expect(await block('provider-table')).toBe(await formatted(providerTable()));
  });
});

describe('"Add a provider": every registered provider is its four things and one registry entry', () => {
  it.each(REGISTRY.map((entry) => [`${entry.family}/${entry.slug}`, entry] as const))(
    '%s',
    async (_name, entry) => {
      const folder = `lib/providers/${entry.family}/${entry.slug}`;
      expect(existsSync(`${folder}/settings.ts`), `${folder}/settings.ts`).toBe(true);
      expect(existsSync(`${folder}/provider.ts`), `${folder}/provider.ts`).toBe(true);

      const samples = (await readCatalog()).filter(
        (e) => e.provider === entry.slug && e.family === entry.family,
      );
      expect(samples.length, `events/catalog.json lists samples of ${entry.slug}`).toBeGreaterThan(0);
      expect(new Set(samples.map((e) => e.expect)), 'an applied sample at least').toContain('applied');
      for (const sample of samples)
        expect(sample.file.startsWith(`events/${entry.slug}/`), sample.file).toBe(true);

      const guide = await readFile(`docs/providers/${entry.slug}.md`, 'utf8');
      expect(await readme()).toContain(`docs/providers/${entry.slug}.md`);
      // The guide names every secret key and setting the code reads.
      for (const key of [
        ...entry.secrets.required,
        ...(entry.secrets.optional ?? []),
        ...Object.keys(entry.env),
      ]) {
        expect(guide, `docs/providers/${entry.slug}.md names ${key}`).toContain(key);
      }
      // ...and the demo can sign for it.
      for (const key of entry.secrets.required) expect(LOCAL_SECRETS, key).toHaveProperty(key);

      const test = await readFile(`test/providers/${entry.family}/${entry.slug}.test.ts`, 'utf8');
      expect(test).toContain(`runProviderContract('${entry.slug}'`);
    },
  );

  it('has no provider folder, guide or test file that the registry does not list', async () => {
    const slugs = new Set(REGISTRY.map((entry) => entry.slug));
    for (const family of ['payments', 'tickets']) {
      const folders = (await readdir(`lib/providers/${family}`, { withFileTypes: true })).filter((d) =>
        d.isDirectory(),
      );
      for (const folder of folders)
        expect(slugs, `lib/providers/${family}/${folder.name}`).toContain(folder.name);
    }
    for (const guide of await readdir('docs/providers'))
      expect(slugs, guide).toContain(guide.replace(/\.md$/, ''));
  });

  it("publishes in the helpdesks' guides exactly the templates the providers decode", async () => {
    expect(await readFile('docs/providers/zendesk.md', 'utf8')).toContain(ZENDESK_TEMPLATE.trimEnd());
    expect(await readFile('docs/providers/freshdesk.md', 'utf8')).toContain(FRESHDESK_TEMPLATE.trimEnd());
  });
});
