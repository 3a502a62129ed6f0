import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SignatureError } from '#lib/http/errors.ts';
import { LOCAL_OPERATION, LOCAL_SETTINGS } from '#lib/local/defaults.ts';
import { SEED_CASE_IDS } from '#lib/sandbox/seed.ts';
import jiraCode, { restampJira } from '#lib/providers/tickets/jira/provider.ts';
import type { JiraSettings } from '#lib/providers/tickets/jira/settings.ts';
import type { ProviderContext } from '#lib/providers/types.ts';
import { runProviderContract, settled, sourceContext } from '../../support/provider-contract.ts';
import { accepted, malformed, readRequest, request } from '../../support/provider-requests.ts';

const jiraSource = (settings: Partial<JiraSettings> & { operation?: string }) =>
  jiraCode.create({
    operation: 'demo',
    site: undefined,
    caseIdField: undefined,
    solutionField: undefined,
    maxAgeSeconds: 172_800,
    ...settings,
  });

/** After the samples' deliveries (2024-11-06 to 08), inside JIRA_MAX_AGE_SECONDS of all of them. */
const NOW = new Date('2024-11-08T14:00:00Z');
const CONTRACT_NOW = new Date('2026-11-23T12:00:00Z');

runProviderContract('jira', {
  source: () =>
    jiraSource({
      operation: LOCAL_OPERATION,
      caseIdField: LOCAL_SETTINGS.JIRA_CASE_ID_FIELD,
      solutionField: LOCAL_SETTINGS.JIRA_SOLUTION_FIELD,
      maxAgeSeconds: 172_800,
    }),
  now: CONTRACT_NOW,
});

const read = (file: string) => readFileSync(new URL(`../../../${file}`, import.meta.url));
const context = (secrets: Record<string, string>, now = NOW): ProviderContext => sourceContext(secrets, now);

const JIRA_SECRET = 'jira_unit_test_secret';
const jira = jiraSource({
  operation: 'demo',
  caseIdField: 'customfield_10050',
  solutionField: 'customfield_10060',
  maxAgeSeconds: 172_800,
});
const jiraContext = (secret = JIRA_SECRET) => context({ JIRA_WEBHOOK_SECRET: secret });

/** A delivery made at NOW: its signed timestamp set (or added) the way Jira stamps one. */
function stamped(bytes: string): string {
  try {
    const parsed = JSON.parse(bytes) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed) && !('timestamp' in parsed)) {
      return JSON.stringify({ timestamp: NOW.getTime(), ...parsed });
    }
  } catch {
    return bytes;
  }
  return restampJira(bytes, NOW);
}
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
  const bytes = stamped(
    typeof body === 'string' || Buffer.isBuffer(body) ? body.toString() : JSON.stringify(body),
  );
  return readRequest(source, request(bytes, { 'x-hub-signature': hub(bytes), ...headers }), jiraContext());
};

describe('jira verify', () => {
  it("matches helpdesks.md §3.5's vector in lower or upper case hex — then refuses it, having no timestamp", async () => {
    const body = '{"webhookEvent":"jira:issue_updated","issue":{"key":"SD-1"}}';
    const header = 'sha256=1bff11b483929efd514dd876189bde4a610ab31d71a769268e5aba7a2d10cfe9';
    const at = jiraContext('It is a Secret to Everybody');
    // The signature check passes (it is not the reason given); the replay check cannot, with no time.
    const noTimestamp = { internalReason: 'no timestamp in the body to bound replays' };
    await expect(
      settled(() => jira.verify(request(body, { 'x-hub-signature': header }), at)),
    ).rejects.toMatchObject(noTimestamp);
    await expect(
      settled(() =>
        jira.verify(request(body, { 'x-hub-signature': `sha256=${header.slice(7).toUpperCase()}` }), at),
      ),
    ).rejects.toMatchObject(noTimestamp);
    const wrong = `sha256=${'0'.repeat(64)}`;
    await expect(
      settled(() => jira.verify(request(body, { 'x-hub-signature': wrong }), at)),
    ).rejects.toMatchObject({
      internalReason: 'signature does not match',
    });
  });

  it('refuses a body whose signed timestamp is older than JIRA_MAX_AGE_SECONDS or more than 5 minutes ahead', async () => {
    const at = (ms: number) => {
      const body = JSON.stringify({ timestamp: ms, webhookEvent: 'jira:issue_updated' });
      return settled(() => jira.verify(request(body, { 'x-hub-signature': hub(body) }), jiraContext()));
    };
    await expect(at(NOW.getTime() - 172_795_000)).resolves.toBeDefined();
    await expect(at(NOW.getTime() - 172_805_000)).rejects.toThrow(SignatureError);
    await expect(at(NOW.getTime() + 295_000)).resolves.toBeDefined();
    await expect(at(NOW.getTime() + 305_000)).rejects.toThrow(SignatureError);
  });

  it('accepts any configured secret (rotation)', async () => {
    const body = jiraSample('issue_updated.done.json');
    const signed = request(body, { 'x-hub-signature': hub(body, 'jira_new') });
    await expect(settled(() => jira.verify(signed, jiraContext('jira_old,jira_new')))).resolves.toBeDefined();
  });

  const body = '{"webhookEvent":"jira:issue_updated"}';
  it.each([
    ['a forged signature (another secret)', request(body, { 'x-hub-signature': hub(body, 'other') })],
    ['a tampered body', request(`${body} `, { 'x-hub-signature': hub(body) })],
    ['a sha1 signature', request(body, { 'x-hub-signature': `sha1=${hub(body).slice(7)}` })],
    ['a header without algorithm', request(body, { 'x-hub-signature': hub(body).slice(7) })],
    ['no header', request(body)],
  ])('refuses %s', async (_name, signed) => {
    await expect(settled(() => jira.verify(signed, jiraContext()))).rejects.toThrow(SignatureError);
  });

  it('refuses everything when no secret is configured', async () => {
    await expect(
      settled(() => jira.verify(request(body, { 'x-hub-signature': hub(body) }), context({}))),
    ).rejects.toThrow(SignatureError);
  });
});

