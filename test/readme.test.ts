import { readFile } from 'node:fs/promises';
import { format } from 'prettier';
import { describe, expect, it } from 'vitest';
import { trustTable } from '#lib/local/readme.ts';

/** The README's text between `<!-- name -->` and `<!-- /name -->`. */
async function block(name: string): Promise<string> {
  const readme = await readFile('README.md', 'utf8');
  const start = readme.indexOf(`<!-- ${name} -->`);
  const end = readme.indexOf(`<!-- /${name} -->`);
  if (start < 0 || end < 0) throw new Error(`README.md has no ${name} block`);
  return readme.slice(start + `<!-- ${name} -->`.length, end).trim();
}

describe('README', () => {
  it("states each provider's trust as its code declares it (regenerate: the expected text below)", async () => {
    const expected = (await format(trustTable(), { parser: 'markdown', printWidth: 110 })).trim();
    expect(await block('trust-table')).toBe(expected);
  });
});
