/**
 * Helpdesk text → the plain text a wolkvox case's solution holds. Three encodings arrive: our own
 * template encoding (Zendesk and Freshdesk bodies are rendered from the Liquid templates in
 * templates.ts), HTML (Freshdesk comments), and Jira's wiki markup or Atlassian Document Format.
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
  return NAMED_ENTITIES[name] ?? NAMED_ENTITIES[name.toLowerCase()] ?? match;
}

/** CRLF and lone CR (old clients, some e-mail) become LF, so every source ends lines the same way. */
export function normalizeNewlines(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

/**
 * Undoes the template's filter chain `escape | replace: '\', '&#92;' | newline_to_br | strip_newlines`:
 * `<br />` back to a newline, then the entities back to characters, in one pass each so an
 * original `&amp;` or `<br />` typed by an agent (escaped to `&amp;amp;`, `&lt;br /&gt;`) comes back
 * literally instead of being decoded twice.
 */
export function decodeTemplateText(value: string): string {
  const lines = value.replace(/<br\s*\/?>\n?/gi, '\n');
  return normalizeNewlines(lines.replace(TEMPLATE_ENTITY, entity));
}

const HTML_TAG = /<\/?[a-z][a-z0-9-]*(?:\s[^<>]*)?\/?>/i;

/** Whether text carries markup; plain text with a stray `<` (e.g. "saldo < 100") does not. */
export function looksLikeHtml(text: string): boolean {
  return HTML_TAG.test(text);
}

/**
 * HTML (a helpdesk comment) → plain text: block ends and `<br>` become line breaks, source
 * whitespace collapses as a browser would, scripts and styles vanish, entities decode.
 */
export function htmlToText(html: string): string {
  const text = html
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, '')
    .replace(/\s+/g, ' ')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<li\b[^>]*>/gi, '\n- ')
    .replace(/<\/(p|div|h[1-6]|tr|blockquote|pre|table|ul|ol|section|article)\s*>/gi, '\n')
    .replace(/<\/t[dh]\s*>/gi, ' ')
    .replace(/<\/?[a-z][a-z0-9-]*(?:\s[^<>]*)?\/?>/gi, '')
    .replace(ANY_ENTITY, entity);
  return tidy(text);
}

/** Trailing spaces off each line, at most one blank line in a row, no outer whitespace. */
function tidy(text: string): string {
  return normalizeNewlines(text)
    .replace(/\u00a0/g, ' ')
    .split('\n')
    .map((line) => line.replace(/[ \t]+$/, '').replace(/^ (?=\S)/, ''))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** A helpdesk comment that may be HTML or plain text → plain text. */
export function commentText(text: string): string {
  return looksLikeHtml(text) ? htmlToText(text) : normalizeNewlines(text).trim();
}

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

function adfNode(node: AdfNode): string {
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
      return Number.isFinite(ms) ? new Date(ms).toISOString().slice(0, 10) : '';
    }
    case 'rule':
      return '---';
    // Files are referenced in the ticket's attachments, not inlined into the solution text.
    case 'mediaSingle':
    case 'mediaGroup':
    case 'media':
      return '';
    case 'bulletList':
      return children(node)
        .map((item) => `- ${adfNode(item)}`)
        .join('\n');
    case 'orderedList': {
      const start = Number(attr(node, 'order') ?? 1);
      return children(node)
        .map((item, i) => `${(Number.isFinite(start) ? start : 1) + i}. ${adfNode(item)}`)
        .join('\n');
    }
    case 'tableRow':
      return children(node)
        .map((cell) => adfNode(cell).replace(/\n+/g, ' '))
        .join(' | ');
    default: {
      const parts = children(node);
      // A paragraph's pieces run together; blocks (doc, quote, panel, cell…) go one per line.
      const inline = parts.every((part) => typeof part.type === 'string' && INLINE.has(part.type));
      return parts.map(adfNode).join(inline ? '' : '\n');
    }
  }
}

/** Atlassian Document Format (Jira Cloud API v3 rich text) → plain text. */
export function adfToText(doc: unknown): string {
  if (typeof doc !== 'object' || doc === null) return '';
  return tidy(adfNode(doc as AdfNode));
}

/**
 * Jira wiki markup (API v2 text fields and comments) → plain text. Conservative: only markup
 * that cannot be ordinary prose is removed, so "cuota_2" or "5 * 3" survive.
 */
export function jiraWikiToText(text: string): string {
  const plain = normalizeNewlines(text)
    .replace(/\{(?:code|noformat|quote|panel|color)(?::[^}]*)?\}/g, '')
    .replace(/^h[1-6]\.\s+/gm, '')
    .replace(/^bq\.\s+/gm, '')
    .replace(/^[ \t]*[*#-]+[ \t]+/gm, '- ')
    .replace(/\[~[^\]]*\]/g, '')
    .replace(/\[([^\]|]+)\|([^\]]+)\]/g, '$1')
    .replace(/\[((?:https?|mailto):[^\]]+)\]/g, '$1')
    .replace(/!([^!\s|]+\.(?:png|jpe?g|gif|bmp|svg|webp|pdf))(?:\|[^!]*)?!/gi, '')
    .replace(/\{\{([^}]+)\}\}/g, '$1')
    .replace(/(^|[^\p{L}\p{N}*])\*(\S(?:[^*\n]*\S)?)\*(?=[^\p{L}\p{N}*]|$)/gmu, '$1$2')
    .replace(/(^|[^\p{L}\p{N}_])_(\S(?:[^_\n]*\S)?)_(?=[^\p{L}\p{N}_]|$)/gmu, '$1$2');
  return tidy(plain);
}

/** A Jira text value: wiki markup as a string, or an ADF document. */
export function jiraText(value: unknown): string {
  if (typeof value === 'string') return jiraWikiToText(value);
  return adfToText(value);
}
