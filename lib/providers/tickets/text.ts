/**
 * Helpdesk text → the plain text a wolkvox case's solution holds. Three encodings arrive: our own
 * template encoding (Zendesk and Freshdesk bodies are rendered from the Liquid templates in
 * templates.ts), HTML (Freshdesk comments), and Jira's wiki markup or Atlassian Document Format.
 *
 * Any field may be 256 KiB of whatever an attacker types, so every conversion here takes time linear
 * in its input and none recurses per nesting level. A regular expression is used only where its
 * backtracking is bounded (a fixed-length entity, `\s+` with nothing after it, a run that belongs to
 * one opener); markup whose closer may be far away, or missing, is found by the scanners below,
 * which look each closer up once (`Next`) instead of searching the rest of the text from every
 * opener before it. Each pass still rewrites the text exactly as the regular expression it replaces.
 */

const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  iexcl: '¡',
  iquest: '¿',
  aacute: 'á',
  eacute: 'é',
  iacute: 'í',
  oacute: 'ó',
  uacute: 'ú',
  Aacute: 'Á',
  Eacute: 'É',
  Iacute: 'Í',
  Oacute: 'Ó',
  Uacute: 'Ú',
  ntilde: 'ñ',
  Ntilde: 'Ñ',
  uuml: 'ü',
  Uuml: 'Ü',
  laquo: '«',
  raquo: '»',
  ndash: '–',
  mdash: '—',
  hellip: '…',
  lsquo: '‘',
  rsquo: '’',
  ldquo: '“',
  rdquo: '”',
  bull: '•',
  middot: '·',
  deg: '°',
  euro: '€',
  copy: '©',
  reg: '®',
};

