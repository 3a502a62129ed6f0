/**
 * f. Hostile text: how much longer a converter in lib/providers/tickets/text.ts takes on text built
 * to be slow (long runs of one character, openers without closers, deep nesting) than on ordinary
 * helpdesk text of the same size. A quadratic conversion shows as a ratio in the hundreds at
 * 256 KiB; a linear one stays near 1 (often below: hostile text rarely has markup to rewrite).
 * Everything runs in this process, each conversion timed alone, medians after a warm-up.
 *
 *   node bench/text.ts [--size 262144] [--runs 15] [--warmup 3] [--smoke] [--all]
 *
 * --all: every input's figures, not only each converter's worst.
 *
 * npm run bench runs it as section f (bench/run.ts) with the same defaults.
 */
import { parseArgs } from 'node:util';
import { adfToText, decodeTemplateText, htmlToText, jiraWikiToText } from '#lib/providers/tickets/text.ts';
import { median, ratio, round } from './stats.ts';

export const TEXT_CONVERTERS = ['jiraWikiToText', 'htmlToText', 'decodeTemplateText', 'adfToText'] as const;
export type TextConverter = (typeof TEXT_CONVERTERS)[number];

export interface HostileCase {
  name: string;
  /** Size of the input: characters of text, or characters of the ADF document as JSON. */
  size: number;
  medianMs: number;
  /** medianMs ÷ the benign text's median. */
  ratio: number;
}

export interface HostileTextResults {
  size: number;
  runs: number;
  warmup: number;
  converters: Record<
    TextConverter,
    { benign: { size: number; medianMs: number }; worst: HostileCase; cases: HostileCase[] }
  >;
}

// ───────────────────────────── Inputs ─────────────────────────────

/** `unit` repeated and cut to exactly `size` characters. */
const fill = (unit: string, size: number) => unit.repeat(Math.ceil(size / unit.length)).slice(0, size);

/** Pieces joined by line breaks, round and round, cut to exactly `size` characters. */
function prose(pieces: readonly string[], size: number): string {
  return fill(pieces.join('\n') + '\n', size);
}

const SENTENCES = [
  'Hola Ana, el pago de la cuota 3 quedó aplicado al crédito 4471 el martes por la tarde.',
  'El saldo pendiente es de $ 1.250.000 y vence el 15 de noviembre; no hay intereses de mora.',
  'Por favor confirme si el débito automático sigue activo en la cuenta terminada en 0921.',
  'Adjunto el extracto con los movimientos del mes y el comprobante que envió el banco.',
  'La cliente llamó dos veces (5 * 3 minutos en espera) y pidió que la contacten por correo.',
  'Queda pendiente revisar la cuota_2, que aparece duplicada en el reporte de cartera.',
] as const;

/** Realistic Jira wiki markup: prose with headings, emphasis, links, lists, code and images. */
const JIRA_BENIGN = [
  'h2. Resumen del caso',
  `*Pago* aplicado. ${SENTENCES[0]} Es _importante_ avisar antes del cierre.`,
  SENTENCES[1],
  `Ver [el extracto|https://acme.example/extractos/4471] o [https://acme.example/ayuda] ${SENTENCES[2]}`,
  '* revisar el débito',
  '* confirmar con [~accountid:5b10ac8d] {color:red}urgente{color}',
  '# llamar a la cliente',
  `${SENTENCES[3]} !comprobante.png|thumbnail! {{REF-4471}}`,
  '{code:sql}SELECT saldo FROM cartera WHERE credito = 4471;{code}',
  `bq. ${SENTENCES[4]}`,
  SENTENCES[5],
];

