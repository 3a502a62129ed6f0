import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { TicketResolved } from '#lib/events.ts';
import { MalformedError, SignatureError } from '#lib/http/errors.ts';
import { freshdeskSource } from '#lib/sources/tickets/freshdesk.ts';
import { ticketSources } from '#lib/sources/tickets/index.ts';
import { jiraSource } from '#lib/sources/tickets/jira.ts';
import { parseInstant } from '#lib/sources/tickets/shared.ts';
import {
  FRESHDESK_TEMPLATE,
  TEXT_FILTERS,
  ZENDESK_EXAMPLE_FIELD_ID,
  ZENDESK_TEMPLATE,
} from '#lib/sources/tickets/templates.ts';
import { adfToText, htmlToText, jiraWikiToText } from '#lib/sources/tickets/text.ts';
import { zendeskSource } from '#lib/sources/tickets/zendesk.ts';
import type { Decision, RawRequest, SourceContext } from '#lib/sources/types.ts';
import { SEED_CASE_IDS } from '#lib/sandbox/seed.ts';

const read = (file: string) => readFileSync(new URL(`../${file}`, import.meta.url));
const NOW = new Date('2024-11-06T16:00:00Z');
const request = (body: string | Buffer, headers: Record<string, string> = {}): RawRequest => ({
  body: Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'),
  headers,
  query: {},
});
const context = (secrets: Record<string, string>, now = NOW): SourceContext => ({ secrets, now: () => now });

function accepted(decision: Decision<TicketResolved>): TicketResolved {
  if (decision.action !== 'accept') throw new Error(`expected accept, got ignore: ${decision.reason}`);
  return decision.event;
}

/** The MalformedError a call throws, so a test can look at its problems. */
function malformed(call: () => unknown): string[] {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(MalformedError);
    return (error as MalformedError).problems;
  }
  throw new Error('expected a MalformedError');
}

// ───────────────────────────── Zendesk ─────────────────────────────

const ZD_SECRET = 'zd_unit_test_secret';
const zendesk = zendeskSource({ operation: 'demo', toleranceSeconds: 300 });
const zdContext = (now = NOW, secret = ZD_SECRET) => context({ ZENDESK_WEBHOOK_SECRET: secret }, now);
const ZD_TIMESTAMP = '2024-11-06T16:00:00Z';

function zdSigned(
  body: string | Buffer,
  options: { secret?: string; timestamp?: string; headers?: Record<string, string> } = {},
): RawRequest {
  const timestamp = options.timestamp ?? ZD_TIMESTAMP;
  const signature = createHmac('sha256', options.secret ?? ZD_SECRET)
    .update(Buffer.concat([Buffer.from(timestamp), Buffer.from(body)]))
    .digest('base64');
  return request(body, {
    'x-zendesk-webhook-signature': signature,
    'x-zendesk-webhook-signature-timestamp': timestamp,
    ...options.headers,
  });
}

const zdSample = (name: string) => read(`events/zendesk/${name}`);
const zdNormalize = (body: string | Buffer, headers: Record<string, string> = {}) =>
  zendesk.normalize(zdSigned(body, { headers }), zdContext());

/** A sample body with some keys replaced, re-serialized (what a differently filled template renders). */
function zdVariant(name: string, changes: Record<string, unknown>): string {
  return JSON.stringify({ ...(JSON.parse(zdSample(name).toString()) as object), ...changes });
}

describe('zendesk verify', () => {
  const TEST_SECRET = 'dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==';

  it.each([
    [
      '2021-03-25T05:09:27Z',
      '{"event":"ticket.updated","id":123}',
      'S/RDdU2ERmj7LHDDoWJ2onPYH+t7/f2+LTM4dL7UiLM=',
    ],
    [
      '2024-05-01T12:00:00Z',
      '{"ticket_id":"35","status":"Solved","assignee_email":"agent@example.com"}',
      'TBLvF+VwbldY5Vlqa4+8Q59ZIXdxxL/lIZ9PlUZHGc0=',
    ],
  ])("accepts helpdesks.md §1.6's verified vector at %s", (timestamp, body, signature) => {
    const signed = request(body, {
      'x-zendesk-webhook-signature': signature,
      'x-zendesk-webhook-signature-timestamp': timestamp,
    });
    expect(() => zendesk.verify(signed, zdContext(new Date(timestamp), TEST_SECRET))).not.toThrow();
    expect(() => zendesk.verify(signed, zdContext(new Date(timestamp), 'another-secret'))).toThrow(
      SignatureError,
    );
  });

  it('signs timestamp + body, not the old page\'s body + timestamp (the §1.6 "trap")', () => {
    const secret = 'HRkRd4BeOAoUkfZr-mhauJT64rvBASlJRoIyPsd3zeA=';
    const timestamp = '2021-07-25T10:00:00Z';
    const at = zdContext(new Date(timestamp), secret);
    const withSignature = (signature: string) =>
      request('{"say": "hello"}', {
        'x-zendesk-webhook-signature': signature,
        'x-zendesk-webhook-signature-timestamp': timestamp,
      });
    expect(() => zendesk.verify(withSignature('tRDSF7URY8BLCDlaBcQ7FHu051Zk+aAB0NKMP53teMw='), at)).toThrow(
      SignatureError,
    );
    expect(() =>
      zendesk.verify(withSignature('Rry/4TtIdFyawtXXp8QdI6tlAUUQ/5kL1OTp5qo/ZIk='), at),
    ).not.toThrow();
  });

  it('accepts a good signature and any configured secret (rotation)', () => {
    const body = zdSample('ticket.solved.json');
    expect(() => zendesk.verify(zdSigned(body), zdContext())).not.toThrow();
    const rotated = zdContext(NOW, 'zd_old_secret, zd_new_secret');
    expect(() => zendesk.verify(zdSigned(body, { secret: 'zd_new_secret' }), rotated)).not.toThrow();
    expect(() => zendesk.verify(zdSigned(body, { secret: 'zd_old_secret' }), rotated)).not.toThrow();
  });

  it('accepts timestamps 299 s either side of now, with the default tolerance too', () => {
    const at = (seconds: number) =>
      new Date(NOW.getTime() + seconds * 1000).toISOString().replace('.000', '');
    for (const source of [zendesk, zendeskSource({ operation: 'demo' })]) {
      expect(() => source.verify(zdSigned('{}', { timestamp: at(-299) }), zdContext())).not.toThrow();
      expect(() => source.verify(zdSigned('{}', { timestamp: at(299) }), zdContext())).not.toThrow();
      expect(() => source.verify(zdSigned('{}', { timestamp: at(-301) }), zdContext())).toThrow(
        SignatureError,
      );
    }
  });

  const body = '{"ticket_id":"1"}';
  it.each([
    ['a forged signature (another secret)', zdSigned(body, { secret: 'not-the-secret' })],
    ['a tampered body', { ...zdSigned(body), body: Buffer.from('{"ticket_id":"2"}') }],
    [
      'a changed timestamp header',
      {
        ...zdSigned(body),
        headers: {
          ...zdSigned(body).headers,
          'x-zendesk-webhook-signature-timestamp': '2024-11-06T16:00:01Z',
        },
      },
    ],
    ['a stale timestamp (301 s old)', zdSigned(body, { timestamp: '2024-11-06T15:54:59Z' })],
    ['a future timestamp (301 s ahead)', zdSigned(body, { timestamp: '2024-11-06T16:05:01Z' })],
    ['a timestamp that is not ISO 8601', zdSigned(body, { timestamp: '1730908800' })],
    ['no signature header', request(body, { 'x-zendesk-webhook-signature-timestamp': ZD_TIMESTAMP })],
    ['no timestamp header', request(body, { 'x-zendesk-webhook-signature': 'abc=' })],
    ['no headers at all', request(body)],
  ])('refuses %s', (_name, signed) => {
    expect(() => zendesk.verify(signed, zdContext())).toThrow(SignatureError);
  });

  it('refuses everything when no secret is configured', () => {
    expect(() => zendesk.verify(zdSigned(body), context({}))).toThrow(SignatureError);
  });
});