/** The five Liquid's `escape` (Ruby's CGI.escapeHTML) produces, plus any numeric reference. */
const TEMPLATE_ENTITY = /&(#\d{1,7}|#x[0-9a-f]{1,6}|amp|lt|gt|quot|apos);/gi;
const ANY_ENTITY = /&(#\d{1,7}|#x[0-9a-f]{1,6}|[a-z]{2,8});/gi;

function entity(match: string, name: string): string {
  if (name.startsWith('#')) {
    const code =
      name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
    // Lone surrogates and out-of-range numbers are not characters: keep the text as it came.
    if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return match;
    return String.fromCodePoint(code);
  }
  // Own properties only: `&constructor;` or `&toString;` is text, not Object.prototype's member.
  const lower = name.toLowerCase();
  if (Object.hasOwn(NAMED_ENTITIES, name)) return NAMED_ENTITIES[name] ?? match;
  return Object.hasOwn(NAMED_ENTITIES, lower) ? (NAMED_ENTITIES[lower] ?? match) : match;
}

// ───────────────────────────── Scanning ─────────────────────────────

const SPACE = /\s/;
const WORD = /\w/;
const LETTER_OR_NUMBER = /[\p{L}\p{N}]/u;

/** Whether the character at `at` is whitespace as `\s` means it (false past the end). */
const isSpace = (text: string, at: number) => SPACE.test(text.charAt(at));

/** Whether the character at `at` is a word character as `\w` (and so `\b`) means it. */
const isWordChar = (text: string, at: number) => WORD.test(text.charAt(at));

/** Whether `text` has `word` (lower-case ASCII) at `at`, in any case, as a regex's `i` flag compares. */
function matchesAt(text: string, at: number, word: string): boolean {
  if (at + word.length > text.length) return false;
  for (let i = 0; i < word.length; i++) {
    const code = text.charCodeAt(at + i);
    if ((code >= 0x41 && code <= 0x5a ? code + 0x20 : code) !== word.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * `text.indexOf(needle, from)` for a series of calls whose `from` never decreases: an answer is
 * kept until `from` passes it, so however many openers ask for the same far or missing closer, the
 * text up to it is searched once. (A smaller `from` is answered correctly too, just not cheaply.)
 */
class Next {
  private readonly text: string;
  private readonly needle: string;
  private from = 0;
  private at = -2; // -2: not searched yet; -1: none at or after `from`

  constructor(text: string, needle: string) {
    this.text = text;
    this.needle = needle;
  }

  find(from: number): number {
    if (this.at === -2 || from < this.from || (this.at >= 0 && from > this.at)) {
      this.at = this.text.indexOf(this.needle, from);
      this.from = from;
    }
    return this.at;
  }
}

/** The smaller of two positions found by `Next`, where -1 (not found) counts as after the end. */
const firstOf = (a: number, b: number) => (a < 0 ? b : b < 0 ? a : Math.min(a, b));

/**
 * A global regex replace, as a scanner: for each `trigger` from left to right, `match` says where
 * a match starting there ends and what replaces it, or that none starts there. The scan resumes at
 * a match's end, else just after the trigger; `from` is where it last resumed after a match (0 at
 * first), for a pattern that looks at the character before its trigger.
 */
function rewrite(
  text: string,
  trigger: string,
  match: (at: number, from: number) => readonly [end: number, replacement: string] | undefined,
): string {
  const parts: string[] = [];
  let kept = 0;
  for (let at = text.indexOf(trigger); at >= 0;) {
    const found = match(at, kept);
    if (found) {
      parts.push(text.slice(kept, at), found[1]);
      kept = found[0];
    }
    at = text.indexOf(trigger, found ? kept : at + 1);
  }
  if (parts.length === 0) return text;
  parts.push(text.slice(kept));
  return parts.join('');
}

// ───────────────────────────── Template encoding ─────────────────────────────

/** CRLF and lone CR (old clients, some e-mail) become LF, so every source ends lines the same way. */
export function normalizeNewlines(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

/** What decodeTemplateText changes: a `<br />`, an entity, a CR. */
const NEEDS_DECODING = /[<&\r]/;

/**
 * Undoes the template's filter chain `escape | replace: '\', '&#92;' | newline_to_br | strip_newlines`:
 * `<br />` back to a newline, then the entities back to characters, in one pass each so an
 * original `&amp;` or `<br />` typed by an agent (escaped to `&amp;amp;`, `&lt;br /&gt;`) comes back
 * literally instead of being decoded twice. Both patterns are linear: an entity has a fixed
 * maximum length, and the whitespace `<br` may be followed by belongs to that one `<br`.
 */
export function decodeTemplateText(value: string): string {
  // Most values (ids, statuses, e-mails, many replies) hold none of the three: one scan, not three.
  if (!NEEDS_DECODING.test(value)) return value;
  const lines = value.replace(/<br\s*\/?>\n?/gi, '\n');
  return normalizeNewlines(lines.replace(TEMPLATE_ENTITY, entity));
}

// ───────────────────────────── HTML ─────────────────────────────

const isAsciiLetter = (code: number) => (code | 0x20) >= 0x61 && (code | 0x20) <= 0x7a;
const isTagNameChar = (code: number) =>
  isAsciiLetter(code) || (code >= 0x30 && code <= 0x39) || code === 0x2d;

type TagBounds = { lt: Next; gt: Next };
const tagBounds = (text: string): TagBounds => ({ lt: new Next(text, '<'), gt: new Next(text, '>') });

/**
 * The end of the tag starting at `at` (a `<`), or -1: `/<\/?[a-z][a-z0-9-]*(?:\s[^<>]*)?\/?>/i`.
 * After the name comes `>`, `/>`, or whitespace and then anything up to a `>` before any `<`.
 * Callers ask with increasing `at`, so `bounds` finds each `<` and `>` once.
 */
function tagEnd(text: string, at: number, bounds: TagBounds): number {
  let i = text[at + 1] === '/' ? at + 2 : at + 1;
  if (!isAsciiLetter(text.charCodeAt(i))) return -1;
  do i++;
  while (isTagNameChar(text.charCodeAt(i)));
  if (text[i] === '>') return i + 1;
  if (text[i] === '/' && text[i + 1] === '>') return i + 2;
  if (!isSpace(text, i)) return -1;
  const gt = bounds.gt.find(i + 1);
  return gt >= 0 && gt < firstOf(bounds.lt.find(i + 1), text.length) ? gt + 1 : -1;
}

/** Whether text carries markup; plain text with a stray `<` (e.g. "saldo < 100") does not. */
export function looksLikeHtml(text: string): boolean {
  const bounds = tagBounds(text);
  for (let at = text.indexOf('<'); at >= 0; at = text.indexOf('<', at + 1)) {
    if (tagEnd(text, at, bounds) >= 0) return true;
  }
  return false;
}

/** `/<!--[\s\S]*?-->/g` → '': each comment to the first `-->` after it; none without one. */
function withoutComments(html: string): string {
  const close = new Next(html, '-->');
  return rewrite(html, '<!--', (at) => {
    const end = close.find(at + 4);
    return end < 0 ? undefined : [end + 3, ''];
  });
}

/**
 * `/<name\b[^>]*>/i` at `at`: the end of the opening tag (just after its first `>`), or -1. Names
 * are lower-case ASCII; `gt` finds the `>` (callers ask with increasing `at`).
 */
function openTagEnd(text: string, at: number, name: string, gt: Next): number {
  const after = at + 1 + name.length;
  if (!matchesAt(text, at + 1, name) || isWordChar(text, after)) return -1;
  const end = gt.find(after);
  return end < 0 ? -1 : end + 1;
}

/**
 * The first `</name\s*>` (any case) at or after `from`, as its end, or -1. Like `Next`, an answer
 * is kept until `from` passes its start, so openers without a closer do not each search the rest.
 */
class CloseTag {
  private readonly text: string;
  private readonly name: string;
  private from = 0;
  private start = -2; // -2: not searched yet; -1: none at or after `from`
  private end = -1;

  constructor(text: string, name: string) {
    this.text = text;
    this.name = name;
  }

  find(from: number): number {
    if (this.start !== -2 && from >= this.from && (this.start < 0 || from <= this.start)) return this.end;
    this.from = from;
    this.start = -1;
    this.end = -1;
    for (let at = this.text.indexOf('</', from); at >= 0;) {
      let i = at + 2;
      if (matchesAt(this.text, i, this.name)) {
        i += this.name.length;
        while (isSpace(this.text, i)) i++;
        if (this.text[i] === '>') {
          this.start = at;
          this.end = i + 1;
          break;
        }
      }
      // No `</` starts inside `</name` or the whitespace after it: go on from where this one failed.
      at = this.text.indexOf('</', i);
    }
    return this.end;
  }
}

const RAW_TEXT = ['script', 'style'] as const;

/** `/<(script|style)\b[^>]*>[\s\S]*?<\/\1\s*>/gi` → '': a script or style with its content. */
function withoutScripts(html: string): string {
  const gt = new Next(html, '>');
  const close = { script: new CloseTag(html, 'script'), style: new CloseTag(html, 'style') };
  return rewrite(html, '<', (at) => {
    for (const name of RAW_TEXT) {
      const open = openTagEnd(html, at, name, gt);
      if (open < 0) continue;
      const end = close[name].find(open);
      return end < 0 ? undefined : [end, ''];
    }
    return undefined;
  });
}

/** `/<li\b[^>]*>/gi` → a new line with a dash. */
function listItems(html: string): string {
  const gt = new Next(html, '>');
  return rewrite(html, '<', (at) => {
    const end = openTagEnd(html, at, 'li', gt);
    return end < 0 ? undefined : [end, '\n- '];
  });
}

/** Every remaining tag (as `tagEnd` reads one) → ''. */
function withoutTags(html: string): string {
  const bounds = tagBounds(html);
  return rewrite(html, '<', (at) => {
    const end = tagEnd(html, at, bounds);
    return end < 0 ? undefined : [end, ''];
  });
}

/**
 * HTML (a helpdesk comment) → plain text: block ends and `<br>` become line breaks, source
 * whitespace collapses as a browser would, scripts and styles vanish, entities decode. The passes
 * run in this order, each over the previous one's result; the regular expressions left are linear
 * (after the collapse, the `\s*` in a closing tag is at most a space and a line break).
 */
export function htmlToText(html: string): string {
  const collapsed = withoutScripts(withoutComments(html))
    .replace(/\s+/g, ' ')
    .replace(/<br\s*\/?>/gi, '\n');
  const text = withoutTags(
    listItems(collapsed)
      .replace(/<\/(?:p|div|h[1-6]|tr|blockquote|pre|table|ul|ol|section|article)\s*>/gi, '\n')
      .replace(/<\/t[dh]\s*>/gi, ' '),
  ).replace(ANY_ENTITY, entity);
  return tidy(text);
}

/** A space, a tab, or a no-break space (which tidy makes a space). */
const isBlank = (code: number) => code === 0x20 || code === 0x09 || code === 0xa0;

/**
 * Line breaks as LF, no-break spaces as spaces, trailing spaces off each line, at most one blank
 * line in a row, no outer whitespace. One pass over the lines in place: trailing spaces are counted
 * back from a line's end (`/[ \t]+$/` would try again from every space of a long run that a word
 * ends, which is quadratic), and a run of line breaks is counted, not split into empty strings
 * (text may be a quarter of a million of them).
 */
const BREAKS = /[\n\r]+/y;

function tidy(text: string): string {
  const lf = new Next(text, '\n');
  const cr = new Next(text, '\r');
  const parts: string[] = [];
  let breaks = 0; // line breaks since the last line with something on it
  for (let start = 0; ;) {
    const stop = firstOf(firstOf(lf.find(start), cr.find(start)), text.length);
    let end = stop;
    while (end > start && isBlank(text.charCodeAt(end - 1))) end--;
    // One leading space before a word goes (`/^ (?=\S)/`): what `<p> text` leaves.
    const lead = text.charCodeAt(start);
    const spaced = (lead === 0x20 || lead === 0xa0) && end - start > 1 && !isSpace(text, start + 1);
    const from = spaced ? start + 1 : start;
    if (from < end) {
      // A run of three or more line breaks is two: one blank line.
      parts.push(breaks === 0 ? '' : breaks === 1 ? '\n' : '\n\n', text.slice(from, end));
      breaks = 0;
    }
    if (stop === text.length) break;
    // The whole run of line breaks at once (a native scan: a run can be the whole text); only
    // whether it is one break (LF, CR or CRLF) or more matters.
    BREAKS.lastIndex = stop;
    const run = BREAKS.exec(text)?.[0] ?? '\n';
    breaks += run.length === 1 || run === '\r\n' ? 1 : 2;
    start = stop + run.length;
  }
  return parts
    .join('')
    .replace(/\u00a0/g, ' ')
    .trim();
}

/** A helpdesk comment that may be HTML or plain text → plain text. */
export function commentText(text: string): string {
  return looksLikeHtml(text) ? htmlToText(text) : normalizeNewlines(text).trim();
}

// ───────────────────────────── Atlassian Document Format ─────────────────────────────

type AdfNode = { type?: unknown; text?: unknown; attrs?: unknown; content?: unknown };

const INLINE = new Set(['text', 'hardBreak', 'mention', 'emoji', 'inlineCard', 'date', 'status']);

function attr(node: AdfNode, name: string): string | undefined {
  const attrs = node.attrs;
  if (typeof attrs !== 'object' || attrs === null) return undefined;
  const value = (attrs as Record<string, unknown>)[name];
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

function children(node: AdfNode): AdfNode[] {
  return Array.isArray(node.content)
    ? node.content.filter((c): c is AdfNode => typeof c === 'object' && c !== null)
    : [];
}

/** The text of a node without children of interest, or undefined for a node whose children make it. */
function leafText(node: AdfNode): string | undefined {
  switch (node.type) {
    case 'text':
      return typeof node.text === 'string' ? node.text : '';
    case 'hardBreak':
      return '\n';
    case 'mention':
    case 'status':
      return attr(node, 'text') ?? '';
    case 'emoji':
      return attr(node, 'text') ?? attr(node, 'shortName') ?? '';
    case 'inlineCard':
    case 'blockCard':
    case 'embedCard':
      return attr(node, 'url') ?? '';
    case 'date': {
      const ms = Number(attr(node, 'timestamp'));
      // Dates are defined to ±8.64e15 ms; anything else (1e16) is not a date, and toISOString would throw.
      return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString().slice(0, 10) : '';
    }
    case 'rule':
      return '---';
    // Files are referenced in the ticket's attachments, not inlined into the solution text.
    case 'mediaSingle':
    case 'mediaGroup':
    case 'media':
      return '';
    default:
      return undefined;
  }
}

/** Steps of the walk besides nodes and text: a table cell begins, a table cell ends. */
const CELL = 0;
const CELL_END = 1;
type Step = AdfNode | string | typeof CELL | typeof CELL_END;

/**
 * Pushes what `node` consists of — its children, with the separators and prefixes between them —
 * onto the walk's stack, last first, so that they come off it in document order.
 */
function pushParts(steps: Step[], node: AdfNode): void {
  const parts = children(node);
  const last = parts.length - 1;
  switch (node.type) {
    case 'bulletList':
      for (let i = last; i >= 0; i--) {
        steps.push(parts[i] as AdfNode, '- ');
        if (i > 0) steps.push('\n');
      }
      return;
    case 'orderedList': {
      const order = Number(attr(node, 'order') ?? 1);
      const start = Number.isFinite(order) ? order : 1;
      for (let i = last; i >= 0; i--) {
        steps.push(parts[i] as AdfNode, `${start + i}. `);
        if (i > 0) steps.push('\n');
      }
      return;
    }
    case 'tableRow':
      for (let i = last; i >= 0; i--) {
        steps.push(CELL_END, parts[i] as AdfNode, CELL);
        if (i > 0) steps.push(' | ');
      }
      return;
    default: {
      // A paragraph's pieces run together; blocks (doc, quote, panel, cell…) go one per line.
      const inline = parts.every((part) => typeof part.type === 'string' && INLINE.has(part.type));
      for (let i = last; i >= 0; i--) {
        steps.push(parts[i] as AdfNode);
        if (i > 0 && !inline) steps.push('\n');
      }
    }
  }
}

/**
 * The text being built by the walk. Inside a table cell a run of line breaks is one space (a row
 * is one line): the space of a run is written when something follows in the same cell, or when the
 * cell ends. A nested cell that writes nothing leaves its parent's run whole; one that writes
 * anything (its own spaces included) ends it — as replacing `\n+` in each cell's text would.
 */
class AdfText {
  private readonly parts: string[] = [];
  /** How many table cells enclose what is written now. */
  private depth = 0;
  /** The depth of a run of line breaks whose space is not written yet; 0 for none. */
  private pending = 0;

  write(piece: string): void {
    if (this.depth === 0) {
      this.parts.push(piece);
      return;
    }
    let at = 0;
    while (at < piece.length) {
      if (piece[at] === '\n') {
        while (piece[at] === '\n') at++;
        if (this.pending !== this.depth) {
          this.flush();
          this.pending = this.depth;
        }
      } else {
        const end = firstOf(piece.indexOf('\n', at), piece.length);
        this.flush();
        this.parts.push(piece.slice(at, end));
        at = end;
      }
    }
  }

  openCell(): void {
    this.depth++;
  }

  closeCell(): void {
    if (this.pending === this.depth) this.flush();
    this.depth--;
  }

  text(): string {
    return this.parts.join('');
  }

  private flush(): void {
    if (this.pending === 0) return;
    this.parts.push(' ');
    this.pending = 0;
  }
}

/**
 * Atlassian Document Format (Jira Cloud API v3 rich text) → plain text. The tree is walked with a
 * stack of its own, not by recursion: a document nested a hundred thousand levels deep is as
 * readable as a flat one, and the text is written once, in order, never copied per level.
 */
export function adfToText(doc: unknown): string {
  if (typeof doc !== 'object' || doc === null) return '';
  const out = new AdfText();
  const steps: Step[] = [doc as AdfNode];
  for (let step = steps.pop(); step !== undefined; step = steps.pop()) {
    if (typeof step === 'string') out.write(step);
    else if (step === CELL) out.openCell();
    else if (step === CELL_END) out.closeCell();
    else {
      const leaf = leafText(step);
      if (leaf === undefined) pushParts(steps, step);
      else out.write(leaf);
    }
  }
  return tidy(out.text());
}

// ───────────────────────────── Jira wiki markup ─────────────────────────────

const MACROS = ['code', 'noformat', 'quote', 'panel', 'color'] as const;

/** `/\{(?:code|noformat|quote|panel|color)(?::[^}]*)?\}/g` → '': `{code}`, `{color:red}`… */
function withoutMacros(text: string): string {
  const brace = new Next(text, '}');
  return rewrite(text, '{', (at) => {
    const name = MACROS.find((macro) => text.startsWith(macro, at + 1));
    if (name === undefined) return undefined;
    const after = at + 1 + name.length;
    if (text[after] === '}') return [after + 1, ''];
    const end = text[after] === ':' ? brace.find(after + 1) : -1;
    return end < 0 ? undefined : [end + 1, ''];
  });
}

/** `/\[~[^\]]*\]/g` → '': a user mention. */
function withoutMentions(text: string): string {
  const bracket = new Next(text, ']');
  return rewrite(text, '[~', (at) => {
    const end = bracket.find(at + 2);
    return end < 0 ? undefined : [end + 1, ''];
  });
}

/** `/\[([^\]|]+)\|([^\]]+)\]/g` → its label: `[label|target]`, both non-empty. */
function labelledLinks(text: string): string {
  const bracket = new Next(text, ']');
  const bar = new Next(text, '|');
  const bracketAfterBar = new Next(text, ']');
  return rewrite(text, '[', (at) => {
    // The label runs to the first `|` or `]`; it must be a `|`, and not right after the `[`.
    const split = bar.find(at + 1);
    if (split <= at + 1 || split > firstOf(bracket.find(at + 1), text.length)) return undefined;
    const end = bracketAfterBar.find(split + 1);
    return end > split + 1 ? [end + 1, text.slice(at + 1, split)] : undefined;
  });
}

const SCHEMES = ['http:', 'https:', 'mailto:'] as const;

/** `/\[((?:https?|mailto):[^\]]+)\]/g` → the address. */
function bareLinks(text: string): string {
  const bracket = new Next(text, ']');
  return rewrite(text, '[', (at) => {
    const scheme = SCHEMES.find((prefix) => text.startsWith(prefix, at + 1));
    if (scheme === undefined) return undefined;
    const end = bracket.find(at + 1 + scheme.length);
    return end > at + 1 + scheme.length ? [end + 1, text.slice(at + 1, end)] : undefined;
  });
}

const IMAGE_TYPES = ['.png', '.jpg', '.jpeg', '.gif', '.bmp', '.svg', '.webp', '.pdf'] as const;
/** What ends an image's file name: the name is a run of anything else. */
const NAME_END = /[\s!|]/g;

/**
 * `/!([^!\s|]+\.(?:png|jpe?g|gif|bmp|svg|webp|pdf))(?:\|[^!]*)?!/gi` → '': `!file.png!`,
 * `!file.png|thumbnail!`. The name can only end where its run of name characters does (the next
 * character must be `!` or `|`), so each `!` reads its own run once.
 */
function withoutImages(text: string): string {
  const bang = new Next(text, '!');
  return rewrite(text, '!', (at) => {
    NAME_END.lastIndex = at + 1;
    const end = NAME_END.exec(text)?.index ?? text.length;
    const image = IMAGE_TYPES.some(
      (type) => end - at - 1 > type.length && matchesAt(text, end - type.length, type),
    );
    if (!image) return undefined;
    if (text[end] === '!') return [end + 1, ''];
    const close = text[end] === '|' ? bang.find(end + 1) : -1;
    return close < 0 ? undefined : [close + 1, ''];
  });
}

/** `/\{\{([^}]+)\}\}/g` → its content: `{{monospace}}`. */
function monospace(text: string): string {
  const brace = new Next(text, '}');
  return rewrite(text, '{{', (at) => {
    const end = brace.find(at + 2);
    return end > at + 2 && text[end + 1] === '}' ? [end + 2, text.slice(at + 2, end)] : undefined;
  });
}

/**
 * `*strong*` or `_emphasis_` → its content, as
 * `/(^|[^\p{L}\p{N}*])\*(\S(?:[^*\n]*\S)?)\*(?=[^\p{L}\p{N}*]|$)/gmu` (with `_` for `*`) rewrote
 * it: a mark touching a letter, a number or another mark on its outside is not markup, nor is one
 * with whitespace inside it ("cuota_2", "5 * 3" survive). The content is one line without the mark
 * except perhaps as its first or last character; between one opening mark and the next mark or line
 * break, the regex could only close at that mark (or the one right after it), so that is all that
 * is looked at.
 */
function emphasis(text: string, mark: '*' | '_'): string {
  const nextMark = new Next(text, mark);
  const nextLine = new Next(text, '\n');
  const outside = (code: number) =>
    code !== mark.charCodeAt(0) && !LETTER_OR_NUMBER.test(String.fromCodePoint(code));
  const outsideAt = (at: number) => at >= text.length || outside(text.codePointAt(at) ?? 0);
  /** The closing mark for the mark at `at`, or -1. */
  const closing = (at: number): number => {
    const first = text.codePointAt(at + 1);
    if (first === undefined || isSpace(text, at + 1)) return -1;
    const body = at + 1 + (first > 0xffff ? 2 : 1);
    const stop = firstOf(firstOf(nextMark.find(body), nextLine.find(body)), text.length);
    if (text[stop] !== mark) return -1;
    // Greedy: first the mark at `stop` as the content's last character, then as the closer.
    if (text[stop + 1] === mark && outsideAt(stop + 2)) return stop + 1;
    // Then as the closer, after a last character that is not whitespace (or the first, known not to be).
    return !isSpace(text, stop - 1) && outsideAt(stop + 1) ? stop : -1;
  };
  return rewrite(text, mark, (at, from) => {
    // The start of the text, or a character before the mark that is outside the previous match.
    // (`^` after a line break needs no case of its own: the break is such a character. Right after
    // a match, the character before is that match's closing mark, which cannot open.)
    const opens = at === 0 || (at > from && outside(codePointBefore(text, at)));
    if (!opens) return undefined;
    const end = closing(at);
    return end < 0 ? undefined : [end + 1, text.slice(at + 1, end)];
  });
}

/** The code point that ends just before `at` (a surrogate pair as one). */
function codePointBefore(text: string, at: number): number {
  const low = text.charCodeAt(at - 1);
  if (low >= 0xdc00 && low <= 0xdfff && at >= 2) {
    const high = text.charCodeAt(at - 2);
    if (high >= 0xd800 && high <= 0xdbff) return (high - 0xd800) * 0x400 + (low - 0xdc00) + 0x10000;
  }
  return low;
}

/**
 * Jira wiki markup (API v2 text fields and comments) → plain text. Conservative: only markup
 * that cannot be ordinary prose is removed, so "cuota_2" or "5 * 3" survive. The line-start
 * patterns stay regular expressions: each tries only at a line's start, over that line's own run.
 */
export function jiraWikiToText(text: string): string {
  let plain = withoutMacros(normalizeNewlines(text))
    .replace(/^h[1-6]\.\s+/gm, '')
    .replace(/^bq\.\s+/gm, '')
    .replace(/^[ \t]*[*#-]+[ \t]+/gm, '- ');
  plain = monospace(withoutImages(bareLinks(labelledLinks(withoutMentions(plain)))));
  return tidy(emphasis(emphasis(plain, '*'), '_'));
}

/** A Jira text value: wiki markup as a string, or an ADF document. */
export function jiraText(value: unknown): string {
  if (typeof value === 'string') return jiraWikiToText(value);
  return adfToText(value);
}