/** A realistic helpdesk HTML reply: paragraphs, inline markup, entities, a list, a table. */
const HTML_BENIGN = [
  '<p>Hola&nbsp;Ana,</p>',
  `<p>${SENTENCES[0]} <b>Saldo &lt; 100 &amp; al día</b>, ver <a href="https://acme.example/x">el extracto</a>.</p>`,
  `<div class="quote"><p>${SENTENCES[1]}</p><p>${SENTENCES[2]}<br>Gracias.</p></div>`,
  '<ul><li>revisar el d&eacute;bito</li><li>confirmar la cuota</li></ul>',
  '<table><tr><th>Cuota</th><th>Valor</th></tr><tr><td>3</td><td>$ 1.250.000</td></tr></table>',
  `<!-- firma --><p><i>${SENTENCES[3]}</i> &laquo;${SENTENCES[4]}&raquo;</p>`,
  `<style>p { margin: 0 }</style><p>${SENTENCES[5]}</p>`,
];

/** Our template encoding of agent text: escaped entities, `<br />` for line breaks. */
const TEMPLATE_BENIGN = [
  `${SENTENCES[0]}<br />${SENTENCES[1]}`,
  'Saldo &lt; 100 &amp; cuota &quot;3&quot; &#92; ok &#39;sí&#39;<br />',
  `${SENTENCES[2]} &lt;br /&gt; es literal.<br />`,
  `${SENTENCES[3]} ${SENTENCES[4]}<br />${SENTENCES[5]}`,
];

/** One of each shape the hostile tests feed the converters (test/text-hostile.test.ts). */
const HOSTILE_UNITS = [
  '{{',
  '{{x',
  '{code:',
  '<',
  '<a ',
  '<!--',
  '<script',
  '<style ',
  '<li',
  '<br',
  '&',
  '&#',
  '[',
  '[~',
  '[x|',
  '[http:',
  '!',
  '!a.png',
  '*a ',
  '_a ',
  '\r',
  ' ',
  '\t',
] as const;

function hostileStrings(size: number): [string, string][] {
  return [
    ...HOSTILE_UNITS.map((unit): [string, string] => [JSON.stringify(unit), fill(unit, size)]),
    ['spaces, then a word', `${' '.repeat(size - 1)}y`],
    ['a word, spaces, a word', `x${' '.repeat(size - 2)}y`],
    ['tabs, then a word', `${'\t'.repeat(size - 1)}y`],
  ];
}

function deepDivs(size: number): string {
  const levels = Math.floor((size - 1) / '<div></div>'.length);
  return fill(`${'<div>'.repeat(levels)}x${'</div>'.repeat(levels)}`, size);
}

type Adf = { type: string; text?: string; attrs?: object; content?: Adf[]; marks?: object[] };

const text = (value: string, marks?: object[]): Adf => ({
  type: 'text',
  text: value,
  ...(marks ? { marks } : {}),
});
const paragraph = (...content: Adf[]): Adf => ({ type: 'paragraph', content });

/** An ADF document of `blocks` repeated until its JSON reaches `size` characters. */
function adfDocument(blocks: readonly Adf[], size: number): { doc: Adf; size: number } {
  const each = JSON.stringify(blocks).length - 1;
  const content = Array.from({ length: Math.max(1, Math.round(size / each)) }, () => blocks).flat();
  const doc: Adf = { type: 'doc', content };
  return { doc, size: JSON.stringify(doc).length };
}

const ADF_BENIGN: Adf[] = [
  { type: 'heading', attrs: { level: 2 }, content: [text('Resumen')] },
  paragraph(
    text('Hola '),
    { type: 'mention', attrs: { id: '5b10', text: '@Andrés Rojas' } },
    text(`, ${SENTENCES[0]} `),
    text('Pago aplicado', [{ type: 'strong' }]),
    { type: 'hardBreak' },
    text(SENTENCES[1], [{ type: 'em' }]),
    { type: 'inlineCard', attrs: { url: 'https://acme.atlassian.net/browse/COB-1' } },
  ),
  {
    type: 'bulletList',
    content: [
      { type: 'listItem', content: [paragraph(text(SENTENCES[2]))] },
      { type: 'listItem', content: [paragraph(text(SENTENCES[3]))] },
    ],
  },
  {
    type: 'table',
    content: [
      {
        type: 'tableRow',
        content: [
          { type: 'tableHeader', content: [paragraph(text('Cuota'))] },
          { type: 'tableCell', content: [paragraph(text(SENTENCES[4]))] },
        ],
      },
    ],
  },
  { type: 'codeBlock', attrs: { language: 'sql' }, content: [text('SELECT 1;')] },
  paragraph(text(SENTENCES[5])),
];