describe('zendesk normalize', () => {
  it('ticket.solved.json → the resolved ticket with its reply and both attachments', () => {
    expect(accepted(zdNormalize(zdSample('ticket.solved.json')))).toEqual({
      kind: 'ticket',
      provider: 'zendesk',
      eventId: '4821:2024-11-06T15:42Z',
      ticketId: '4821',
      resolvedAt: '2024-11-06T15:42:00.000Z',
      caseId: SEED_CASE_IDS.pazYSalvo,
      priority: 'Normal',
      caseType: 'Task',
      assignee: { email: 'laura.gomez@acme-cobranzas.com' },
      solution: {
        lastPublicReply:
          'Hola Carlos,\n\nAdjuntamos el certificado de paz y salvo del crédito 6669999 y el soporte de su ' +
          'último pago.\n\nSaludos,\nLaura Gómez – Acme Cobranzas',
      },
      customFields: {
        group: 'Cartera',
        ticket_id: '4821',
        ticket_url: 'https://acme.zendesk.com/agent/tickets/4821',
      },
      attachments: [
        {
          filename: 'paz-y-salvo.pdf',
          url: 'https://acme.zendesk.com/attachments/token/Qm9Tz7Kp2xW4rLc8Vn3bJ6hY1/?name=paz-y-salvo.pdf',
          contentType: 'application/pdf',
          size: 692,
        },
        {
          filename: 'soporte-pago.png',
          url: 'https://acme.zendesk.com/attachments/token/Xr5Lw2Nq8Pz1Tb7Kc4Vm9Hd3/?name=soporte-pago.png',
          contentType: 'image/png',
          size: 139,
        },
      ],
    });
  });

  it('takes the invocation id as the event id when Zendesk sends one', () => {
    const event = accepted(
      zdNormalize(zdSample('ticket.solved.json'), { 'x-zendesk-webhook-invocation-id': '8350205582' }),
    );
    expect(event.eventId).toBe('8350205582');
  });

  it('reads the other solved samples', () => {
    expect(accepted(zdNormalize(zdSample('ticket.solved.no-attachments.json')))).toMatchObject({
      ticketId: '4835',
      caseId: SEED_CASE_IDS.cobroDoble,
      priority: 'High',
      caseType: 'Incident',
      assignee: { email: 'andres.rojas@acme-cobranzas.com' },
      solution: { lastPublicReply: expect.stringMatching(/^María Fernanda, confirmamos el doble cobro/) },
      attachments: [],
    });
    const tricky = accepted(zdNormalize(zdSample('ticket.solved.tricky-text.json')));
    expect(tricky.solution.lastPublicReply).toBe(
      'Jorge, revisamos el reporte "negativo" en Datacrédito y TransUnion:\n' +
        '- Acuerdo de pago firmado el 20/10/2024 (ver carpeta \\\\srv-cobranzas\\acuerdos\\2024).\n' +
        '- Pedimos la actualización a "al día" desde el 05-11-2024.\n' +
        "Saldo pendiente < $100.000 & > $0 → 0 cuotas vencidas. It's done 👍 <br /> no es un salto",
    );
    expect(tricky).toMatchObject({ caseId: SEED_CASE_IDS.reporteCentrales, priority: 'Urgent' });
    // No reply: the event is still a resolution, with no solution candidate (the translation parks it).
    const silent = accepted(zdNormalize(zdSample('ticket.solved.no-solution.json')));
    expect(silent).toMatchObject({ caseId: SEED_CASE_IDS.horarioAtencion, priority: 'Low', solution: {} });
    expect(silent.solution).toEqual({});
  });

  it('ignores a ticket that is not solved or closed, and accepts both in any case', () => {
    expect(zdNormalize(zdSample('ticket.pending.json'))).toEqual({
      action: 'ignore',
      reason: 'ticket status is "Pending", not solved or closed',
    });
    for (const status of ['closed', 'SOLVED', ' Solved ']) {
      expect(zdNormalize(zdVariant('ticket.solved.json', { status })).action).toBe('accept');
    }
  });

  it('has no case, with the reason, when the wolkvox id is empty, malformed or for another operation', () => {
    expect(accepted(zdNormalize(zdSample('ticket.solved.no-case.json')))).toMatchObject({
      caseId: null,
      targetProblem:
        'wolkvox_id (the ticket field named in the trigger body) is empty: the ticket names no wolkvox case',
    });
    expect(accepted(zdNormalize(zdVariant('ticket.solved.json', { wolkvox_id: 'REQ-1001' })))).toMatchObject({
      caseId: null,
      targetProblem: expect.stringContaining('"REQ-1001" is not a wolkvox case id'),
    });
    expect(
      accepted(zdNormalize(zdVariant('ticket.solved.json', { wolkvox_id: ' 65B2C3D4E5F6A7B8C9D0E101 ' })))
        .caseId,
    ).toBe(SEED_CASE_IDS.pazYSalvo);
    expect(
      accepted(zdNormalize(zdVariant('ticket.solved.json', { wolkvox_operation: 'otra' }))),
    ).toMatchObject({ caseId: null, targetProblem: expect.stringContaining('"otra"') });
    expect(accepted(zdNormalize(zdVariant('ticket.solved.json', { wolkvox_operation: 'demo' }))).caseId).toBe(
      SEED_CASE_IDS.pazYSalvo,
    );
  });

  it('takes an optional resolution field, and treats "-" and "" as no priority or type', () => {
    const event = accepted(
      zdNormalize(
        zdVariant('ticket.solved.json', {
          resolution: 'Certificado&lt;br /&gt;emitido',
          priority: '-',
          ticket_type: '',
        }),
      ),
    );
    expect(event.solution.resolution).toBe('Certificado<br />emitido');
    expect(event.priority).toBeNull();
    expect(event.caseType).toBeNull();
  });

  it('uses the signature timestamp when the body has no updated_at', () => {
    const body = zdVariant('ticket.solved.json', { updated_at: '' });
    const event = accepted(zdNormalize(body));
    expect(event.resolvedAt).toBe('2024-11-06T16:00:00.000Z');
    expect(event.eventId).toBe('4821:2024-11-06T16:00:00.000Z');
  });

  it('answers 400 naming where a broken body broke, with the template hint', () => {
    const broken = zdSample('ticket.solved.json').toString().replace('Hola Carlos,', 'Hola "Carlos",');
    const problems = malformed(() => zdNormalize(broken));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^\(body\): not valid JSON at position \d+ \(in or after "solution"\) — a placeholder value may contain an unescaped quote or newline; use the template in the README$/,
    );
    const position = Number(/position (\d+)/.exec(problems[0] ?? '')?.[1]);
    expect(broken.slice(position, position + 7)).toBe('Carlos"');

    const truncated = zdSample('ticket.solved.json').subarray(0, 200);
    expect(malformed(() => zdNormalize(truncated))[0]).toMatch(/^\(body\): not valid JSON at position 200 /);
  });

  it('reports the real break, not a repaired tab, when both occur', () => {
    const body = '{"schema_version":"1","ticket_id":"1","status":"Solved","solution":"a\tb "c" d"}';
    const problems = malformed(() => zdNormalize(body));
    expect(problems[0]).toContain(`position ${body.indexOf('c" d')} (in or after "solution")`);
  });

  it('names the failing paths of a body that does not match the template', () => {
    expect(malformed(() => zdNormalize(zdVariant('ticket.solved.json', { schema_version: '2' })))).toEqual([
      'schema_version: expected "1" (the README template)',
    ]);
    expect(malformed(() => zdNormalize('{"schema_version":"1","status":"Solved"}'))).toEqual([
      expect.stringMatching(/^ticket_id: /),
    ]);
    expect(malformed(() => zdNormalize('[]'))).toEqual([expect.stringMatching(/^\(body\): /)]);
    const attachments = [
      { file_name: 'a.pdf', content_url: 'not a url', content_type: '', size: '' },
      { file_name: 'b.pdf', content_url: 'https://acme.zendesk.com/b', size: 'doce' },
    ];
    expect(malformed(() => zdNormalize(zdVariant('ticket.solved.json', { attachments })))).toEqual([
      expect.stringMatching(/^attachments\.1\.size: /),
    ]);
    expect(
      malformed(() => zdNormalize(zdVariant('ticket.solved.json', { attachments: attachments.slice(0, 1) }))),
    ).toEqual(['attachments.0.content_url: not an http(s) URL']);
    expect(malformed(() => zdNormalize(zdVariant('ticket.solved.json', { updated_at: 'ayer' })))).toEqual([
      expect.stringMatching(/^updated_at: not an ISO 8601 time/),
    ]);
  });

  it('names an attachment after its URL when the template sent no file name, and drops blank metadata', () => {
    const attachments = [
      {
        file_name: '',
        content_url: 'https://acme.zendesk.com/attachments/token/t/?name=acta.pdf',
        content_type: '',
        size: '',
      },
    ];
    expect(accepted(zdNormalize(zdVariant('ticket.solved.json', { attachments }))).attachments).toEqual([
      { filename: 'acta.pdf', url: 'https://acme.zendesk.com/attachments/token/t/?name=acta.pdf' },
    ]);
  });
});

