/**
 * Hostile helpdesk text: each converter fed 256 KiB built so that a backtracking pattern, a search
 * of the rest of the text from every opener, or a recursion per nesting level would blow up. Every
 * expected output is worked out from the conversion's rules here, never taken from the function.
 * There are no timings (speed is the benchmark's business, bench/text.ts): converting the worst of
 * these shapes quadratically takes far longer than the default per-test timeout, which is what fails
 * such a test; the others pin the exact output of each scanner's path for an opener without closer.
 */
import { describe, expect, it } from 'vitest';
import {
  adfToText,
  commentText,
  decodeTemplateText,
  htmlToText,
  jiraText,
  jiraWikiToText,
  looksLikeHtml,
  normalizeNewlines,
} from '#lib/providers/tickets/text.ts';

const SIZE = 256 * 1024;

/** `unit` repeated as many whole times as fit in 256 KiB. */
const fill = (unit: string) => unit.repeat(Math.floor(SIZE / unit.length));

/** What each string converter must make of a case. */
interface Expected {
  jira: string;
  html: string;
  template: string;
  comment: string;
}

/** Text none of the converters changes: no markup completes, no outer whitespace. */
const unchanged = (input: string): Expected => ({
  jira: input,
  html: input,
  template: input,
  comment: input,
});

/** Text whose only change is losing its last character, a space (trailing spaces go; the template keeps it). */
const lastSpaceDropped = (input: string): Expected => {
  const kept = input.slice(0, -1);
  return { jira: kept, html: kept, template: input, comment: kept };
};

const cases: [name: string, input: string, expected: Expected][] = [
  ['spaces', ' '.repeat(SIZE), { jira: '', html: '', template: ' '.repeat(SIZE), comment: '' }],
  [
    'spaces, then a word',
    `${' '.repeat(SIZE - 1)}y`,
    { jira: 'y', html: 'y', template: `${' '.repeat(SIZE - 1)}y`, comment: 'y' },
  ],
  // HTML collapses the run to one space; nothing else touches a run between two words.
  [
    'a word, spaces, a word',
    `x${' '.repeat(SIZE - 2)}y`,
    {
      jira: `x${' '.repeat(SIZE - 2)}y`,
      html: 'x y',
      template: `x${' '.repeat(SIZE - 2)}y`,
      comment: `x${' '.repeat(SIZE - 2)}y`,
    },
  ],
  ['tabs', '\t'.repeat(SIZE), { jira: '', html: '', template: '\t'.repeat(SIZE), comment: '' }],
  [
    'tabs, then a word',
    `${'\t'.repeat(SIZE - 1)}y`,
    { jira: 'y', html: 'y', template: `${'\t'.repeat(SIZE - 1)}y`, comment: 'y' },
  ],
  ['{{', fill('{{'), unchanged(fill('{{'))],
  ['{{x', fill('{{x'), unchanged(fill('{{x'))],
  ['{code:', fill('{code:'), unchanged(fill('{code:'))],
  ['<', fill('<'), unchanged(fill('<'))],
  // `<a ` never finds its `>`: no tag, so only the trailing space goes.
  ['<a ', fill('<a '), lastSpaceDropped(fill('<a '))],
  ['<!--', fill('<!--'), unchanged(fill('<!--'))],
  ['<script', fill('<script'), unchanged(fill('<script'))],
  ['<style ', fill('<style '), lastSpaceDropped(fill('<style '))],
  ['<li', fill('<li'), unchanged(fill('<li'))],
  ['<br', fill('<br'), unchanged(fill('<br'))],
  ['&', fill('&'), unchanged(fill('&'))],
  ['&#', fill('&#'), unchanged(fill('&#'))],
  ['[', fill('['), unchanged(fill('['))],
  ['[~', fill('[~'), unchanged(fill('[~'))],
  ['[x|', fill('[x|'), unchanged(fill('[x|'))],
  ['[http:', fill('[http:'), unchanged(fill('[http:'))],
  ['!', fill('!'), unchanged(fill('!'))],
  // `!a.png!` is an image, and its closing `!` opens the next one: every other file name is removed
  // with both its marks, and the one between keeps neither (43,690 units, an even number).
  ['!a.png', fill('!a.png'), { ...unchanged(fill('!a.png')), jira: 'a.png'.repeat(43_690 / 2) }],
  // A mark followed by a letter and then whitespace before the next mark is never emphasis.
  ['*a ', fill('*a '), lastSpaceDropped(fill('*a '))],
  ['_a ', fill('_a '), lastSpaceDropped(fill('_a '))],
  ['carriage returns', '\r'.repeat(SIZE), { jira: '', html: '', template: '\n'.repeat(SIZE), comment: '' }],
];

