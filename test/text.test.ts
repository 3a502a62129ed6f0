import { describe, expect, it } from 'vitest';
import { parseInstant } from '#lib/providers/tickets/common.ts';
import { adfToText, htmlToText, jiraWikiToText } from '#lib/providers/tickets/text.ts';

// Text conversions shared by the helpdesks (lib/sources/tickets/text.ts, shared.ts); each helpdesk's
// own tests are in test/providers/tickets/, and hostile input in test/text-hostile.test.ts.

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
    ['2024-02-29T23:59:59.9-00:30', '2024-03-01T00:29:59.900Z'],
    ['2024-12-31 23:00 gmt', '2024-12-31T23:00:00.000Z'],
    ['2000-02-29T12:00Z', '2000-02-29T12:00:00.000Z'],
    ['2024-04-30T08:00:00Z', '2024-04-30T08:00:00.000Z'],
  ])('reads the instant %s', (value, iso) => {
    expect(parseInstant(value)).toBe(iso);
  });

  it.each([
    '',
    'ayer',
    '2024-02-30T00:00:00Z',
    '2023-02-29T00:00:00Z',
    '2100-02-29T00:00:00Z',
    '2024-04-31T00:00:00Z',
    '2024-00-10T00:00:00Z',
    '2024-01-00T00:00:00Z',
    '2024-11-06',
    '1730911330',
    '2024-13-01T00:00:00Z',
    '2024-11-06T24:00:00Z',
    '2024-11-06T10:60:00Z',
  ])('refuses %j as an instant', (value) => {
    expect(parseInstant(value)).toBeUndefined();
  });
});
