// Rewrites the generated tables (providers in README.md, trust in docs/trust.md) from the registry:
// run after adding or changing a provider (`node scripts/readme-tables.ts`); test/readme.test.ts
// checks they are current.
import { readFile, writeFile } from 'node:fs/promises';
import { format } from 'prettier';
import { GENERATED_TABLES } from '../lib/local/readme.ts';

for (const { file, name, render } of GENERATED_TABLES) {
  const url = new URL(`../${file}`, import.meta.url);
  const text = await readFile(url, 'utf8');
  const start = text.indexOf(`<!-- ${name} -->`);
  const end = text.indexOf(`<!-- /${name} -->`);
  if (start === -1 || end === -1) throw new Error(`${file} has no <!-- ${name} --> block`);
  const formatted = (await format(render(), { parser: 'markdown', printWidth: 110 })).trim();
  await writeFile(url, `${text.slice(0, start)}<!-- ${name} -->\n\n${formatted}\n\n${text.slice(end)}`);
  console.log(`${file}: ${name} rewritten from the registry`);
}
