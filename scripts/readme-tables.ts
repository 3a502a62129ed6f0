// Rewrites the README's generated tables (trust, providers) from the registry: run after adding or
// changing a provider (`node scripts/readme-tables.ts`); test/readme.test.ts checks they are current.
import { readFile, writeFile } from 'node:fs/promises';
import { format } from 'prettier';
import { providerTable, trustTable } from '../lib/local/readme.ts';

const file = new URL('../README.md', import.meta.url);
let text = await readFile(file, 'utf8');
for (const [name, table] of [
  ['trust-table', trustTable()],
  ['provider-table', providerTable()],
] as const) {
  const start = text.indexOf(`<!-- ${name} -->`);
  const end = text.indexOf(`<!-- /${name} -->`);
  if (start === -1 || end === -1) throw new Error(`README.md has no <!-- ${name} --> block`);
  const formatted = (await format(table, { parser: 'markdown', printWidth: 110 })).trim();
  text = `${text.slice(0, start)}<!-- ${name} -->\n\n${formatted}\n\n${text.slice(end)}`;
}
await writeFile(file, text);
console.log('README.md: trust and provider tables rewritten from the registry');