/**
 * `inner` wrapped in nodes of `types` (in turn) until the document's JSON reaches about `size`. The
 * size is added up, not measured: JSON.stringify recurses, and overflows the stack at this depth
 * (JSON.parse does not, so Jira's payload would reach adfToText).
 */
function adfNested(types: readonly string[], inner: Adf, size: number): { doc: Adf; size: number } {
  const wrappers = types.map((type) => JSON.stringify({ type, content: [] }).length);
  let doc = inner;
  let length = JSON.stringify(inner).length;
  for (let level = 0; ; level++) {
    const wrapper = wrappers[level % types.length] ?? 0;
    if (length + wrapper > size) break;
    doc = { type: types[level % types.length] ?? 'panel', content: [doc] };
    length += wrapper;
  }
  return { doc, size: length };
}

function hostileAdf(size: number): [string, { doc: Adf; size: number }][] {
  const lines = paragraph(text('c'), { type: 'hardBreak' }, text('d'));
  // Rows nested in cells, each level with text of its own: a copy of the text per level is quadratic.
  const row = (...content: Adf[]): Adf => ({ type: 'tableRow', content: [{ type: 'tableCell', content }] });
  const innermost = JSON.stringify(row(lines)).length;
  let rows = row(lines);
  let rowsLength = innermost;
  while (rowsLength + innermost + 1 <= size) {
    rows = row(lines, rows);
    rowsLength += innermost + 1; // the same row, with a comma and the previous ones in its cell
  }
  const hardBreak: Adf = { type: 'hardBreak' };
  const breaks = Array.from(
    { length: Math.floor((size - 100) / (JSON.stringify(hardBreak).length + 1)) },
    () => hardBreak,
  );
  return [
    ['panels nested', adfNested(['panel'], paragraph(text('fondo')), size)],
    ['bullet lists nested', adfNested(['bulletList', 'listItem'], paragraph(text('x')), size)],
    ['table rows nested in cells', { doc: rows, size: rowsLength }],
    [
      'line breaks in one cell',
      { doc: row(paragraph(...breaks)), size: JSON.stringify(row(paragraph(...breaks))).length },
    ],
    ['spaces, then a word', adfDocument([paragraph(text(`${' '.repeat(size - 60)}y`))], size)],
    // JSON writes a carriage return as two characters, \r.
    ['carriage returns', adfDocument([paragraph(text('\r'.repeat(Math.floor((size - 60) / 2))))], size)],
    ['line breaks', adfDocument([paragraph(text('\n'.repeat(Math.floor((size - 60) / 2))))], size)],
  ];
}

// ───────────────────────────── Measuring ─────────────────────────────

/** Median wall time of `convert(input)`, in ms, over `runs` runs after `warmup` unmeasured ones. */
function time<T>(convert: (input: T) => unknown, input: T, runs: number, warmup: number): number {
  for (let i = 0; i < warmup; i++) convert(input);
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    convert(input);
    samples.push(performance.now() - start);
  }
  return median(samples);
}

function measure<T>(
  convert: (input: T) => unknown,
  benign: { input: T; size: number },
  hostile: [string, { input: T; size: number }][],
  runs: number,
  warmup: number,
): HostileTextResults['converters'][TextConverter] {
  const benignMs = time(convert, benign.input, runs, warmup);
  const cases = hostile.map(([name, { input, size }]): HostileCase => {
    const medianMs = time(convert, input, runs, warmup);
    return { name, size, medianMs: round(medianMs, 3), ratio: round(ratio(medianMs, benignMs), 2) };
  });
  const worst = cases.reduce((a, b) => (b.ratio > a.ratio ? b : a));
  return { benign: { size: benign.size, medianMs: round(benignMs, 3) }, worst, cases };
}

