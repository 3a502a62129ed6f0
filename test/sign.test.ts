import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '#lib/config.ts';
import type { PaymentReceived } from '#lib/events.ts';
import type { ProviderApis } from '#lib/local/provider-apis.ts';
import { localProvider } from '#lib/local/providers.ts';
import { createProvider } from '#lib/providers/loader.ts';
import { LOCAL_OPERATION, LOCAL_SECRETS, LOCAL_SETTINGS, localSecrets } from '#lib/local/defaults.ts';
import { apiGatewayEvent, signSample } from '#lib/local/sign.ts';
import { wompiChecksum } from '#lib/providers/payments/wompi/provider.ts';
import { providersOf } from '#lib/providers/registry.ts';
import { restampJira } from '#lib/providers/tickets/jira/provider.ts';
import zendeskCode from '#lib/providers/tickets/zendesk/provider.ts';
import { DEFAULT_OPERATION, seedState } from '#lib/sandbox/seed.ts';
import { startLocalProviderApis } from './support/harness.ts';
import { outcome, settled, sourceContext } from './support/provider-contract.ts';

const PAYMENT_SLUGS: readonly string[] = providersOf('payments').map((entry) => entry.slug);
const TICKET_SLUGS: readonly string[] = providersOf('tickets').map((entry) => entry.slug);

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const read = (file: string) => readFileSync(new URL(`../${file}`, import.meta.url), 'utf8');
const stripe = new Stripe('sk_test_x');
const STRIPE_SAMPLE = 'events/stripe/payment_intent.succeeded.json';

function stripeHeader(headers: Record<string, string>): string {
  const header = headers['stripe-signature'];
  if (header === undefined) throw new Error('no stripe-signature header');
  return header;
}

describe('signPayment: stripe', () => {
  const body = read(STRIPE_SAMPLE);

  it('produces a header the official library accepts, leaving the bytes unchanged', () => {
    const signed = signSample('stripe', body, LOCAL_SECRETS);
    expect(signed.body).toBe(body);
    expect(signed.headers['content-type']).toMatch(/^application\/json/);
    const event = stripe.webhooks.constructEvent(
      signed.body,
      stripeHeader(signed.headers),
      LOCAL_SECRETS.STRIPE_WEBHOOK_SECRET,
    );
    expect(event.type).toBe('payment_intent.succeeded');
  });

  it('is rejected with another secret, or with one changed byte', () => {
    const signed = signSample('stripe', body, LOCAL_SECRETS);
    const header = stripeHeader(signed.headers);
    expect(() => stripe.webhooks.constructEvent(body, header, 'whsec_someone_else')).toThrow(
      Stripe.errors.StripeSignatureVerificationError,
    );
    const tampered = body.replace('15000000', '15000001');
    expect(tampered).not.toBe(body);
    expect(() =>
      stripe.webhooks.constructEvent(tampered, header, LOCAL_SECRETS.STRIPE_WEBHOOK_SECRET),
    ).toThrow(Stripe.errors.StripeSignatureVerificationError);
  });

  it('uses the given clock and the first of several comma-separated secrets', () => {
    const now = new Date(1_700_000_000_500);
    const secrets = { STRIPE_WEBHOOK_SECRET: ' whsec_first , whsec_second' };
    const header = stripeHeader(signSample('stripe', body, secrets, now).headers);
    expect(header).toMatch(/^t=1700000000,v1=[0-9a-f]{64}$/);
    // The signature is old relative to the real clock, so verify at the signing time.
    expect(
      Stripe.webhooks.signature?.verifyHeader(body, header, 'whsec_first', 300, undefined, 1_700_000_010_000),
    ).toBe(true);
    expect(() =>
      Stripe.webhooks.signature?.verifyHeader(
        body,
        header,
        'whsec_second',
        300,
        undefined,
        1_700_000_010_000,
      ),
    ).toThrow();
  });

  it('matches the reference vector (payment-gateways.md 10.1)', () => {
    const signed = signSample(
      'stripe',
      '{"id":"evt_test_webhook","object":"event"}',
      { STRIPE_WEBHOOK_SECRET: 'whsec_test_secret' },
      new Date(1_700_000_000_000),
    );
    expect(signed.headers['stripe-signature']).toBe(
      't=1700000000,v1=d95c6b7477fbd7e9f90b1b0ef5f9c7ac25abca5382460e0d988c2b2a5b71b990',
    );
  });

  it('refuses to sign without a secret', () => {
    expect(() => signSample('stripe', body, {})).toThrow(/STRIPE_WEBHOOK_SECRET/);
  });
});

