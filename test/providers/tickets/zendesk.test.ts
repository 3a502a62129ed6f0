import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SignatureError } from '#lib/http/errors.ts';
import { LOCAL_OPERATION } from '#lib/local/defaults.ts';
import { SEED_CASE_IDS } from '#lib/sandbox/seed.ts';
import { TEXT_FILTERS } from '#lib/providers/tickets/template.ts';
import zendeskCode from '#lib/providers/tickets/zendesk/provider.ts';
import { ZENDESK_EXAMPLE_FIELD_ID, ZENDESK_TEMPLATE } from '#lib/providers/tickets/zendesk/template.ts';
import type { RawRequest, ProviderContext } from '#lib/providers/types.ts';
import { FLAVORS, HOSTILE, hasControls, renderLiquid, roundTripped } from '../../support/liquid.ts';
import { runProviderContract, settled, sourceContext } from '../../support/provider-contract.ts';
import { accepted, malformed, readRequest, request } from '../../support/provider-requests.ts';

const NOW = new Date('2024-11-06T16:00:00Z');
const CONTRACT_NOW = new Date('2026-11-23T12:00:00Z');

runProviderContract('zendesk', {
  source: () =>
    zendeskCode.create({ operation: LOCAL_OPERATION, toleranceSeconds: 300, subdomain: undefined }),
  now: CONTRACT_NOW,
});

const read = (file: string) => readFileSync(new URL(`../../../${file}`, import.meta.url));
const context = (secrets: Record<string, string>, now = NOW): ProviderContext => sourceContext(secrets, now);

const ZD_SECRET = 'zd_unit_test_secret';
const zendesk = zendeskCode.create({ operation: 'demo', toleranceSeconds: 300, subdomain: undefined });
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
  readRequest(zendesk, zdSigned(body, { headers }), zdContext());

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
  ])("accepts helpdesks.md §1.6's verified vector at %s", async (timestamp, body, signature) => {
    const signed = request(body, {
      'x-zendesk-webhook-signature': signature,
      'x-zendesk-webhook-signature-timestamp': timestamp,
    });
    await expect(
      settled(() => zendesk.verify(signed, zdContext(new Date(timestamp), TEST_SECRET))),
    ).resolves.toBeDefined();
    await expect(
      settled(() => zendesk.verify(signed, zdContext(new Date(timestamp), 'another-secret'))),
    ).rejects.toThrow(SignatureError);
  });

  it('signs timestamp + body, not the old page\'s body + timestamp (the §1.6 "trap")', async () => {
    const secret = 'HRkRd4BeOAoUkfZr-mhauJT64rvBASlJRoIyPsd3zeA=';
    const timestamp = '2021-07-25T10:00:00Z';
    const at = zdContext(new Date(timestamp), secret);
    const withSignature = (signature: string) =>
      request('{"say": "hello"}', {
        'x-zendesk-webhook-signature': signature,
        'x-zendesk-webhook-signature-timestamp': timestamp,
      });
    await expect(
      settled(() => zendesk.verify(withSignature('tRDSF7URY8BLCDlaBcQ7FHu051Zk+aAB0NKMP53teMw='), at)),
    ).rejects.toThrow(SignatureError);
    await expect(
      settled(() => zendesk.verify(withSignature('Rry/4TtIdFyawtXXp8QdI6tlAUUQ/5kL1OTp5qo/ZIk='), at)),
    ).resolves.toBeDefined();
  });

  it('accepts a good signature and any configured secret (rotation)', async () => {
    const body = zdSample('ticket.solved.json');
    await expect(settled(() => zendesk.verify(zdSigned(body), zdContext()))).resolves.toBeDefined();
    const rotated = zdContext(NOW, 'zd_old_secret, zd_new_secret');
    await expect(
      settled(() => zendesk.verify(zdSigned(body, { secret: 'zd_new_secret' }), rotated)),
    ).resolves.toBeDefined();
    await expect(
      settled(() => zendesk.verify(zdSigned(body, { secret: 'zd_old_secret' }), rotated)),
    ).resolves.toBeDefined();
  });

  it('accepts timestamps 299 s either side of now, with the default tolerance too', async () => {
    const at = (seconds: number) =>
      new Date(NOW.getTime() + seconds * 1000).toISOString().replace('.000', '');
    for (const source of [
      zendesk,
      zendeskCode.create({ operation: 'demo', toleranceSeconds: 300, subdomain: undefined }),
    ]) {
      await expect(
        settled(() => source.verify(zdSigned('{}', { timestamp: at(-299) }), zdContext())),
      ).resolves.toBeDefined();
      await expect(
        settled(() => source.verify(zdSigned('{}', { timestamp: at(299) }), zdContext())),
      ).resolves.toBeDefined();
      await expect(
        settled(() => source.verify(zdSigned('{}', { timestamp: at(-301) }), zdContext())),
      ).rejects.toThrow(SignatureError);
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
  ])('refuses %s', async (_name, signed) => {
    await expect(settled(() => zendesk.verify(signed, zdContext()))).rejects.toThrow(SignatureError);
  });

  it('refuses everything when no secret is configured', async () => {
    await expect(settled(() => zendesk.verify(zdSigned(body), context({})))).rejects.toThrow(SignatureError);
  });
});

