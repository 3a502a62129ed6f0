/**
 * A small Liquid renderer for the templates we publish (lib/sources/tickets/templates.ts): enough of
 * Liquid 2 and 5 (output, filters, for, if) to render exactly what Zendesk and Freshdesk would, with
 * and without the helpdesk JSON-escaping placeholder output, so tests can feed hostile text through
 * the real template and the real source. Test support only: it parses our own templates, not input.
 */

export interface Flavor {
  liquid: 2 | 5;
  jsonEscapesOutput: boolean;
}

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'output'; expression: string }
  | { kind: 'for'; variable: string; path: string; body: Node[] }
  | { kind: 'if'; condition: string; body: Node[] };

function parse(template: string): Node[] {
  const root: Node[] = [];
  const stack: Node[][] = [root];
  const top = () => stack.at(-1) ?? root;
  // Our own templates, never input: no attacker controls how long this scans.
  // eslint-disable-next-line regexp/no-super-linear-move
  const tokens = /\{\{([\s\S]*?)\}\}|\{%([\s\S]*?)%\}/g;
  let last = 0;
  for (const match of template.matchAll(tokens)) {
    if (match.index > last) top().push({ kind: 'text', text: template.slice(last, match.index) });
    last = match.index + match[0].length;
    if (match[1] !== undefined) {
      top().push({ kind: 'output', expression: match[1].trim() });
      continue;
    }
    const tag = (match[2] ?? '').trim();
    const loop = /^for\s+(\w+)\s+in\s+([\w.]+)$/.exec(tag);
    if (loop) {
      const node: Node = { kind: 'for', variable: loop[1] ?? '', path: loop[2] ?? '', body: [] };
      top().push(node);
      stack.push(node.body);
    } else if (tag.startsWith('if ')) {
      const node: Node = { kind: 'if', condition: tag.slice(3).trim(), body: [] };
      top().push(node);
      stack.push(node.body);
    } else if (tag === 'endfor' || tag === 'endif') {
      stack.pop();
    } else {
      throw new Error(`unsupported tag ${tag}`);
    }
  }
  if (last < template.length) root.push({ kind: 'text', text: template.slice(last) });
  return root;
}

/** Splits on `sep` outside single- or double-quoted Liquid strings (which have no escapes). */
function splitOutside(text: string, sep: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quote: string | null = null;
  for (const char of text) {
    if (quote) {
      if (char === quote) quote = null;
      current += char;
    } else if (char === "'" || char === '"') {
      quote = char;
      current += char;
    } else if (char === sep) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  parts.push(current);
  return parts.map((p) => p.trim());
}

function literal(arg: string): string {
  const match = /^'([^']*)'$|^"([^"]*)"$/.exec(arg);
  if (!match) throw new Error(`unsupported argument ${arg}`);
  return match[1] ?? match[2] ?? '';
}

const pad = (n: number) => String(n).padStart(2, '0');

/** Ruby strftime for the directives the templates use, on a UTC Date (offset +0000). */
function strftime(date: Date, format: string): string {
  const parts: Record<string, string> = {
    Y: String(date.getUTCFullYear()),
    m: pad(date.getUTCMonth() + 1),
    d: pad(date.getUTCDate()),
    H: pad(date.getUTCHours()),
    M: pad(date.getUTCMinutes()),
    S: pad(date.getUTCSeconds()),
    z: '+0000',
  };
  return format.replace(/%([YmdHMSz])/g, (_m, k: string) => parts[k] ?? '');
}

