import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { format } from 'prettier';
import { describe, expect, it } from 'vitest';
import { LOCAL_SECRETS } from '#lib/local/defaults.ts';
import { GENERATED_TABLES } from '#lib/local/readme.ts';
import { readCatalog } from '#lib/local/samples.ts';
import { REGISTRY } from '#lib/providers/registry.ts';
import { FRESHDESK_TEMPLATE } from '#lib/providers/tickets/freshdesk/template.ts';
import { ZENDESK_TEMPLATE } from '#lib/providers/tickets/zendesk/template.ts';

const readme = () => readFile('README.md', 'utf8');

/** The file's text between `<!-- name -->` and `<!-- /name -->`. */
async function block(file: string, name: string): Promise<string> {
  const text = await readFile(file, 'utf8');
  const start = text.indexOf(`<!-- ${name} -->`);
  const end = text.indexOf(`<!-- /${name} -->`);
  if (start < 0 || end < 0) throw new Error(`${file} has no ${name} block`);
  return text.slice(start + `<!-- ${name} -->`.length, end).trim();
}

const formatted = async (markdown: string) =>
  (await format(markdown, { parser: 'markdown', printWidth: 110 })).trim();

describe('generated tables (npm run readme-tables rewrites them)', () => {
  it.each(GENERATED_TABLES.map((table) => [`${table.file} ${table.name}`, table] as const))(
    '%s is what the code declares',
    async (_name, { file, name, render }) => {
      expect(await block(file, name)).toBe(await formatted(render()));
    },
  );
});

/** A Markdown file's headings (outside code fences), as [level, text]. */
function headings(markdown: string): [number, string][] {
  const found: [number, string][] = [];
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const match = fenced ? null : /^(#{1,6}) (.+)$/.exec(line);
    if (match?.[1] && match[2]) found.push([match[1].length, match[2].trim()]);
  }
  return found;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
const anchor = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/ /g, '-');

/** Relative links of a Markdown file: [target path or '', anchor or undefined]. */
function links(markdown: string): { path: string; hash: string | undefined }[] {
  return [...markdown.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1] ?? '')
    .filter((target) => !/^[a-z]+:/.test(target))
    .map((target) => {
      const [path = '', hash] = target.split('#');
      return { path, hash };
    });
}

const DOCS = [
  'README.md',
  ...(await readdir('docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`),
];

describe('README and docs/: every link resolves', () => {
  it.each(DOCS)('%s', async (file) => {
    const text = await readFile(file, 'utf8');
    for (const { path, hash } of links(text)) {
      const target = path === '' ? file : join(dirname(file), path);
      expect(existsSync(target), `${file} links to ${path}`).toBe(true);
      if (hash !== undefined) {
        const anchors = headings(await readFile(target, 'utf8')).map(([, text]) => anchor(text));
        expect(anchors, `${file} links to ${path}#${hash}`).toContain(hash);
      }
    }
  });

  it('has a table of contents naming every section, and the operator path numbered without a gap', async () => {
    const text = await readme();
    const contents = text.slice(text.indexOf('## Contents'), text.indexOf('## Run it in production'));
    const listed = links(contents).map((link) => link.hash);
    const sections = headings(text).filter(
      ([level, heading]) => level === 2 || (level === 3 && /^\d+\. /.test(heading)),
    );
    for (const [, heading] of sections.filter(([, h]) => !/^(?:Quickstart|Contents)/.test(h)))
      expect(listed, `the contents list "${heading}"`).toContain(anchor(heading));
    const steps = sections.filter(([level]) => level === 3).map(([, heading]) => Number.parseInt(heading));
    expect(steps).toEqual(steps.map((_, i) => i + 1));
    expect(steps.length).toBeGreaterThanOrEqual(10);
  });

  it('names only npm scripts that exist', async () => {
    const { scripts } = JSON.parse(await readFile('package.json', 'utf8')) as {
      scripts: Record<string, string>;
    };
    for (const file of DOCS) {
      const text = await readFile(file, 'utf8');
      for (const [, name] of text.matchAll(/npm (?:--silent )?run ([a-z][\w:-]*)/g))
        expect(Object.keys(scripts), `${file}: npm run ${name}`).toContain(name);
    }
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