export function measureHostileText(options: {
  size: number;
  runs: number;
  warmup: number;
}): HostileTextResults {
  const { size, runs, warmup } = options;
  const strings = hostileStrings(size).map(([name, input]): [string, { input: string; size: number }] => [
    name,
    { input, size: input.length },
  ]);
  const asText = (input: string) => ({ input, size: input.length });
  const adfBenign = adfDocument(ADF_BENIGN, size);
  return {
    size,
    runs,
    warmup,
    converters: {
      jiraWikiToText: measure(jiraWikiToText, asText(prose(JIRA_BENIGN, size)), strings, runs, warmup),
      htmlToText: measure(
        htmlToText,
        asText(prose(HTML_BENIGN, size)),
        [...strings, ['<div> nested', asText(deepDivs(size))]],
        runs,
        warmup,
      ),
      decodeTemplateText: measure(
        decodeTemplateText,
        asText(prose(TEMPLATE_BENIGN, size)),
        strings,
        runs,
        warmup,
      ),
      adfToText: measure(
        adfToText,
        { input: adfBenign.doc, size: adfBenign.size },
        hostileAdf(size).map(([name, { doc, size }]) => [name, { input: doc, size }]),
        runs,
        warmup,
      ),
    },
  };
}

/** The sizes and counts `npm run bench` uses; --smoke: tiny, to check the code runs. */
export function hostileTextOptions(smoke: boolean): { size: number; runs: number; warmup: number } {
  return smoke ? { size: 4 * 1024, runs: 1, warmup: 0 } : { size: 256 * 1024, runs: 15, warmup: 3 };
}

export const HOSTILE_TEXT_LIMIT = 3;

export function renderHostileText(results: HostileTextResults): string[] {
  const widths = [22, 12, 12, 30, 8];
  const row = (cells: string[]) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  ');
  const out = [
    `f. Hostile text (ms, median of ${results.runs} runs after ${results.warmup}; ${results.size.toLocaleString('en')} characters, ADF as JSON)`,
    row(['', 'benign', 'worst', 'worst case', 'ratio']),
  ];
  for (const name of TEXT_CONVERTERS) {
    const { benign, worst } = results.converters[name];
    out.push(
      row([
        `   ${name}`,
        benign.medianMs.toFixed(2),
        worst.medianMs.toFixed(2),
        worst.name.length > 30 ? `${worst.name.slice(0, 29)}…` : worst.name,
        worst.ratio.toFixed(2),
      ]),
    );
  }
  return out;
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      size: { type: 'string' },
      runs: { type: 'string' },
      warmup: { type: 'string' },
      smoke: { type: 'boolean', default: false },
      all: { type: 'boolean', default: false },
    },
  });
  const defaults = hostileTextOptions(values.smoke);
  const options = {
    size: values.size === undefined ? defaults.size : Number(values.size),
    runs: values.runs === undefined ? defaults.runs : Number(values.runs),
    warmup: values.warmup === undefined ? defaults.warmup : Number(values.warmup),
  };
  for (const [name, value] of Object.entries(options)) {
    const min = name === 'warmup' ? 0 : name === 'size' ? 128 : 1;
    if (!Number.isInteger(value) || value < min) {
      throw new Error(`--${name} must be an integer ≥ ${min}, got ${value}`);
    }
  }
  const results = measureHostileText(options);
  console.log(renderHostileText(results).join('\n'));
  if (values.all) {
    for (const name of TEXT_CONVERTERS) {
      const { benign, cases } = results.converters[name];
      console.log(`\n${name}: benign ${benign.medianMs.toFixed(3)} ms (${benign.size} characters)`);
      for (const c of cases) {
        const ms = c.medianMs.toFixed(3).padStart(9);
        console.log(
          `   ${c.name.padEnd(28)} ${ms} ms  ${c.ratio.toFixed(2).padStart(5)}×  (${c.size} characters)`,
        );
      }
    }
  }
}