describe('zendesk normalize', () => {
  it('ticket.solved.json → the resolved ticket with its reply and both attachments', async () => {
    expect(accepted(await zdNormalize(zdSample('ticket.solved.json')))).toEqual({
      kind: 'ticket',
      provider: 'zendesk',
      eventId: '4821:2024-11-06T15:42:00.000Z',
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

  it('takes the event id from signed values only, not the (unsigned) invocation id header', async () => {
    const event = accepted(
      await zdNormalize(zdSample('ticket.solved.json'), { 'x-zendesk-webhook-invocation-id': '8350205582' }),
    );
    expect(event.eventId).toBe('4821:2024-11-06T15:42:00.000Z');
  });

  it('reads the other solved samples', async () => {
    expect(accepted(await zdNormalize(zdSample('ticket.solved.no-attachments.json')))).toMatchObject({
      ticketId: '4835',
      caseId: SEED_CASE_IDS.cobroDoble,
      priority: 'High',
      caseType: 'Incident',
      assignee: { email: 'andres.rojas@acme-cobranzas.com' },
      solution: { lastPublicReply: expect.stringMatching(/^María Fernanda, confirmamos el doble cobro/) },
      attachments: [],
    });
    const tricky = accepted(await zdNormalize(zdSample('ticket.solved.tricky-text.json')));
    expect(tricky.solution.lastPublicReply).toBe(
      'Jorge, revisamos el reporte "negativo" en Datacrédito y TransUnion:\n' +
        '- Acuerdo de pago firmado el 20/10/2024 (ver carpeta \\\\srv-cobranzas\\acuerdos\\2024).\n' +
        '- Pedimos la actualización a "al día" desde el 05-11-2024.\n' +
        "Saldo pendiente < $100.000 & > $0 → 0 cuotas vencidas. It's done 👍 <br /> no es un salto",
    );
    expect(tricky).toMatchObject({ caseId: SEED_CASE_IDS.reporteCentrales, priority: 'Urgent' });
    // No reply: the event is still a resolution, with no solution candidate (the translation parks it).
    const silent = accepted(await zdNormalize(zdSample('ticket.solved.no-solution.json')));
    expect(silent).toMatchObject({ caseId: SEED_CASE_IDS.horarioAtencion, priority: 'Low', solution: {} });
    expect(silent.solution).toEqual({});
  });

  it('ignores a ticket that is not solved or closed, and accepts both in any case', async () => {
    expect(await zdNormalize(zdSample('ticket.pending.json'))).toEqual({
      action: 'ignore',
      reason: 'ticket status is "Pending", not solved or closed',
    });
    for (const status of ['closed', 'SOLVED', ' Solved ']) {
      expect((await zdNormalize(zdVariant('ticket.solved.json', { status }))).action).toBe('accept');
    }
  });

  it('reads a body in one pass: off-template fields only ignored when not solved, else every problem at once', async () => {
    // The shared fields (priority) and Zendesk's own (updated_at, attachments) wrong together.
    const off = { priority: 7, updated_at: 42, attachments: 'none' };
    expect(await zdNormalize(zdVariant('ticket.pending.json', off))).toEqual({
      action: 'ignore',
      reason: 'ticket status is "Pending", not solved or closed',
    });
    expect(await malformed(() => zdNormalize(zdVariant('ticket.solved.json', off)))).toEqual([
      expect.stringMatching(/^priority: /),
      expect.stringMatching(/^updated_at: /),
      expect.stringMatching(/^attachments: /),
    ]);
    // And the envelope's problem first, when it is the envelope that is off.
    expect(
      await malformed(() => zdNormalize(zdVariant('ticket.solved.json', { ...off, schema_version: '2' }))),
    ).toEqual([expect.stringMatching(/^schema_version: /)]);
  });

  it('has no case, with the reason, when the wolkvox id is empty, malformed or for another operation', async () => {
    expect(accepted(await zdNormalize(zdSample('ticket.solved.no-case.json')))).toMatchObject({
      caseId: null,
      targetProblem:
        'wolkvox_id (the ticket field named in the trigger body) is empty: the ticket names no wolkvox case',
    });
    expect(
      accepted(await zdNormalize(zdVariant('ticket.solved.json', { wolkvox_id: 'REQ-1001' }))),
    ).toMatchObject({
      caseId: null,
      targetProblem: expect.stringContaining('"REQ-1001" is not a wolkvox case id'),
    });
    expect(
      accepted(
        await zdNormalize(zdVariant('ticket.solved.json', { wolkvox_id: ' 65B2C3D4E5F6A7B8C9D0E101 ' })),
      ).caseId,
    ).toBe(SEED_CASE_IDS.pazYSalvo);
    expect(
      accepted(await zdNormalize(zdVariant('ticket.solved.json', { wolkvox_operation: 'otra' }))),
    ).toMatchObject({ caseId: null, targetProblem: expect.stringContaining('"otra"') });
    expect(
      accepted(await zdNormalize(zdVariant('ticket.solved.json', { wolkvox_operation: 'demo' }))).caseId,
    ).toBe(SEED_CASE_IDS.pazYSalvo);
  });

  it('takes an optional resolution field, and treats "-" and "" as no priority or type', async () => {
    const event = accepted(
      await zdNormalize(
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

  it('uses the signature timestamp when the body has no updated_at', async () => {
    const body = zdVariant('ticket.solved.json', { updated_at: '' });
    const event = accepted(await zdNormalize(body));
    expect(event.resolvedAt).toBe('2024-11-06T16:00:00.000Z');
    expect(event.eventId).toBe('4821:2024-11-06T16:00:00.000Z');
  });

  it('answers 400 naming where a broken body broke, with the template hint', async () => {
    const broken = zdSample('ticket.solved.json').toString().replace('Hola Carlos,', 'Hola "Carlos",');
    const problems = await malformed(async () => await zdNormalize(broken));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^\(body\): not valid JSON at position \d+ \(in or after "solution"\) — a placeholder value may contain an unescaped quote or newline; use the template in the guide \(docs\/providers\/\)$/,
    );
    const position = Number(/position (\d+)/.exec(problems[0] ?? '')?.[1]);
    expect(broken.slice(position, position + 7)).toBe('Carlos"');

    const truncated = zdSample('ticket.solved.json').subarray(0, 200);
    expect((await malformed(async () => await zdNormalize(truncated)))[0]).toMatch(
      /^\(body\): not valid JSON at position 200 /,
    );
  });

  it('reports the real break, not a repaired tab, when both occur', async () => {
    const body = '{"schema_version":"1","ticket_id":"1","status":"Solved","solution":"a\tb "c" d"}';
    const problems = await malformed(async () => await zdNormalize(body));
    expect(problems[0]).toContain(`position ${body.indexOf('c" d')} (in or after "solution")`);
  });

  it('names the failing paths of a body that does not match the template', async () => {
    expect(
      await malformed(
        async () => await zdNormalize(zdVariant('ticket.solved.json', { schema_version: '2' })),
      ),
    ).toEqual(['schema_version: expected "1" (the guide\'s template)']);
    expect(
      await malformed(async () => await zdNormalize('{"schema_version":"1","status":"Solved"}')),
    ).toEqual([expect.stringMatching(/^ticket_id: /)]);
    expect(await malformed(async () => await zdNormalize('[]'))).toEqual([
      expect.stringMatching(/^\(body\): /),
    ]);
    const attachments = [
      { file_name: 'a.pdf', content_url: 'not a url', content_type: '', size: '' },
      { file_name: 'b.pdf', content_url: 'https://acme.zendesk.com/b', size: 'doce' },
    ];
    expect(
      await malformed(async () => await zdNormalize(zdVariant('ticket.solved.json', { attachments }))),
    ).toEqual([expect.stringMatching(/^attachments\.1\.size: /)]);
    expect(
      await malformed(
        async () =>
          await zdNormalize(zdVariant('ticket.solved.json', { attachments: attachments.slice(0, 1) })),
      ),
    ).toEqual(['attachments.0.content_url: not an http(s) URL']);
    expect(
      await malformed(async () => await zdNormalize(zdVariant('ticket.solved.json', { updated_at: 'ayer' }))),
    ).toEqual([expect.stringMatching(/^updated_at: not an ISO 8601 time/)]);
  });

  it('names an attachment after its URL when the template sent no file name, and drops blank metadata', async () => {
    const attachments = [
      {
        file_name: '',
        content_url: 'https://acme.zendesk.com/attachments/token/t/?name=acta.pdf',
        content_type: '',
        size: '',
      },
    ];
    expect(accepted(await zdNormalize(zdVariant('ticket.solved.json', { attachments }))).attachments).toEqual(
      [{ filename: 'acta.pdf', url: 'https://acme.zendesk.com/attachments/token/t/?name=acta.pdf' }],
    );
  });
});

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
  it("escapes backslashes with an entity, written as Liquid reads it ('\\' is one backslash)", async () => {
    expect(TEXT_FILTERS).toBe("escape | replace: '\\', '&#92;' | newline_to_br | strip_newlines");
    expect(ZENDESK_TEMPLATE).toContain(`"solution": "{{ticket.latest_public_comment | ${TEXT_FILTERS}}}"`);
  });

  for (const flavor of FLAVORS) {
    const name = `Liquid ${flavor.liquid}${flavor.jsonEscapesOutput ? ', output JSON-escaped by the helpdesk' : ''}`;
    it.each(HOSTILE)(`round-trips through the template (${name}): %j`, async (text) => {
      const filename = 'Carta "final" \\ v2 – año.pdf';
      const body = renderLiquid(ZENDESK_TEMPLATE, zendeskData(text, filename), flavor);
      // Strict JSON whenever the text has no tab or CR, which no Liquid filter can name.
      if (!hasControls(text) || flavor.jsonEscapesOutput) expect(() => JSON.parse(body)).not.toThrow();
      const event = accepted(await zdNormalize(body));
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

  it('renders no attachments as an empty array', async () => {
    const data = { ...zendeskData('ok'), 'ticket.latest_public_comment.attachments': [] };
    const body = renderLiquid(ZENDESK_TEMPLATE, data, FLAVORS[0] ?? { liquid: 5, jsonEscapesOutput: false });
    expect((JSON.parse(body) as { attachments: unknown[] }).attachments).toEqual([]);
  });

  it('without the filters, a quote breaks the body and the 400 says which placeholder', async () => {
    const naive = ZENDESK_TEMPLATE.replaceAll(` | ${TEXT_FILTERS}`, '');
    const body = renderLiquid(naive, zendeskData('Dijo "hola"'), { liquid: 5, jsonEscapesOutput: false });
    expect(await malformed(async () => await zdNormalize(body))).toEqual([
      expect.stringContaining('(in or after "solution")'),
    ]);
  });
});
