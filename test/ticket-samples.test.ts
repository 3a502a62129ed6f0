import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '#lib/config.ts';
import type { TicketResolved } from '#lib/events.ts';
import { SignatureError } from '#lib/http/errors.ts';
import { LOCAL_OPERATION, LOCAL_SECRETS, LOCAL_SETTINGS } from '#lib/local/defaults.ts';
import { startProviderApis } from '#lib/local/provider-apis.ts';
import { localProvider } from '#lib/local/providers.ts';
import { type CatalogEntry, readCatalog } from '#lib/local/samples.ts';
import { signSample } from '#lib/local/sign.ts';
import { createProvider } from '#lib/providers/loader.ts';
import { providersOf } from '#lib/providers/registry.ts';
import type { Decision, TicketProvider } from '#lib/providers/types.ts';
import { SEED_CASE_IDS } from '#lib/sandbox/seed.ts';
import { outcome, settled, sourceContext } from './support/provider-contract.ts';

const read = (file: string) => readFileSync(new URL(`../${file}`, import.meta.url));
const NOW = new Date('2026-11-23T12:00:00Z');
// HubSpot's events are thin: its tickets are read from the loopback fake of its API.
const apis = await startProviderApis({ hubspotAccessToken: LOCAL_SECRETS.HUBSPOT_ACCESS_TOKEN });
afterAll(() => apis.close());
const config = loadConfig({
  ...LOCAL_SETTINGS,
  HUBSPOT_API_URL: apis.env.HUBSPOT_API_URL,
  WOLKVOX_SERVER: 'crm0001.wolkvox.com',
  WOLKVOX_OPERATION: LOCAL_OPERATION,
  ZENDESK_TOLERANCE_SECONDS: '120',
});
/** Each helpdesk as the ticket function creates it from the configuration. */
const sources: Record<string, TicketProvider> = Object.fromEntries(
  providersOf('tickets').map((entry) => {
    const { code } = localProvider(entry.slug, 'tickets');
    const settings = (config.providers.tickets as Record<string, unknown>)[entry.slug];
    return [
      entry.slug,
      createProvider(code as Parameters<typeof createProvider<TicketResolved>>[0], settings, LOCAL_OPERATION),
    ];
  }),
);

describe('the helpdesks of the registry', () => {
  it('are every helpdesk of the registry, each created with its configured settings', async () => {
    expect(Object.keys(sources).sort()).toEqual([
      'freshdesk',
      'helpscout',
      'hubspot',
      'intercom',
      'jira',
      'servicenow',
      'standard',
      'zendesk',
      'zohodesk',
    ]);
    for (const [slug, source] of Object.entries(sources)) expect(source.slug).toBe(slug);
    // 121 s old: inside the default 300 s, outside the configured 120 s.
    const signed = signSample('zendesk', '{}', LOCAL_SECRETS, new Date(NOW.getTime() - 121_000));
    const stale = { body: Buffer.from(signed.body), headers: signed.headers, query: {} };
    await expect(
      settled(() => sources.zendesk?.verify(stale, sourceContext(LOCAL_SECRETS, NOW))),
    ).rejects.toThrow(SignatureError);
  });
});

describe('ticket samples in events/catalog.json', () => {
  const catalog = async () => (await readCatalog()).filter((entry) => entry.family === 'tickets');
  async function readSample(entry: CatalogEntry): Promise<Decision<TicketResolved>> {
    const source = sources[entry.provider];
    if (!source) throw new Error(`no source for ${entry.provider}`);
    const signed = signSample(entry.provider, read(entry.file).toString(), LOCAL_SECRETS, NOW, 'tickets');
    const result = await outcome(
      source,
      { body: Buffer.from(signed.body), headers: signed.headers, query: {} },
      sourceContext(LOCAL_SECRETS, NOW),
    );
    if ('rejected' in result) throw new Error(`${entry.file}: rejected ${result.rejected}`);
    if (result.action !== 'each') return result;
    // A batch (HubSpot's Webhooks API): the sample is about its one decision that is not ignored.
    const decisions = result.items.filter((item) => item.action !== 'ignore');
    if (decisions.length > 1) throw new Error(`${entry.file}: more than one decision in the batch`);
    return decisions[0] ?? result.items[0] ?? { action: 'ignore', reason: 'an empty batch' };
  }

  it('covers every helpdesk with applied, ignored and parked samples on seeded cases', async () => {
    const entries = await catalog();
    expect(new Set(entries.map((e) => e.provider))).toEqual(new Set(Object.keys(sources)));
    expect(new Set(entries.map((e) => e.expect))).toEqual(new Set(['applied', 'ignored', 'parked']));
    const seeded: string[] = Object.values(SEED_CASE_IDS);
    for (const entry of entries) {
      if (entry.target && 'caseId' in entry.target) expect(seeded, entry.file).toContain(entry.target.caseId);
    }
  });

  it('behaves as each entry expects', async () => {
    for (const entry of await catalog()) {
      const decision = await readSample(entry);
      if (entry.expect === 'ignored') {
        expect(decision.action, entry.file).toBe('ignore');
        continue;
      }
      if (decision.action !== 'accept') throw new Error(`${entry.file}: ${decision.action}`);
      const event = decision.event;
      const solution = [
        event.solution.resolution,
        event.solution.closingNote,
        event.solution.lastPublicReply,
      ].find((text) => text?.trim());
      const caseId = entry.target && 'caseId' in entry.target ? entry.target.caseId : undefined;
      if (entry.expect === 'applied') {
        expect(event.caseId, entry.file).toBe(caseId);
        expect(solution, entry.file).toBeDefined();
      } else {
        expect(event.caseId === null || solution === undefined, entry.file).toBe(true);
        if (caseId) expect(event.caseId, entry.file).toBe(caseId);
      }
    }
  });

  it("points every attachment at a file in events/attachments, with the file's size and type", async () => {
    const index = JSON.parse(read('events/attachments/index.json').toString()) as Record<string, string>;
    const types: Record<string, string> = { pdf: 'application/pdf', png: 'image/png', txt: 'text/plain' };
    let count = 0;
    for (const entry of await catalog()) {
      const decision = await readSample(entry);
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
    expect(count).toBe(6);
    expect(read('events/attachments/paz-y-salvo.pdf').subarray(0, 8).toString()).toBe('%PDF-1.4');
    expect(read('events/attachments/soporte-pago.png').subarray(1, 4).toString()).toBe('PNG');
  });
});