describe('signPayment: wompi', () => {
  const VECTOR_SECRET = 'prod_events_OcHnIzeBl5socpwByQ4hA52Em3USQ93Z';
  const VECTOR_CHECKSUM = '5a18ec5e8fdb7df463e9f94774cba8f583ba21bd04a09ceff2ea68a4bc0aefbe';
  const vectorBody = JSON.stringify({
    event: 'transaction.updated',
    data: {
      transaction: {
        id: '1234-1610641025-49201',
        amount_in_cents: 4490000,
        reference: 'MZQ3X2DE2SMX',
        status: 'APPROVED',
      },
    },
    environment: 'prod',
    signature: {
      properties: ['transaction.id', 'transaction.status', 'transaction.amount_in_cents'],
      checksum: 'stale',
    },
    timestamp: 1,
    sent_at: '2018-07-20T16:45:05.000Z',
  });

  it('matches the corrected reference vector (payment-gateways.md 10.3)', () => {
    const signed = signSample(
      'wompi',
      vectorBody,
      { WOMPI_EVENTS_SECRET: VECTOR_SECRET },
      new Date(1530291411000),
    );
    const event = JSON.parse(signed.body) as {
      signature: { checksum: string };
      timestamp: number;
      sent_at: string;
    };
    expect(event.timestamp).toBe(1530291411);
    expect(event.sent_at).toBe('2018-06-29T16:56:51.000Z');
    expect(event.signature.checksum.toLowerCase()).toBe(VECTOR_CHECKSUM);
    expect(event.signature.checksum).toBe(event.signature.checksum.toUpperCase());
    expect(signed.headers['x-event-checksum']).toBe(event.signature.checksum);
  });

  it('follows signature.properties in order and hashes null as empty', () => {
    const data = { transaction: { id: 'tx-1', status: 'APPROVED', payment_link_id: null } };
    const expected = (s: string) => createHash('sha256').update(s).digest('hex');
    expect(wompiChecksum(data, ['transaction.status', 'transaction.id'], 10, 'k')).toBe(
      expected('APPROVEDtx-110k'),
    );
    expect(wompiChecksum(data, ['transaction.payment_link_id', 'transaction.id'], 10, 'k')).toBe(
      expected('tx-110k'),
    );
  });

  it('re-signs every stored sample with the local secret and the fresh time', () => {
    const now = new Date('2026-11-23T12:00:00.000Z');
    for (const file of sampleFiles(['wompi'])) {
      const signed = signSample('wompi', read(file), LOCAL_SECRETS, now);
      const event = JSON.parse(signed.body) as {
        data: Record<string, unknown>;
        signature: { properties: string[]; checksum: string };
        timestamp: number;
      };
      expect(event.timestamp, file).toBe(1795435200);
      expect(event.signature.checksum, file).toBe(
        wompiChecksum(
          event.data,
          event.signature.properties,
          1795435200,
          LOCAL_SECRETS.WOMPI_EVENTS_SECRET,
        ).toUpperCase(),
      );
      // Only the signature fields change.
      const stored = JSON.parse(read(file)) as Record<string, unknown>;
      expect({ ...event, signature: null, timestamp: null, sent_at: null }, file).toEqual({
        ...stored,
        signature: null,
        timestamp: null,
        sent_at: null,
      });
    }
  });

  it('refuses bodies that are not Wompi events', () => {
    expect(() => signSample('wompi', '{"data":{}}', LOCAL_SECRETS)).toThrow(/Wompi/);
    expect(() => signSample('wompi', '{}', {})).toThrow(/WOMPI_EVENTS_SECRET/);
  });
});