describe('jira normalize', () => {
  it('issue_updated.done.json → the resolved issue, every solution candidate, its attachment', async () => {
    expect(accepted(await jiraNormalize(jiraSample('issue_updated.done.json')))).toEqual({
      kind: 'ticket',
      provider: 'jira',
      eventId: `COB-142:${NOW.getTime()}`,
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

  it('takes the event id from signed values only, not the (unsigned) delivery identifier header', async () => {
    const headers = { 'x-atlassian-webhook-identifier': '3f9c2a1e-77b0-4c1d-9e2f-5a6b7c8d9e0f' };
    const event = accepted(await jiraNormalize(jiraSample('issue_updated.done.json'), jira, headers));
    expect(event.eventId).toBe(`COB-142:${NOW.getTime()}`);
  });

  it('issue_updated.done.comment-only.json → the transition comment, and an assignee known by accountId only', async () => {
    const event = accepted(await jiraNormalize(jiraSample('issue_updated.done.comment-only.json')));
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

  it('ignores other events, a change to a status outside the done category, and updates without a status change', async () => {
    expect(await jiraNormalize(jiraSample('issue_updated.in-progress.json'))).toEqual({
      action: 'ignore',
      reason: 'status changed to "In Progress" (category "indeterminate"), not a done status',
    });
    expect(await jiraNormalize(jiraSample('issue_updated.no-status-change.json'))).toEqual({
      action: 'ignore',
      reason: 'the update changed no status',
    });
    const created = { ...jiraBody('issue_updated.done.json'), webhookEvent: 'jira:issue_created' };
    expect(await jiraNormalize(created)).toEqual({
      action: 'ignore',
      reason: 'webhookEvent "jira:issue_created" is not an issue update',
    });
    expect(await jiraNormalize('{"webhookEvent":"comment_created","comment":{"body":"x"}}')).toMatchObject({
      action: 'ignore',
    });
  });

  it('reads the case id from a select list, and parks a missing or malformed one', async () => {
    const body = jiraBody('issue_updated.done.json');
    const withField = async (value: unknown) => {
      body.issue.fields.customfield_10050 = value;
      return accepted(await jiraNormalize(body));
    };
    expect((await withField({ id: '10201', value: SEED_CASE_IDS.reporteCentrales })).caseId).toBe(
      SEED_CASE_IDS.reporteCentrales,
    );
    expect(await withField(null)).toMatchObject({
      caseId: null,
      targetProblem: 'issue.fields.customfield_10050 is empty: the ticket names no wolkvox case',
    });
    expect(await withField('QUE-1002')).toMatchObject({
      caseId: null,
      targetProblem: expect.stringContaining('"QUE-1002" is not a wolkvox case id'),
    });
  });

  it('reads rich text (ADF) in the solution field and in comments, and skips an empty field', async () => {
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
    expect(accepted(await jiraNormalize(body)).solution.resolution).toBe('Reverso aplicado.');

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
    expect(accepted(await jiraNormalize(body)).solution).toEqual({ lastPublicReply: 'Listo' });
  });

  it('uses no solution field unless one is configured, and parks everything without a case id field', async () => {
    const plain = jiraSource({ caseIdField: 'customfield_10050', solutionField: undefined });
    const event = accepted(await jiraNormalize(jiraSample('issue_updated.done.json'), plain));
    expect(event.solution.resolution).toBeUndefined();
    expect(event.solution.lastPublicReply).toMatch(/^María Fernanda/);
    const unset = jiraSource({ caseIdField: ' ', solutionField: undefined });
    expect(accepted(await jiraNormalize(jiraSample('issue_updated.done.json'), unset))).toMatchObject({
      caseId: null,
      targetProblem: expect.stringContaining('JIRA_CASE_ID_FIELD is not set'),
    });
  });

  it('dates the resolution by resolutiondate, else the signed webhook timestamp', async () => {
    const body = jiraBody('issue_updated.done.json');
    expect(accepted(await jiraNormalize(body)).resolvedAt).toBe('2024-11-06T16:42:10.123Z');
    body.issue.fields.resolutiondate = null;
    expect(accepted(await jiraNormalize(body)).resolvedAt).toBe(NOW.toISOString());
  });

  it('names the failing paths of a malformed payload', async () => {
    const body = jiraBody('issue_updated.done.json');
    body.issue.fields.status = { name: 'Resolved' };
    expect(await malformed(async () => await jiraNormalize(body))).toEqual([
      expect.stringMatching(/^issue\.fields\.status\.statusCategory: /),
    ]);

    const attachment = jiraBody('issue_updated.done.json');
    attachment.issue.fields.attachment = [{ filename: 'x.txt', content: '/relative', size: 1 }];
    expect(await malformed(async () => await jiraNormalize(attachment))).toEqual([
      expect.stringMatching(/^issue\.fields\.attachment\.0\.content: /),
    ]);
    expect(
      await malformed(
        async () =>
          await jiraNormalize(
            '{"webhookEvent":"jira:issue_updated","changelog":{"items":[{"field":"status"}]}}',
          ),
      ),
    ).toEqual([expect.stringMatching(/^issue: /)]);
    expect(await malformed(async () => await jiraNormalize('not json'))).toEqual([
      expect.stringContaining('not valid JSON'),
    ]);
  });
});