// ─────────────── The published templates, rendered for hostile text ───────────────

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

const FLAVORS: Flavor[] = [
  { liquid: 5, jsonEscapesOutput: false },
  { liquid: 2, jsonEscapesOutput: false },
  { liquid: 5, jsonEscapesOutput: true },
  { liquid: 2, jsonEscapesOutput: true },
];

/** Text agents really type, and text meant to break a JSON body or a template. */
const HOSTILE = [
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
const roundTripped = (text: string) => text.replace(/\r\n?/g, '\n').trim();
const hasControls = (text: string) => [...text].some((c) => c !== '\n' && c.charCodeAt(0) < 0x20);

function zendeskData(comment: string, filename = 'acta.pdf'): Record<string, unknown> {
  return {
    'ticket.id': 77,
    'ticket.link': 'https://acme.zendesk.com/agent/tickets/77',
    'ticket.status': 'Solved',
    'ticket.updated_at_with_timestamp': '2024-11-06T15:42Z',
    'ticket.priority': 'Urgent',
    'ticket.ticket_type': 'Incident',
    'ticket.assignee.email': 'laura.gomez@acme-cobranzas.com',
    [`ticket.ticket_field_${ZENDESK_EXAMPLE_FIELD_ID}`]: SEED_CASE_IDS.reporteCentrales,
    'ticket.latest_public_comment': comment,
    'ticket.group.name': 'Cartera "Norte" & Sur',
    'ticket.latest_public_comment.attachments': [
      {
        filename,
        url: `https://acme.zendesk.com/attachments/token/t0k/?name=${encodeURIComponent(filename)}&x=1`,
        content_type: 'application/pdf',
        size: 692,
      },
      { filename: 'b.png', url: 'https://acme.zendesk.com/attachments/token/t1k/?name=b.png', size: 139 },
    ],
  };
}

describe('the Zendesk template (README)', () => {
  it("escapes backslashes with an entity, written as Liquid reads it ('\\' is one backslash)", () => {
    expect(TEXT_FILTERS).toBe("escape | replace: '\\', '&#92;' | newline_to_br | strip_newlines");
    expect(ZENDESK_TEMPLATE).toContain(`"solution": "{{ticket.latest_public_comment | ${TEXT_FILTERS}}}"`);
  });

  for (const flavor of FLAVORS) {
    const name = `Liquid ${flavor.liquid}${flavor.jsonEscapesOutput ? ', output JSON-escaped by the helpdesk' : ''}`;
    it.each(HOSTILE)(`round-trips through the template (${name}): %j`, (text) => {
      const filename = 'Carta "final" \\ v2 – año.pdf';
      const body = renderLiquid(ZENDESK_TEMPLATE, zendeskData(text, filename), flavor);
      // Strict JSON whenever the text has no tab or CR, which no Liquid filter can name.
      if (!hasControls(text) || flavor.jsonEscapesOutput) expect(() => JSON.parse(body)).not.toThrow();
      const event = accepted(zdNormalize(body));
      expect(event.solution.lastPublicReply).toBe(roundTripped(text));
      expect(event.customFields.group).toBe('Cartera "Norte" & Sur');
      expect(event.attachments.map((a) => a.filename)).toEqual([filename, 'b.png']);
      expect(event.attachments[0]?.url).toContain('&x=1');
      expect(event).toMatchObject({
        ticketId: '77',
        caseId: SEED_CASE_IDS.reporteCentrales,
        priority: 'Urgent',
      });
    });
  }

  it('renders no attachments as an empty array', () => {
    const data = { ...zendeskData('ok'), 'ticket.latest_public_comment.attachments': [] };
    const body = renderLiquid(ZENDESK_TEMPLATE, data, FLAVORS[0] ?? { liquid: 5, jsonEscapesOutput: false });
    expect((JSON.parse(body) as { attachments: unknown[] }).attachments).toEqual([]);
  });

  it('without the filters, a quote breaks the body and the 400 says which placeholder', () => {
    const naive = ZENDESK_TEMPLATE.replaceAll(` | ${TEXT_FILTERS}`, '');
    const body = renderLiquid(naive, zendeskData('Dijo "hola"'), { liquid: 5, jsonEscapesOutput: false });
    expect(malformed(() => zdNormalize(body))).toEqual([expect.stringContaining('(in or after "solution")')]);
  });
});

// ───────────────────────────── Freshdesk ─────────────────────────────

const FD_TOKEN = 'fd_unit_test_token';
const freshdesk = freshdeskSource({ operation: 'demo' });
const fdContext = (now = NOW, token = FD_TOKEN) => context({ FRESHDESK_WEBHOOK_TOKEN: token }, now);
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const fdSample = (name: string) => read(`events/freshdesk/${name}`);
const fdNormalize = (body: string | Buffer) =>
  freshdesk.normalize(request(body, { 'x-wolkvox-webhook-token': FD_TOKEN }), fdContext());
function fdVariant(name: string, changes: Record<string, unknown>): string {
  return JSON.stringify({ ...(JSON.parse(fdSample(name).toString()) as object), ...changes });
}

describe('freshdesk verify', () => {
  it.each([
    ['the custom header', { 'x-wolkvox-webhook-token': FD_TOKEN }],
    ['Basic auth with the token as password', { authorization: basic('wolkvox', FD_TOKEN) }],
    ['Basic auth with the token as API-key username', { authorization: basic(FD_TOKEN, 'X') }],
    [
      'a wrong header beside good Basic credentials',
      { 'x-wolkvox-webhook-token': 'nope', authorization: basic('u', FD_TOKEN) },
    ],
  ])('accepts the token in %s', (_name, headers) => {
    expect(() => freshdesk.verify(request('{}', headers), fdContext())).not.toThrow();
  });

  it('accepts any configured token (rotation)', () => {
    const rotated = fdContext(NOW, 'fd_old, fd_new');
    expect(() =>
      freshdesk.verify(request('{}', { 'x-wolkvox-webhook-token': 'fd_new' }), rotated),
    ).not.toThrow();
    expect(() =>
      freshdesk.verify(request('{}', { authorization: basic('w', 'fd_old') }), rotated),
    ).not.toThrow();
  });

  it.each([
    ['a wrong header token', { 'x-wolkvox-webhook-token': 'fd_guess' }],
    ['a token that only shares a prefix', { 'x-wolkvox-webhook-token': `${FD_TOKEN}x` }],
    ['wrong Basic credentials', { authorization: basic('wolkvox', 'fd_guess') }],
    ['Basic credentials that are not base64', { authorization: 'Basic ***' }],
    ['a Bearer token', { authorization: `Bearer ${FD_TOKEN}` }],
    ['nothing', {}],
  ])('refuses %s with a SignatureError (401)', (_name, headers) => {
    let thrown: unknown;
    try {
      freshdesk.verify(request('{}', headers), fdContext());
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SignatureError);
    expect((thrown as SignatureError).status).toBe(401);
  });

  it('refuses everything when no token is configured', () => {
    expect(() =>
      freshdesk.verify(request('{}', { 'x-wolkvox-webhook-token': FD_TOKEN }), context({})),
    ).toThrow(SignatureError);
  });
});

describe('freshdesk normalize', () => {
  it('ticket.resolved.json → the resolved ticket, its HTML reply as plain text', () => {
    expect(accepted(fdNormalize(fdSample('ticket.resolved.json')))).toEqual({
      kind: 'ticket',
      provider: 'freshdesk',
      eventId: '1207:resolved:2024-11-07T15:15:02.000Z',
      ticketId: '1207',
      resolvedAt: '2024-11-07T15:15:02.000Z',
      caseId: SEED_CASE_IDS.acuerdoPago,
      priority: 'Medium',
      caseType: 'Solicitud',
      assignee: { email: 'diana.castro@acme-cobranzas.com' },
      solution: {
        lastPublicReply:
          'Hola María Fernanda,\n\nAprobamos el acuerdo de pago a 12 cuotas de $2.708.333 para el crédito ' +
          'vehicular 2023-77. La primera cuota vence el 05-12-2024.\n\nCordialmente,\nDiana Castro\n' +
          'Acme Cobranzas & Cía.',
      },
      customFields: {
        group: 'Acuerdos de pago',
        ticket_id: '1207',
        ticket_url: 'https://acme.freshdesk.com/helpdesk/tickets/1207',
      },
      attachments: [],
    });
  });

  it('ticket.closed.json is accepted too; ticket.open.json is ignored', () => {
    expect(accepted(fdNormalize(fdSample('ticket.closed.json')))).toMatchObject({
      ticketId: '1189',
      caseId: SEED_CASE_IDS.pazYSalvo,
      priority: 'Urgent',
      resolvedAt: '2024-11-08T14:02:40.000Z',
      solution: {
        lastPublicReply:
          'Carlos, le enviamos el certificado de paz y salvo a carlos.ramirez@example.com.\n' +
          'Cerramos el ticket; si necesita algo más, responda a este correo.',
      },
    });
    expect(fdNormalize(fdSample('ticket.open.json'))).toEqual({
      action: 'ignore',
      reason: 'ticket status is "Open", not resolved or closed',
    });
  });

  it('dates the resolution by the status change, else the last update, else the receipt', () => {
    const updated = fdVariant('ticket.resolved.json', { resolved_at: '' });
    expect(accepted(fdNormalize(updated)).resolvedAt).toBe('2024-11-07T15:15:04.000Z');
    const none = accepted(
      fdNormalize(fdVariant('ticket.resolved.json', { resolved_at: '', updated_at: '' })),
    );
    expect(none.resolvedAt).toBe(NOW.toISOString());
    expect(none.eventId).toBe(`1207:resolved:${NOW.toISOString()}`);
  });

  it('keeps line breaks of a plain-text comment and leaves an unassigned ticket without assignee', () => {
    const event = accepted(
      fdNormalize(
        fdVariant('ticket.resolved.json', { solution: 'Saldo &lt; 100<br />Gracias', agent_email: '' }),
      ),
    );
    expect(event.solution.lastPublicReply).toBe('Saldo < 100\nGracias');
    expect(event.assignee).toBeNull();
  });

  it('round-trips an HTML comment with hostile text through the template (Liquid 2.4.1)', () => {
    const html =
      '<div>Dijo &quot;listo&quot; \\ ruta C:\\new</div>\r\n<div>Saldo &lt; 100 &amp; cuota_2</div>\n<script>x()</script>';
    const data = {
      'ticket.id': 9,
      'ticket.url': 'https://acme.freshdesk.com/helpdesk/tickets/9',
      'ticket.status': 'Resolved',
      'ticket.status_changed_on': new Date('2024-11-07T15:15:02Z'),
      'ticket.modified_on': new Date('2024-11-07T15:15:03Z'),
      'ticket.priority': 'High',
      'ticket.ticket_type': 'Reclamo "formal"',
      'ticket.agent.email': 'diana.castro@acme-cobranzas.com',
      'ticket.cf_wolkvox_id': SEED_CASE_IDS.cobroDoble,
      'ticket.latest_public_comment': html,
      'ticket.group.name': 'Reclamos',
    };
    const body = renderLiquid(FRESHDESK_TEMPLATE, data, { liquid: 2, jsonEscapesOutput: false });
    const event = accepted(fdNormalize(body));
    expect(event).toMatchObject({
      ticketId: '9',
      resolvedAt: '2024-11-07T15:15:02.000Z',
      caseId: SEED_CASE_IDS.cobroDoble,
      priority: 'High',
      caseType: 'Reclamo "formal"',
      solution: { lastPublicReply: 'Dijo "listo" \\ ruta C:\\new\nSaldo < 100 & cuota_2' },
    });
  });

  it('answers 400 with the template hint for a broken body, and names failing paths', () => {
    const broken = fdSample('ticket.resolved.json').toString().replace('Diana Castro', 'Diana "Castro"');
    expect(malformed(() => fdNormalize(broken))).toEqual([
      expect.stringContaining('(in or after "solution")'),
    ]);
    expect(malformed(() => fdNormalize('{"schema_version":"1","ticket_id":"","status":"Resolved"}'))).toEqual(
      [expect.stringMatching(/^ticket_id: /)],
    );
  });
});

// ───────────────────────────── Jira ─────────────────────────────

const JIRA_SECRET = 'jira_unit_test_secret';
const jira = jiraSource({
  operation: 'demo',
  caseIdField: 'customfield_10050',
  solutionField: 'customfield_10060',
});
const jiraContext = (secret = JIRA_SECRET) => context({ JIRA_WEBHOOK_SECRET: secret });
const hub = (body: string | Buffer, secret = JIRA_SECRET) =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
const jiraSample = (name: string) => read(`events/jira/${name}`);
type JiraBody = { issue: { fields: Record<string, unknown> } } & Record<string, unknown>;
const jiraBody = (name: string) => JSON.parse(jiraSample(name).toString()) as JiraBody;
const jiraNormalize = (
  body: string | Buffer | JiraBody,
  source = jira,
  headers: Record<string, string> = {},
) => {
  const bytes = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  return source.normalize(request(bytes, { 'x-hub-signature': hub(bytes), ...headers }), jiraContext());
};

describe('jira verify', () => {
  it("accepts helpdesks.md §3.5's vector, in lower or upper case hex", () => {
    const body = '{"webhookEvent":"jira:issue_updated","issue":{"key":"SD-1"}}';
    const header = 'sha256=1bff11b483929efd514dd876189bde4a610ab31d71a769268e5aba7a2d10cfe9';
    const at = jiraContext('It is a Secret to Everybody');
    expect(() => jira.verify(request(body, { 'x-hub-signature': header }), at)).not.toThrow();
    expect(() =>
      jira.verify(request(body, { 'x-hub-signature': `sha256=${header.slice(7).toUpperCase()}` }), at),
    ).not.toThrow();
  });

  it('accepts any configured secret (rotation)', () => {
    const body = jiraSample('issue_updated.done.json');
    const signed = request(body, { 'x-hub-signature': hub(body, 'jira_new') });
    expect(() => jira.verify(signed, jiraContext('jira_old,jira_new'))).not.toThrow();
  });

  const body = '{"webhookEvent":"jira:issue_updated"}';
  it.each([
    ['a forged signature (another secret)', request(body, { 'x-hub-signature': hub(body, 'other') })],
    ['a tampered body', request(`${body} `, { 'x-hub-signature': hub(body) })],
    ['a sha1 signature', request(body, { 'x-hub-signature': `sha1=${hub(body).slice(7)}` })],
    ['a header without algorithm', request(body, { 'x-hub-signature': hub(body).slice(7) })],
    ['no header', request(body)],
  ])('refuses %s', (_name, signed) => {
    expect(() => jira.verify(signed, jiraContext())).toThrow(SignatureError);
  });

  it('refuses everything when no secret is configured', () => {
    expect(() => jira.verify(request(body, { 'x-hub-signature': hub(body) }), context({}))).toThrow(
      SignatureError,
    );
  });
});

describe('jira normalize', () => {
  it('issue_updated.done.json → the resolved issue, every solution candidate, its attachment', () => {
    expect(accepted(jiraNormalize(jiraSample('issue_updated.done.json')))).toEqual({
      kind: 'ticket',
      provider: 'jira',
      eventId: 'COB-142:1730911330171',
      ticketId: 'COB-142',
      resolvedAt: '2024-11-06T16:42:10.123Z',
      caseId: SEED_CASE_IDS.cobroDoble,
      priority: 'High',
      caseType: 'Incident',
      assignee: { id: '5b10ac8d82e05b22cc7d4ef5', email: 'andres.rojas@acme-cobranzas.com' },
      solution: {
        resolution:
          'Se confirmó el doble cobro de la cuota de octubre.\nReverso aplicado el 06-11-2024 por COP 185.000 (ver adjunto).',
        // The internal (jsdPublic: false) comment is skipped.
        lastPublicReply:
          'María Fernanda, el reverso por $185.000 ya está aplicado; lo verá en su próximo extracto.',
      },
      customFields: {
        ticket_id: 'COB-142',
        ticket_url: 'https://acme.atlassian.net/browse/COB-142',
        resolution: 'Done',
      },
      attachments: [
        {
          filename: 'reverso-cobro-doble.txt',
          url: 'https://acme.atlassian.net/rest/api/3/attachment/content/10042',
          contentType: 'text/plain',
          size: 178,
        },
      ],
    });
  });

  it('takes the delivery identifier as the event id when Jira sends one', () => {
    const headers = { 'x-atlassian-webhook-identifier': '3f9c2a1e-77b0-4c1d-9e2f-5a6b7c8d9e0f' };
    const event = accepted(jiraNormalize(jiraSample('issue_updated.done.json'), jira, headers));
    expect(event.eventId).toBe('3f9c2a1e-77b0-4c1d-9e2f-5a6b7c8d9e0f');
  });

  it('issue_updated.done.comment-only.json → the transition comment, and an assignee known by accountId only', () => {
    const event = accepted(jiraNormalize(jiraSample('issue_updated.done.comment-only.json')));
    const comment =
      'Acuerdo de pago aprobado: 12 cuotas de $2.708.333, primera el 05-12-2024.\npor favor archivar el pagaré firmado.';
    expect(event).toMatchObject({
      ticketId: 'COB-157',
      caseId: SEED_CASE_IDS.acuerdoPago,
      priority: 'Medium',
      caseType: 'Service request',
      assignee: { id: '712020:3f1c9a7e-5d2b-4c8e-9a61-0b7d4e2f8c15' },
    });
    expect(event.assignee).toEqual({ id: '712020:3f1c9a7e-5d2b-4c8e-9a61-0b7d4e2f8c15' });
    expect(event.solution).toEqual({ closingNote: comment, lastPublicReply: comment });
  });

  it('ignores other events, a change to a status outside the done category, and updates without a status change', () => {
    expect(jiraNormalize(jiraSample('issue_updated.in-progress.json'))).toEqual({
      action: 'ignore',
      reason: 'status changed to "In Progress" (category indeterminate), not a done status',
    });
    expect(jiraNormalize(jiraSample('issue_updated.no-status-change.json'))).toEqual({
      action: 'ignore',
      reason: 'the update changed no status',
    });
    const created = { ...jiraBody('issue_updated.done.json'), webhookEvent: 'jira:issue_created' };
    expect(jiraNormalize(created)).toEqual({
      action: 'ignore',
      reason: 'webhookEvent jira:issue_created is not an issue update',
    });
    expect(jiraNormalize('{"webhookEvent":"comment_created","comment":{"body":"x"}}')).toMatchObject({
      action: 'ignore',
    });
  });

  it('reads the case id from a select list, and parks a missing or malformed one', () => {
    const body = jiraBody('issue_updated.done.json');
    const withField = (value: unknown) => {
      body.issue.fields.customfield_10050 = value;
      return accepted(jiraNormalize(body));
    };
    expect(withField({ id: '10201', value: SEED_CASE_IDS.reporteCentrales }).caseId).toBe(
      SEED_CASE_IDS.reporteCentrales,
    );
    expect(withField(null)).toMatchObject({
      caseId: null,
      targetProblem: 'issue.fields.customfield_10050 is empty: the ticket names no wolkvox case',
    });
    expect(withField('QUE-1002')).toMatchObject({
      caseId: null,
      targetProblem: expect.stringContaining('"QUE-1002" is not a wolkvox case id'),
    });
  });

  it('reads rich text (ADF) in the solution field and in comments, and skips an empty field', () => {
    const body = jiraBody('issue_updated.done.json');
    body.issue.fields.customfield_10060 = {
      type: 'doc',
      version: 1,
      content: [
        {
          type: 'paragraph',
          content: [
            { type: 'text', text: 'Reverso ', marks: [{ type: 'strong' }] },
            { type: 'text', text: 'aplicado.' },
          ],
        },
      ],
    };
    expect(accepted(jiraNormalize(body)).solution.resolution).toBe('Reverso aplicado.');

    body.issue.fields.customfield_10060 = { type: 'doc', version: 1, content: [] };
    body.issue.fields.comment = {
      comments: [
        {
          body: {
            type: 'doc',
            version: 1,
            content: [{ type: 'paragraph', content: [{ type: 'text', text: 'Listo' }] }],
          },
        },
      ],
    };
    expect(accepted(jiraNormalize(body)).solution).toEqual({ lastPublicReply: 'Listo' });
  });

  it('uses no solution field unless one is configured, and parks everything without a case id field', () => {
    const plain = jiraSource({ operation: 'demo', caseIdField: 'customfield_10050' });
    const event = accepted(jiraNormalize(jiraSample('issue_updated.done.json'), plain));
    expect(event.solution.resolution).toBeUndefined();
    expect(event.solution.lastPublicReply).toMatch(/^María Fernanda/);
    const unset = jiraSource({ operation: 'demo', caseIdField: ' ' });
    expect(accepted(jiraNormalize(jiraSample('issue_updated.done.json'), unset))).toMatchObject({
      caseId: null,
      targetProblem: expect.stringContaining('JIRA_CASE_ID_FIELD is not set'),
    });
  });

  it('dates the resolution by resolutiondate, else the webhook timestamp', () => {
    const body = jiraBody('issue_updated.done.json');
    body.issue.fields.resolutiondate = null;
    expect(accepted(jiraNormalize(body)).resolvedAt).toBe(new Date(1730911330171).toISOString());
    delete body.timestamp;
    expect(malformed(() => jiraNormalize(body))).toEqual([
      'timestamp: required when issue.fields.resolutiondate is empty',
    ]);
  });

  it('names the failing paths of a malformed payload', () => {
    const body = jiraBody('issue_updated.done.json');
    body.issue.fields.status = { name: 'Resolved' };
    expect(malformed(() => jiraNormalize(body))).toEqual([
      expect.stringMatching(/^issue\.fields\.status\.statusCategory: /),
    ]);

    const attachment = jiraBody('issue_updated.done.json');
    attachment.issue.fields.attachment = [{ filename: 'x.txt', content: '/relative', size: 1 }];
    expect(malformed(() => jiraNormalize(attachment))).toEqual([
      expect.stringMatching(/^issue\.fields\.attachment\.0\.content: /),
    ]);
    expect(
      malformed(() =>
        jiraNormalize('{"webhookEvent":"jira:issue_updated","changelog":{"items":[{"field":"status"}]}}'),
      ),
    ).toEqual([expect.stringMatching(/^issue: /)]);
    expect(malformed(() => jiraNormalize('not json'))).toEqual([expect.stringContaining('not valid JSON')]);
  });
});

// ───────────────────────────── Text ─────────────────────────────

describe('text conversions', () => {
  it('turns Atlassian Document Format into plain text', () => {
    const doc = {
      type: 'doc',
      version: 1,
      content: [
        { type: 'heading', attrs: { level: 2 }, content: [{ type: 'text', text: 'Resumen' }] },
        {
          type: 'paragraph',
          content: [
            { type: 'text', text: 'Hola ' },
            { type: 'mention', attrs: { id: '5b10', text: '@Andrés Rojas' } },
            { type: 'text', text: ', listo ' },
            { type: 'emoji', attrs: { shortName: ':thumbsup:', text: '👍' } },
            { type: 'hardBreak' },
            { type: 'text', text: 'ver ', marks: [{ type: 'em' }] },
            { type: 'inlineCard', attrs: { url: 'https://acme.atlassian.net/browse/COB-1' } },
          ],
        },
        {
          type: 'bulletList',
          content: [
            { type: 'listItem', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'uno' }] }] },
            { type: 'listItem', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'dos' }] }] },
          ],
        },
        {
          type: 'orderedList',
          attrs: { order: 3 },
          content: [
            { type: 'listItem', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'tres' }] }] },
          ],
        },
        { type: 'codeBlock', attrs: { language: 'sql' }, content: [{ type: 'text', text: 'SELECT 1;' }] },
        { type: 'mediaSingle', content: [{ type: 'media', attrs: { id: 'x', type: 'file' } }] },
        { type: 'rule' },
        {
          type: 'table',
          content: [
            {
              type: 'tableRow',
              content: [
                {
                  type: 'tableHeader',
                  content: [{ type: 'paragraph', content: [{ type: 'text', text: 'Cuota' }] }],
                },
                {
                  type: 'tableHeader',
                  content: [{ type: 'paragraph', content: [{ type: 'text', text: 'Valor' }] }],
                },
              ],
            },
          ],
        },
        { type: 'paragraph', content: [] },
        { type: 'unknownBlock', content: [{ type: 'text', text: 'fin' }] },
      ],
    };
    expect(adfToText(doc)).toBe(
      'Resumen\nHola @Andrés Rojas, listo 👍\nver https://acme.atlassian.net/browse/COB-1\n- uno\n- dos\n3. tres\nSELECT 1;\n\n---\nCuota | Valor\n\nfin',
    );
    expect(adfToText(null)).toBe('');
    expect(adfToText({ type: 'doc', content: 'not a list' })).toBe('');
  });

  it('turns Jira wiki markup into plain text without eating ordinary punctuation', () => {
    const wiki =
      'h2. Resumen\n*Pago* aplicado a la cuota_2 de 5 * 3 y _importante_\n' +
      '[ver extracto|https://acme.example/x] {color:red}urgente{color} [~accountid:5b10ac8d]\n' +
      '!captura.png|thumbnail!¡Listo!\n* uno\n# dos\n{{monospace}} {code:sql}SELECT 1{code}';
    expect(jiraWikiToText(wiki)).toBe(
      'Resumen\nPago aplicado a la cuota_2 de 5 * 3 y importante\nver extracto urgente\n¡Listo!\n- uno\n- dos\nmonospace SELECT 1',
    );
  });

  it('turns HTML into plain text: blocks and breaks as lines, scripts dropped, entities decoded', () => {
    expect(
      htmlToText(
        '<p>Hola&nbsp;Ana,</p>\n<p>Saldo &lt; 100 &amp;\n  cuota</p><ul><li>a</li><li>b</li></ul><script>x()</script><!-- n -->&eacute;&#233;&#xE9;&bogus;',
      ),
    ).toBe('Hola Ana,\nSaldo < 100 & cuota\n\n- a\n- b\nééé&bogus;');
  });

  it.each([
    ['2013-12-12T05:35Z', '2013-12-12T05:35:00.000Z'],
    ['2024-11-06T15:42:10.123-0500', '2024-11-06T20:42:10.123Z'],
    ['2024-11-06T15:42:10-05:00', '2024-11-06T20:42:10.000Z'],
    ['2024-11-05 17:30:00 UTC', '2024-11-05T17:30:00.000Z'],
    ['2019-05-25T01:23:45.465719851Z', '2019-05-25T01:23:45.465Z'],
    ['2024-11-07T10:15:02+0530', '2024-11-07T04:45:02.000Z'],
  ])('reads the instant %s', (value, iso) => {
    expect(parseInstant(value)).toBe(iso);
  });

  it.each(['', 'ayer', '2024-02-30T00:00:00Z', '2024-11-06', '1730911330', '2024-13-01T00:00:00Z'])(
    'refuses %j as an instant',
    (value) => {
      expect(parseInstant(value)).toBeUndefined();
    },
  );
});