describe('signSample: helpdesks', () => {
  const now = new Date('2026-11-23T12:00:00.500Z');
  it('restamps only the top-level Jira timestamp, in place', () => {
    const body = '{\n  "timestamp": 1730911330171,\n  "issue": {"fields": {"timestamp": 1730911330171}}\n}';
    expect(restampJira(body, now)).toBe(
      `{\n  "timestamp": ${now.getTime()},\n  "issue": {"fields": {"timestamp": 1730911330171}}\n}`,
    );
    expect(restampJira('{"a":1}', now)).toBe('{"a":1}');
  });

  it('gives Zendesk an ISO timestamp to the second and reproduces helpdesks.md §1.6', () => {
    const signed = signSample('zendesk', '{}', LOCAL_SECRETS, now);
    expect(signed.headers['x-zendesk-webhook-signature-timestamp']).toBe('2026-11-23T12:00:00Z');
    const vector = signSample(
      'zendesk',
      '{"event":"ticket.updated","id":123}',
      { ZENDESK_WEBHOOK_SECRET: 'dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==' },
      new Date('2021-03-25T05:09:27Z'),
    );
    expect(vector.headers['x-zendesk-webhook-signature']).toBe(
      'S/RDdU2ERmj7LHDDoWJ2onPYH+t7/f2+LTM4dL7UiLM=',
    );
  });

  it('reproduces helpdesks.md §3.5 for Jira (a body without a timestamp is signed as it is), with a fresh delivery id each time', () => {
    const body = '{"webhookEvent":"jira:issue_updated","issue":{"key":"SD-1"}}';
    const secrets = { JIRA_WEBHOOK_SECRET: 'It is a Secret to Everybody' };
    const first = signSample('jira', body, secrets);
    expect(first.headers['x-hub-signature']).toBe(
      'sha256=1bff11b483929efd514dd876189bde4a610ab31d71a769268e5aba7a2d10cfe9',
    );
    expect(first.headers['x-atlassian-webhook-identifier']).toMatch(/^[0-9a-f-]{36}$/);
    expect(signSample('jira', body, secrets).headers['x-atlassian-webhook-identifier']).not.toBe(
      first.headers['x-atlassian-webhook-identifier'],
    );
  });

  it('uses the first of several comma-separated secrets, and refuses without one', () => {
    const signed = signSample('freshdesk', '{}', { FRESHDESK_WEBHOOK_TOKEN: ' fd_first , fd_second' });
    expect(signed.headers['x-wolkvox-webhook-token']).toBe('fd_first');
    expect(() => signSample('zendesk', '{}', {})).toThrow(/ZENDESK_WEBHOOK_SECRET/);
    expect(() => signSample('freshdesk', '{}', {})).toThrow(/FRESHDESK_WEBHOOK_TOKEN/);
    expect(() => signSample('jira', '{}', { JIRA_WEBHOOK_SECRET: ' ' })).toThrow(/JIRA_WEBHOOK_SECRET/);
    expect(() => signSample('zendesk', '{}', LOCAL_SECRETS, new Date(Number.NaN))).toThrow(/signing time/);
  });

  it('signSample routes payments and helpdesks to their families', () => {
    expect(signSample('stripe', read(STRIPE_SAMPLE), LOCAL_SECRETS).family).toBe('payments');
    expect(signSample('jira', '{}', LOCAL_SECRETS).family).toBe('tickets');
  });
});

describe('localSecrets', () => {
  it('lets non-blank environment values win over the built-in ones', () => {
    expect(localSecrets({})).toMatchObject(LOCAL_SECRETS);
    const secrets = localSecrets({
      STRIPE_WEBHOOK_SECRET: 'whsec_from_stripe_listen',
      WOMPI_EVENTS_SECRET: ' ',
    });
    expect(secrets.STRIPE_WEBHOOK_SECRET).toBe('whsec_from_stripe_listen');
    expect(secrets.WOMPI_EVENTS_SECRET).toBe(LOCAL_SECRETS.WOMPI_EVENTS_SECRET);
    expect(LOCAL_OPERATION).toBe(DEFAULT_OPERATION);
  });
});

