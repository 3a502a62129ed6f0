import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '#lib/config.ts';
import type { DirectDispatch } from '#lib/dispatch/direct.ts';
import { localAttachmentDispatcher } from '#lib/local/attachments.ts';
import { LOCAL_SECRETS, LOCAL_SETTINGS } from '#lib/local/defaults.ts';
import { localContext } from '#lib/local/runtime.ts';
import { apiGatewayEvent, signSample } from '#lib/local/sign.ts';
import { SEED_CASE_IDS } from '#lib/sandbox/index.ts';
import { createRuntime, ticketResolvedHandler } from '#lib/wiring.ts';
import { localSecretStore, useSandboxAndSqs } from './support/harness.ts';

const harness = useSandboxAndSqs();

async function invoke(event: APIGatewayProxyEventV2, env: Record<string, string> = {}) {
  const config = loadConfig({
    ...LOCAL_SETTINGS,
    WOLKVOX_SERVER: harness.sandbox.url,
    WOLKVOX_OPERATION: 'demo',
    DISPATCH: 'direct',
    ...env,
  });
  const runtime = createRuntime(config, {
    secrets: localSecretStore(),
    logLevel: 'SILENT',
    attachmentDispatcher: localAttachmentDispatcher(),
  });
  const answer = await ticketResolvedHandler(runtime)(event, localContext('ticketResolved'));
  return { answer, body: JSON.parse(answer.body ?? '{}') as Record<string, unknown>, runtime };
}

const sample = (file: string) => readFile(`events/${file}`, 'utf8');
async function signed(provider: string, body: string, now?: Date) {
  const request = signSample(provider, body, LOCAL_SECRETS, now);
  return apiGatewayEvent({ family: 'tickets', provider, body: request.body, headers: request.headers });
}
const caseOf = (id: string) => harness.sandbox.state().cases.find((c) => c.wolkvox_id === id);
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('POST /webhooks/tickets/{provider}', () => {
  it('closes the Zendesk case with solution, responsible, priority, form fields and both files byte for byte', async () => {
    const { answer, body } = await invoke(
      await signed('zendesk', await sample('zendesk/ticket.solved.json')),
    );
    expect([answer.statusCode, body.status]).toEqual([200, 'applied']);
    const updated = caseOf(SEED_CASE_IDS.pazYSalvo);
    expect(updated).toMatchObject({
      status: 'Resuelto',
      solution: expect.stringContaining('paz y salvo'),
      responsible: 'agent_001@demo',
      form: expect.objectContaining({ 'Ticket del helpdesk': expect.any(String) }),
    });
    const [request] = harness.sandbox.requests();
    const files = request?.form?.files ?? [];
    expect(files.map((f) => f.filename).sort()).toEqual(['paz-y-salvo.pdf', 'soporte-pago.png']);
    for (const file of files) {
      expect(file.sha256).toBe(sha256(await readFile(`events/attachments/${file.filename}`)));
    }
  });

  it('applies a Jira done transition with the attachment fetched by the worker', async () => {
    const { body } = await invoke(await signed('jira', await sample('jira/issue_updated.done.json')));
    expect(body.status).toBe('applied');
    expect(caseOf(SEED_CASE_IDS.cobroDoble)).toMatchObject({
      status: 'Resuelto',
      responsible: 'agent_002@demo',
    });
    expect(harness.sandbox.requests()[0]?.form?.files).toHaveLength(1);
  });

  it('parks a resolved ticket without any solution text and never closes its case', async () => {
    const before = caseOf(SEED_CASE_IDS.horarioAtencion);
    const { answer, body, runtime } = await invoke(
      await signed('zendesk', await sample('zendesk/ticket.solved.no-solution.json')),
    );
    expect([answer.statusCode, body.status]).toEqual([202, 'parked']);
    expect(harness.sandbox.requests()).toEqual([]);
    expect(caseOf(SEED_CASE_IDS.horarioAtencion)).toEqual(before);
    expect((runtime.dispatch as DirectDispatch).parked()[0]?.reason).toMatch(/no solution text/);
  });

  it.each([
    [
      'a forged Zendesk signature',
      async () => {
        const event = await signed('zendesk', await sample('zendesk/ticket.solved.json'));
        return { ...event, body: (event.body ?? '').replace('paz y salvo', 'paz y salvO') };
      },
    ],
    [
      'a stale Zendesk timestamp',
      async () =>
        signed('zendesk', await sample('zendesk/ticket.solved.json'), new Date(Date.now() - 600_000)),
    ],
    [
      'a wrong Freshdesk token',
      async () => {
        const event = await signed('freshdesk', await sample('freshdesk/ticket.resolved.json'));
        return { ...event, headers: { ...event.headers, 'x-wolkvox-webhook-token': 'guess' } };
      },
    ],
    [
      'a Jira body signed with another secret',
      async () => {
        const request = signSample('jira', await sample('jira/issue_updated.done.json'), {
          ...LOCAL_SECRETS,
          JIRA_WEBHOOK_SECRET: 'x',
        });
        return apiGatewayEvent({
          family: 'tickets',
          provider: 'jira',
          body: request.body,
          headers: request.headers,
        });
      },
    ],
  ])('answers 401 to %s and calls no one', async (_name, make) => {
    const { answer } = await invoke(await make());
    expect(answer.statusCode).toBe(401);
    expect(harness.sandbox.requests()).toEqual([]);
  });

  it('refuses an attachment from a host outside the allowlist, and still updates the case', async () => {
    const body = (await sample('zendesk/ticket.solved.json')).replace(
      /https:\/\/acme\.zendesk\.com/g,
      'https://files.attacker.example',
    );
    const { body: answer } = await invoke(await signed('zendesk', body));
    expect(answer.status).toBe('applied');
    expect(caseOf(SEED_CASE_IDS.pazYSalvo)?.status).toBe('Resuelto');
    expect(harness.sandbox.requests()[0]?.form?.files).toEqual([]);
  });

  it('refuses an attachment over the size cap, and still updates the case', async () => {
    const { body } = await invoke(await signed('zendesk', await sample('zendesk/ticket.solved.json')), {
      ATTACHMENT_MAX_FILE_BYTES: '200',
    });
    expect(body.status).toBe('applied');
    const names = (harness.sandbox.requests()[0]?.form?.files ?? []).map((f) => f.filename);
    expect(names).toEqual(['soporte-pago.png']);
  });

  it('answers 404 to a helpdesk it does not serve', async () => {
    const event = await signed('zendesk', await sample('zendesk/ticket.solved.json'));
    const { answer } = await invoke({ ...event, pathParameters: { provider: 'kayako' } });
    expect(answer.statusCode).toBe(404);
  });

  it('answers 400 naming the problem when a template body arrives broken', async () => {
    const broken = (await sample('zendesk/ticket.solved.json')).replace(
      '"solution": "',
      '"solution": "He said "hi"',
    );
    const { answer, body } = await invoke(await signed('zendesk', broken));
    expect(answer.statusCode).toBe(400);
    expect(String((body.problems as string[])[0])).toMatch(/not valid JSON/);
    expect(harness.sandbox.requests()).toEqual([]);
  });
});