// ───────────────────────────── Registry and samples ─────────────────────────────

describe('ticketSources', () => {
  it('serves zendesk, freshdesk and jira under their slugs', () => {
    const sources = ticketSources({
      operation: 'demo',
      zendesk: { toleranceSeconds: 120 },
      jira: { caseIdField: 'customfield_10050' },
    });
    expect(Object.keys(sources).sort()).toEqual(['freshdesk', 'jira', 'zendesk']);
    for (const [slug, source] of Object.entries(sources)) expect(source.slug).toBe(slug);
    // The configured tolerance, not the default, applies.
    const stale = zdSigned('{}', { timestamp: '2024-11-06T15:57:59Z' });
    expect(() => sources.zendesk?.verify(stale, zdContext())).toThrow(SignatureError);
  });
});

interface CatalogEntry {
  file: string;
  family: string;
  provider: string;
  expect: 'applied' | 'ignored' | 'parked';
  target?: { caseId: string };
}

describe('ticket samples in events/catalog.json', () => {
  const catalog = (JSON.parse(read('events/catalog.json').toString()) as CatalogEntry[]).filter(
    (entry) => entry.family === 'tickets',
  );
  const sources = { zendesk, freshdesk, jira };
  const normalizeSample = (entry: CatalogEntry) => {
    const body = read(entry.file);
    if (entry.provider === 'zendesk') return zdNormalize(body);
    if (entry.provider === 'freshdesk') return fdNormalize(body);
    return jiraNormalize(body);
  };

  it('covers every helpdesk with applied, ignored and parked samples on seeded cases', () => {
    expect(new Set(catalog.map((e) => e.provider))).toEqual(new Set(Object.keys(sources)));
    expect(new Set(catalog.map((e) => e.expect))).toEqual(new Set(['applied', 'ignored', 'parked']));
    const seeded: string[] = Object.values(SEED_CASE_IDS);
    for (const entry of catalog) if (entry.target) expect(seeded, entry.file).toContain(entry.target.caseId);
  });

  it('behaves as each entry expects', () => {
    for (const entry of catalog) {
      const decision = normalizeSample(entry);
      if (entry.expect === 'ignored') {
        expect(decision.action, entry.file).toBe('ignore');
        continue;
      }
      const event = accepted(decision);
      const solution = [
        event.solution.resolution,
        event.solution.closingNote,
        event.solution.lastPublicReply,
      ].find((text) => text?.trim());
      if (entry.expect === 'applied') {
        expect(event.caseId, entry.file).toBe(entry.target?.caseId);
        expect(solution, entry.file).toBeDefined();
      } else {
        expect(event.caseId === null || solution === undefined, entry.file).toBe(true);
        if (entry.target) expect(event.caseId, entry.file).toBe(entry.target.caseId);
      }
    }
  });

  it("points every attachment at a file in events/attachments, with the file's size and type", () => {
    const index = JSON.parse(read('events/attachments/index.json').toString()) as Record<string, string>;
    const types: Record<string, string> = { pdf: 'application/pdf', png: 'image/png', txt: 'text/plain' };
    let count = 0;
    for (const entry of catalog) {
      const decision = normalizeSample(entry);
      if (decision.action !== 'accept') continue;
      for (const attachment of decision.event.attachments) {
        const url = new URL(attachment.url);
        const name =
          url.searchParams.get('name') ?? index[url.pathname] ?? url.pathname.split('/').at(-1) ?? '';
        expect(name, attachment.url).toBe(attachment.filename);
        const file = read(`events/attachments/${name}`);
        expect(attachment.size, name).toBe(file.length);
        expect(attachment.contentType, name).toBe(types[name.split('.').at(-1) ?? '']);
        count++;
      }
    }
    expect(count).toBe(3);
    expect(read('events/attachments/paz-y-salvo.pdf').subarray(0, 8).toString()).toBe('%PDF-1.4');
    expect(read('events/attachments/soporte-pago.png').subarray(1, 4).toString()).toBe('PNG');
  });
});

describe('README', () => {
  it('publishes exactly the templates the sources are tested against', async () => {
    const { readFile } = await import('node:fs/promises');
    const { ZENDESK_TEMPLATE, FRESHDESK_TEMPLATE } = await import('#lib/sources/tickets/templates.ts');
    const readme = await readFile('README.md', 'utf8');
    expect(readme).toContain(ZENDESK_TEMPLATE.trimEnd());
    expect(readme).toContain(FRESHDESK_TEMPLATE.trimEnd());
  });
});