describe('apiGatewayEvent', () => {
  const body = '{"pago":"café ☕ ñandú"}';

  it('builds an HTTP API v2 event with lower-cased headers and the provider path parameter', () => {
    const now = new Date('2026-11-23T01:48:37.123Z');
    const event = apiGatewayEvent({
      family: 'payments',
      provider: 'wompi',
      body,
      headers: { 'Content-Type': 'application/json', 'X-Event-Checksum': 'ABC', 'Content-Length': '1' },
      now,
    });
    expect(event.version).toBe('2.0');
    expect(event.routeKey).toBe('POST /webhooks/payments/{provider}');
    expect(event.rawPath).toBe('/webhooks/payments/wompi');
    expect(event.pathParameters).toEqual({ provider: 'wompi' });
    expect(event.requestContext.http).toMatchObject({ method: 'POST', path: '/webhooks/payments/wompi' });
    expect(event.requestContext.routeKey).toBe(event.routeKey);
    expect(event.requestContext.stage).toBe('$default');
    expect(event.requestContext.time).toBe('23/Nov/2026:01:48:37 +0000');
    expect(event.requestContext.timeEpoch).toBe(now.getTime());
    for (const name of Object.keys(event.headers)) expect(name).toBe(name.toLowerCase());
    expect(event.headers['x-event-checksum']).toBe('ABC');
    expect(event.headers['content-length']).toBe(String(Buffer.byteLength(body)));
    expect(event.headers.host).toBe(event.requestContext.domainName);
    expect(event.isBase64Encoded).toBe(false);
    expect(event.body).toBe(body);
  });

  it('round-trips the exact bytes through base64', () => {
    const event = apiGatewayEvent({
      family: 'tickets',
      provider: 'zendesk',
      body,
      headers: {},
      base64: true,
    });
    expect(event.isBase64Encoded).toBe(true);
    expect(event.body).not.toBe(body);
    expect(Buffer.from(event.body ?? '', 'base64').equals(Buffer.from(body, 'utf8'))).toBe(true);
    expect(event.routeKey).toBe('POST /webhooks/tickets/{provider}');
  });
});

interface CatalogEntry {
  file: string;
  family: string;
  provider: string;
  expect: string;
  target?: { wolkvoxId: string; obligation: string };
  amount?: string;
  note: string;
}

const allEntries = JSON.parse(read('events/catalog.json')) as CatalogEntry[];
/** The payment entries; helpdesk entries (family "tickets") are checked in ticket-samples.test.ts. */
const catalog = allEntries.filter((entry) => entry.family === 'payments');

/** Sample files under events/<provider>/ (events/attachments holds the files samples link to). */
function sampleFiles(dirs: readonly string[] = [...new Set([...PAYMENT_SLUGS, ...TICKET_SLUGS])]): string[] {
  return dirs.flatMap((dir) =>
    readdirSync(new URL(`../events/${dir}/`, import.meta.url))
      .filter((name) => name.endsWith('.json'))
      .map((name) => `events/${dir}/${name}`),
  );
}

/**
 * What a payment sample names and pays, read the way the service reads it: signed now, verified and
 * read by its provider, with the loopback fakes of the providers' APIs (Mercado Pago's notifications
 * carry only an id). Samples the provider ignores or parks name nothing here.
 */
async function named(entry: CatalogEntry) {
  const { code } = localProvider(entry.provider, 'payments');
  const config = loadConfig({
    ...LOCAL_SETTINGS,
    ...apis.env,
    WOLKVOX_SERVER: 'http://127.0.0.1:4010',
    WOLKVOX_OPERATION: LOCAL_OPERATION,
    DISPATCH: 'direct',
  });
  const settings = (config.providers.payments as Record<string, unknown>)[entry.provider];
  const provider = createProvider(code, settings, LOCAL_OPERATION);
  const now = new Date();
  const signed = signSample(entry.provider, read(entry.file), LOCAL_SECRETS, now, 'payments');
  const request = { body: Buffer.from(signed.body), headers: signed.headers, query: signed.query ?? {} };
  const result = await outcome(provider, request, sourceContext(LOCAL_SECRETS, now));
  if ('rejected' in result || result.action !== 'accept')
    return { target: undefined, minor: undefined, currency: undefined };
  const { target, payment } = result.event as PaymentReceived;
  return {
    target: target ? { wolkvoxId: target.wolkvoxId, obligation: target.obligation } : undefined,
    minor: payment.amount.minor,
    currency: payment.amount.currency,
  };
}