describe('hostile text, 256 KiB', () => {
  it('builds every case at 256 KiB or a few characters less', () => {
    for (const [name, input] of cases) {
      expect(input.length, name).toBeLessThanOrEqual(SIZE);
      expect(input.length, name).toBeGreaterThan(SIZE - 7);
    }
  });

  it.each(cases)('jiraWikiToText: %s', (_, input, expected) => {
    expect(jiraWikiToText(input)).toBe(expected.jira);
  });

  it.each(cases)('jiraText: %s', (_, input, expected) => {
    expect(jiraText(input)).toBe(expected.jira);
  });

  it.each(cases)('htmlToText: %s', (_, input, expected) => {
    expect(htmlToText(input)).toBe(expected.html);
  });

  it.each(cases)('decodeTemplateText: %s', (_, input, expected) => {
    expect(decodeTemplateText(input)).toBe(expected.template);
  });

  // None of these completes a tag, so each is plain text to commentText.
  it.each(cases)('looksLikeHtml and commentText: %s', (_, input, expected) => {
    expect(looksLikeHtml(input)).toBe(false);
    expect(commentText(input)).toBe(expected.comment);
  });

  it('normalizeNewlines: carriage returns, alone and before line feeds', () => {
    expect(normalizeNewlines('\r'.repeat(SIZE))).toBe('\n'.repeat(SIZE));
    expect(normalizeNewlines(fill('\r\n'))).toBe('\n'.repeat(SIZE / 2));
    expect(normalizeNewlines(fill('\r\r\n'))).toBe('\n'.repeat(2 * Math.floor(SIZE / 3)));
  });
});

describe('deep nesting', () => {
  it('HTML: 50,000 nested divs around a word', () => {
    const html = `${'<div>'.repeat(50_000)}x${'</div>'.repeat(50_000)}`;
    expect(looksLikeHtml(html)).toBe(true);
    // Each </div> ends a line; the blank lines collapse and the outer ones go.
    expect(htmlToText(html)).toBe('x');
    expect(commentText(html)).toBe('x');
  });

  it('HTML: 20,000 nested lists, one dash per item', () => {
    const html = `${'<ul><li>'.repeat(20_000)}x`;
    // Every <li> starts a line with "- "; the empty items keep their dash, without the space.
    expect(htmlToText(html)).toBe(`${'-\n'.repeat(19_999)}- x`);
  });

  /** `levels` nodes, each the only child of the one before, around `inner`; built without recursion. */
  function nest(types: readonly string[], levels: number, inner: object): object {
    let node = inner;
    for (let level = levels - 1; level >= 0; level--) {
      node = { type: types[level % types.length], content: [node] };
    }
    return node;
  }

  const paragraph = (...content: object[]) => ({ type: 'paragraph', content });
  const text = (value: string) => ({ type: 'text', text: value });

  it('ADF: 256 KiB of spaces before a word, and of carriage returns in a table cell', () => {
    const spaces = { type: 'doc', content: [paragraph(text(`${' '.repeat(SIZE - 1)}y`))] };
    expect(adfToText(spaces)).toBe('y');
    // A cell makes runs of LF one space, not CR; the CRs become line breaks after, and then nothing.
    const cell = { type: 'tableRow', content: [{ type: 'tableCell', content: [text('\r'.repeat(SIZE))] }] };
    expect(adfToText(cell)).toBe('');
  });

  it('ADF: a paragraph under 100,000 panels', () => {
    const doc = { type: 'doc', content: [nest(['panel'], 100_000, paragraph(text('fondo')))] };
    expect(adfToText(doc)).toBe('fondo');
    expect(jiraText(doc)).toBe('fondo');
  });

  it('ADF: 50,000 bullet lists, each the only item of the one before (100,000 levels)', () => {
    const doc = nest(['bulletList', 'listItem'], 100_000, paragraph(text('x')));
    expect(adfToText(doc)).toBe(`${'- '.repeat(50_000)}x`);
  });

  it('ADF: 50,000 table rows, each in a cell of the one before, with a line break in every cell', () => {
    // Each cell holds a paragraph "c⏎d" and then the next row: block children, one per line.
    const row = (...content: object[]) => ({ type: 'tableRow', content: [{ type: 'tableCell', content }] });
    const lines = () => paragraph(text('c'), { type: 'hardBreak' }, text('d'));
    let inner = row(lines());
    for (let level = 1; level < 50_000; level++) inner = row(lines(), inner);
    const doc = { type: 'doc', content: [inner] };
    // A row is one line: inside a cell every run of line breaks is one space, nested cells too.
    expect(adfToText(doc)).toBe(Array.from({ length: 50_000 }, () => 'c d').join(' '));
  });
});

describe('names and numbers that are not what they look like', () => {
  it('leaves `&constructor;`, `&toString;` and `&valueOf;` as text (no Object.prototype member)', () => {
    expect(htmlToText('<p>a &constructor; b &toString; c &valueOf; d</p>')).toBe(
      'a &constructor; b &toString; c &valueOf; d',
    );
  });

  it('renders an ADF date outside the JavaScript date range as nothing, not a RangeError', () => {
    const doc = {
      type: 'doc',
      content: [
        {
          type: 'paragraph',
          content: [
            { type: 'date', attrs: { timestamp: '1e16' } },
            { type: 'text', text: 'x' },
          ],
        },
      ],
    };
    expect(adfToText(doc)).toBe('x');
  });
});