function applyFilter(input: unknown, name: string, args: string[], flavor: Flavor): unknown {
  const text = input === null || input === undefined ? '' : String(input);
  const newline = flavor.liquid === 5 ? /\r?\n/g : /\n/g;
  switch (name) {
    case 'escape': // CGI.escapeHTML
      return text.replace(
        /[&"'<>]/g,
        (c) => ({ '&': '&amp;', '"': '&quot;', "'": '&#39;', '<': '&lt;', '>': '&gt;' })[c] ?? c,
      );
    case 'replace':
      return text.split(args[0] ?? '').join(args[1] ?? '');
    case 'newline_to_br':
      return text.replace(newline, '<br />\n');
    case 'strip_newlines':
      return text.replace(newline, '');
    case 'date':
      return input instanceof Date ? strftime(input, args[0] ?? '') : text;
    default:
      throw new Error(`unsupported filter ${name}`);
  }
}

export function renderLiquid(
  template: string,
  data: Readonly<Record<string, unknown>>,
  flavor: Flavor,
): string {
  const lookup = (path: string, scope: Record<string, unknown>): unknown => {
    const [head = '', ...rest] = path.split('.');
    if (Object.hasOwn(scope, head)) {
      let value: unknown = scope[head];
      for (const key of rest)
        value = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
      return value;
    }
    return Object.hasOwn(data, path) ? data[path] : undefined;
  };
  const evaluate = (expression: string, scope: Record<string, unknown>): string => {
    const [head = '', ...filters] = splitOutside(expression, '|');
    let value = lookup(head, scope);
    for (const filter of filters) {
      const colon = filter.indexOf(':');
      const name = (colon < 0 ? filter : filter.slice(0, colon)).trim();
      const args = colon < 0 ? [] : splitOutside(filter.slice(colon + 1), ',').map(literal);
      value = applyFilter(value, name, args, flavor);
    }
    const out = value === null || value === undefined ? '' : String(value);
    return flavor.jsonEscapesOutput ? JSON.stringify(out).slice(1, -1) : out;
  };
  const condition = (text: string, scope: Record<string, unknown>): boolean => {
    const match = /^([\w.]+)\s*==\s*(true|false)$/.exec(text);
    if (!match) throw new Error(`unsupported condition ${text}`);
    return String(lookup(match[1] ?? '', scope) === true) === match[2];
  };
  const run = (nodes: Node[], scope: Record<string, unknown>): string =>
    nodes
      .map((node) => {
        switch (node.kind) {
          case 'text':
            return node.text;
          case 'output':
            return evaluate(node.expression, scope);
          case 'if':
            return condition(node.condition, scope) ? run(node.body, scope) : '';
          case 'for': {
            const items = lookup(node.path, scope);
            const list = Array.isArray(items) ? items : [];
            return list
              .map((item, index) =>
                run(node.body, {
                  ...scope,
                  [node.variable]: item,
                  forloop: { index: index + 1, last: index === list.length - 1 },
                }),
              )
              .join('');
          }
        }
      })
      .join('');
  return run(parse(template), {});
}

export const FLAVORS: Flavor[] = [
  { liquid: 5, jsonEscapesOutput: false },
  { liquid: 2, jsonEscapesOutput: false },
  { liquid: 5, jsonEscapesOutput: true },
  { liquid: 2, jsonEscapesOutput: true },
];

/** Text agents really type, and text meant to break a JSON body or a template. */
export const HOSTILE = [
  'Dijo "hola" y colgó',
  'Ruta \\\\srv\\cobranzas\\new y un \\n literal y \\u0041',
  'Línea 1\nLínea 2\n\nPárrafo 3',
  'Windows\r\nlínea 2',
  'Mac\rlínea 2',
  'Col1\tCol2\tCol3',
  'Emoji 👍🏽 y ñandú — “comillas” ‘simples’ ¿sí? ¡ya!',
  '</script><script>alert("x")</script>',
  'Entidades &amp; &lt;br /&gt; <br /> &#92; &quot; &#x41;',
  "It's O'Brien's",
  'Control \u0001 y \u001f',
  'Llaves {{ticket.id}} y {% if x %}',
];

/** What a round trip gives back: the same text, line ends as LF, outer whitespace trimmed. */
export const roundTripped = (text: string) => text.replace(/\r\n?/g, '\n').trim();
export const hasControls = (text: string) => [...text].some((c) => c !== '\n' && c.charCodeAt(0) < 0x20);