let apis: ProviderApis;
beforeAll(async () => {
  apis = await startLocalProviderApis();
});
afterAll(() => apis.close());

describe('events/catalog.json', () => {
  const seed = seedState();
  const balance = (target: { wolkvoxId: string; obligation: string }) =>
    seed.records
      .find((record) => record.wolkvox_id === target.wolkvoxId)
      ?.obligations.find((obligation) => obligation.id === target.obligation)?.total_balance;

  it('lists every sample file exactly once, and only existing JSON files', () => {
    const listed = allEntries.map((entry) => entry.file);
    expect(new Set(listed).size).toBe(listed.length);
    expect([...listed].sort()).toEqual(sampleFiles().sort());
    const directories = readdirSync(new URL('../events/', import.meta.url), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
    // A slug served by both families (standard) has one folder; events/sqs holds the worker's
    // queue events (already translated commands), not provider samples.
    expect(directories.sort()).toEqual(
      [...new Set([...PAYMENT_SLUGS, ...TICKET_SLUGS, 'attachments', 'sqs'])].sort(),
    );
    for (const entry of allEntries) {
      expect(() => JSON.parse(read(entry.file)), entry.file).not.toThrow();
      expect(entry.file.startsWith(`events/${entry.provider}/`), entry.file).toBe(true);
      const slugs = entry.family === 'payments' ? PAYMENT_SLUGS : TICKET_SLUGS;
      expect(slugs, entry.file).toContain(entry.provider);
      expect(['applied', 'ignored', 'parked', 'skipped']).toContain(entry.expect);
      expect(entry.note.length).toBeGreaterThan(10);
    }
  });

  it('targets only seeded records and obligations, the same ones the samples name', async () => {
    for (const entry of catalog) {
      if (entry.target)
        expect(balance(entry.target), `${entry.file} targets no seeded obligation`).toBeDefined();
      if (entry.expect !== 'applied' && entry.expect !== 'skipped') continue;
      expect((await named(entry)).target, entry.file).toEqual(entry.target);
    }
  });

  it('gives applied samples a COP amount in major units that matches what the provider reads', async () => {
    for (const entry of catalog.filter((e) => e.expect === 'applied')) {
      const sample = await named(entry);
      expect(entry.target, entry.file).toBeDefined();
      expect(entry.amount, entry.file).toMatch(/^\d+$/);
      expect(sample.currency, entry.file).toBe('COP');
      expect(sample.minor, entry.file).toBe(Number(entry.amount) * 100);
    }
  });

  it('shows a partial payment, an exact payoff and an overpayment', () => {
    const applied = catalog.filter((e) => e.expect === 'applied');
    const compare = applied.map((entry) => {
      const left = Number(entry.target && balance(entry.target));
      return Math.sign(left - Number(entry.amount));
    });
    expect(compare.filter((s) => s === 0)).toHaveLength(1);
    expect(compare.filter((s) => s < 0)).toHaveLength(1);
    expect(compare.filter((s) => s > 0).length).toBeGreaterThanOrEqual(1);
    // Distinct obligations per provider, so each effect shows on its own.
    for (const provider of new Set(applied.map((e) => e.provider))) {
      const own = applied.filter((e) => e.provider === provider);
      expect(new Set(own.map((e) => JSON.stringify(e.target))).size, provider).toBe(own.length);
    }
  });

  it('has stored Wompi checksums made with the local secret', () => {
    for (const file of sampleFiles(['wompi'])) {
      const event = JSON.parse(read(file)) as {
        data: Record<string, unknown>;
        signature: { properties: string[]; checksum: string };
        timestamp: number;
      };
      expect(event.signature.checksum, file).toBe(
        wompiChecksum(
          event.data,
          event.signature.properties,
          event.timestamp,
          LOCAL_SECRETS.WOMPI_EVENTS_SECRET,
        ).toUpperCase(),
      );
    }
  });
});

describe('node scripts/sign.ts', () => {
  function run(args: string[]) {
    // process.execPath is the Node 24 running vitest, so the .ts script runs natively.
    return spawnSync(process.execPath, ['scripts/sign.ts', ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      // A fixed secret, so a developer's .env or shell cannot change what the test verifies with.
      env: {
        PATH: process.env.PATH ?? '',
        STRIPE_WEBHOOK_SECRET: 'whsec_cli_test',
        ZENDESK_WEBHOOK_SECRET: 'zd_cli_test',
      },
    });
  }

  it('prints a signed API Gateway event whose body is the sample file', () => {
    const result = run(['stripe', STRIPE_SAMPLE]);
    expect(result.status, result.stderr).toBe(0);
    const event = JSON.parse(result.stdout) as ReturnType<typeof apiGatewayEvent>;
    expect(event.body).toBe(read(STRIPE_SAMPLE));
    expect(event.isBase64Encoded).toBe(false);
    expect(event.pathParameters).toEqual({ provider: 'stripe' });
    const header = event.headers['stripe-signature'] ?? '';
    expect(stripe.webhooks.constructEvent(event.body ?? '', header, 'whsec_cli_test').id).toBe(
      'evt_3SWa1fQx7LmN2bKc1Lk9RtYu',
    );
  });

  it('base64-encodes the body on request', () => {
    const result = run(['wompi', 'events/wompi/transaction.updated.approved.json', '--base64']);
    expect(result.status, result.stderr).toBe(0);
    const event = JSON.parse(result.stdout) as ReturnType<typeof apiGatewayEvent>;
    expect(event.isBase64Encoded).toBe(true);
    const decoded = JSON.parse(Buffer.from(event.body ?? '', 'base64').toString('utf8')) as {
      signature: { checksum: string };
    };
    expect(event.headers['x-event-checksum']).toBe(decoded.signature.checksum);
  });

  it('signs a helpdesk sample for POST /webhooks/tickets/<provider>', async () => {
    const sample = 'events/zendesk/ticket.solved.json';
    const result = run(['zendesk', sample]);
    expect(result.status, result.stderr).toBe(0);
    const event = JSON.parse(result.stdout) as ReturnType<typeof apiGatewayEvent>;
    expect(event.routeKey).toBe('POST /webhooks/tickets/{provider}');
    expect(event.rawPath).toBe('/webhooks/tickets/zendesk');
    expect(event.body).toBe(read(sample));
    const timestamp = event.headers['x-zendesk-webhook-signature-timestamp'] ?? '';
    const source = zendeskCode.create({ operation: 'demo', toleranceSeconds: 300, subdomain: undefined });
    await expect(
      settled(() =>
        source.verify(
          {
            body: Buffer.from(event.body ?? ''),
            headers: event.headers as Record<string, string>,
            query: {},
          },
          sourceContext({ ZENDESK_WEBHOOK_SECRET: 'zd_cli_test' }, new Date(timestamp)),
        ),
      ),
    ).resolves.toBeDefined();
  });

  it.each([
    [[]],
    [['no-such-provider', STRIPE_SAMPLE]],
    [['stripe']],
    [['stripe', 'events/nope.json']],
    [['stripe', STRIPE_SAMPLE, '--bogus']],
  ])('exits non-zero with usage for bad arguments %j', (args) => {
    const result = run(args);
    expect(result.status).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('Usage: node scripts/sign.ts');
  });
});

describe('.env.example', () => {
  it('holds the same local secrets the tools sign with, so `cp .env.example .env` makes invoke local verify', async () => {
    const { parseEnv } = await import('node:util');
    const { readFile } = await import('node:fs/promises');
    const { LOCAL_SECRETS } = await import('#lib/local/defaults.ts');
    expect(parseEnv(await readFile('.env.example', 'utf8'))).toEqual({ ...LOCAL_SECRETS });
  });
});
