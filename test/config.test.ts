import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '#lib/config.ts';
import { DEFAULT_PRIORITY_MAP } from '#lib/translate/case.ts';
import { REGISTRY } from '#lib/providers/registry.ts';

const minimal = { WOLKVOX_SERVER: 'crm0001.wolkvox.com', WOLKVOX_OPERATION: 'cobranzas_bog' };

function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    expect(loadConfig(minimal)).toEqual({
      wolkvox: {
        baseUrl: 'https://crm0001.wolkvox.com/server/API/v2/',
        operation: 'cobranzas_bog',
        timeoutMs: 10_000,
        obligationUpdateMethod: 'POST',
        maxInFlight: 2,
        tokenShard: 0,
        quotaCheckMs: 600_000,
        mergePayments: true,
      },
      secrets: { secretId: undefined, ttlMs: 300_000 },
      dispatch: 'direct',
      queue: {
        url: undefined,
        urls: [],
        parkedUrl: undefined,
        ledgerTable: undefined,
        ledgerRetentionMs: 400 * 86_400_000,
      },
      obligations: {
        timeZone: 'America/Bogota',
        dateFormat: 'DD-MM-YYYY',
        currency: 'COP',
        reduceBalance: true,
        clearDelayWhenPaidOff: true,
        overpayment: 'reduce',
      },
      cases: {
        resolvedStatus: 'Resuelto',
        resolvedStatusByType: new Map(),
        caseType: undefined,
        caseTypeMap: new Map(),
        responsibleMap: new Map(),
        priorityMap: new Map(Object.entries(DEFAULT_PRIORITY_MAP)),
        formMap: new Map(),
      },
      providers: {
        // Each provider's test file states its own defaults; these two stand for the shape.
        payments: expect.objectContaining({
          stripe: { toleranceSeconds: 300 },
          wompi: {
            referencePattern: /^(?<wolkvox_id>[^:]+):(?<obligation>[^:]+)(?::.*)?$/,
            confirm: true,
            apiUrl: 'https://production.wompi.co',
            maxAgeSeconds: 172_800,
          },
        }),
        tickets: expect.objectContaining({
          zendesk: { toleranceSeconds: 300, subdomain: undefined },
          freshdesk: {},
          helpscout: { caseIdField: 'wolkvox_id' },
          intercom: { caseIdAttribute: 'wolkvox_id' },
          jira: { site: undefined, caseIdField: undefined, solutionField: undefined, maxAgeSeconds: 172_800 },
        }),
      },
      enabledProviders: undefined,
      attachments: { maxFileBytes: 10 * 1024 * 1024, maxCaseBytes: 20 * 1024 * 1024, timeoutMs: 15_000 },
      logLevel: 'INFO',
      inLambda: false,
    });
  });

  it('defaults to queue dispatch inside Lambda', () => {
    const config = loadConfig({
      ...minimal,
      AWS_LAMBDA_FUNCTION_NAME: 'fn',
      SECRET_ID: 'wolkvox/prod',
      QUEUE_URL: 'https://sqs/q.fifo',
      PARKED_QUEUE_URL: 'https://sqs/dlq.fifo',
      LEDGER_TABLE: 'wolkvox-ledger',
    });
    expect(config).toMatchObject({
      dispatch: 'queue',
      inLambda: true,
      secrets: { secretId: 'wolkvox/prod' },
    });
  });

  it('treats osls invoke local (AWS_LAMBDA_FUNCTION_NAME plus IS_LOCAL=true) as not in Lambda', () => {
    const invokeLocal = { ...minimal, AWS_LAMBDA_FUNCTION_NAME: 'wolkvox-webhooks-local-paymentReceived' };
    expect(loadConfig({ ...invokeLocal, IS_LOCAL: 'true' })).toMatchObject({
      inLambda: false,
      dispatch: 'direct',
      secrets: { secretId: undefined },
    });
    expect(problemsOf({ ...invokeLocal, IS_LOCAL: 'false' })).toContainEqual(
      expect.stringMatching(/^SECRET_ID: is required inside AWS Lambda/),
    );
  });

  it('queue dispatch needs both queues and the ledger table', () => {
    expect(problemsOf({ ...minimal, DISPATCH: 'queue' })).toEqual([
      'QUEUE_URL: is required when DISPATCH=queue',
      'PARKED_QUEUE_URL: is required when DISPATCH=queue',
      'LEDGER_TABLE: is required when DISPATCH=queue',
    ]);
  });

  it('validates the obligation and provider settings', () => {
    const problems = problemsOf({
      ...minimal,
      WOLKVOX_TIMEZONE: 'Mars/Olympus',
      WOLKVOX_DATE_FORMAT: 'DD/MM/YYYY',
      WOLKVOX_CURRENCY: 'pesos',
      OBLIGATION_REDUCE_BALANCE: 'maybe',
      STRIPE_TOLERANCE_SECONDS: '0',
      WOMPI_REFERENCE_PATTERN: '^(?<id>.+)$',
    });
    expect(problems.map((p) => p.split(':')[0])).toEqual([
      'WOLKVOX_TIMEZONE',
      'WOLKVOX_DATE_FORMAT',
      'WOLKVOX_CURRENCY',
      'OBLIGATION_REDUCE_BALANCE',
      'STRIPE_TOLERANCE_SECONDS',
      'WOMPI_REFERENCE_PATTERN',
    ]);
    const tuned = loadConfig({
      ...minimal,
      OBLIGATION_REDUCE_BALANCE: 'false',
      WOLKVOX_DATE_FORMAT: 'YYYY-MM-DD',
    });
    expect(tuned.obligations).toMatchObject({ reduceBalance: false, dateFormat: 'YYYY-MM-DD' });
  });

  it('reads the case mappings as JSON objects, e-mail keys and helpdesk labels case-insensitively', () => {
    const config = loadConfig({
      ...minimal,
      CASE_RESPONSIBLE_MAP:
        '{"Laura.Gomez@Acme.com":"agent_001@demo","5b10ac8d82e05b22cc7d4ef5":"agent_002@demo"}',
      CASE_PRIORITY_MAP: '{"High":"Alta"}',
    });
    expect(config.cases.responsibleMap).toEqual(
      new Map([
        ['laura.gomez@acme.com', 'agent_001@demo'],
        ['5b10ac8d82e05b22cc7d4ef5', 'agent_002@demo'],
      ]),
    );
    expect(config.cases.priorityMap).toEqual(new Map([['high', 'Alta']]));
    expect(
      problemsOf({ ...minimal, CASE_FORM_MAP: '{"a":1}', CASE_TYPE_MAP: 'not json', JIRA_SITE: '.evil.' }),
    ).toEqual([
      expect.stringMatching(/^CASE_TYPE_MAP: must be a JSON object of strings/),
      expect.stringMatching(/^CASE_FORM_MAP/),
      expect.stringMatching(/^JIRA_SITE/),
    ]);
  });

  it('reports every problem at once', () => {
    const problems = problemsOf({
      WOLKVOX_SERVER: 'sv0001.crmvox.com',
      WOLKVOX_OPERATION: 'bad operation!',
      DISPATCH: 'carrier-pigeon',
      SECRETS_TTL_SECONDS: '-5',
      WOLKVOX_TIMEOUT_MS: 'soon',
      WOLKVOX_MAX_IN_FLIGHT: '3',
      AWS_LAMBDA_FUNCTION_NAME: 'paymentReceived',
    });
    expect(problems).toHaveLength(7);
    expect(problems.join('\n')).toMatch(/WOLKVOX_MAX_IN_FLIGHT:/);
    expect(problems.join('\n')).toMatch(/WOLKVOX_SERVER: .*crm0001\.wolkvox\.com/);
    expect(problems.join('\n')).toMatch(/WOLKVOX_OPERATION:/);
    expect(problems.join('\n')).toMatch(/DISPATCH:/);
    expect(problems.join('\n')).toMatch(/SECRETS_TTL_SECONDS:/);
    expect(problems.join('\n')).toMatch(/WOLKVOX_TIMEOUT_MS:/);
    expect(problems.join('\n')).toMatch(/SECRET_ID: is required inside AWS Lambda/);
  });

  it('names missing required variables, and treats blanks as missing', () => {
    const problems = problemsOf({ WOLKVOX_SERVER: '  ' });
    expect(problems).toEqual([
      expect.stringMatching(/^WOLKVOX_SERVER: is required/),
      expect.stringMatching(/^WOLKVOX_OPERATION: is required/),
    ]);
  });

  it('refuses a replay window as long as the ledger remembers applied events (a replay would apply again)', () => {
    const retention = 20 * 86_400;
    const short = { ...minimal, LEDGER_RETENTION_DAYS: '20' };
    expect(
      loadConfig({ ...short, WOMPI_MAX_AGE_SECONDS: String(retention - 1) }).providers.payments.wompi
        .maxAgeSeconds,
    ).toBe(retention - 1);
    expect(
      problemsOf({
        ...short,
        WOMPI_MAX_AGE_SECONDS: String(25 * 86_400),
        JIRA_MAX_AGE_SECONDS: String(retention),
      }),
    ).toEqual([
      expect.stringMatching(/^WOMPI_MAX_AGE_SECONDS: 2160000 s reaches LEDGER_RETENTION_DAYS \(20 days\)/),
      expect.stringMatching(/^JIRA_MAX_AGE_SECONDS: 1728000 s reaches LEDGER_RETENTION_DAYS/),
    ]);
    // SQS keeps a message up to 14 days: the ledger must remember longer.
    expect(problemsOf({ ...minimal, LEDGER_RETENTION_DAYS: '14' })).toEqual([
      expect.stringMatching(/^LEDGER_RETENTION_DAYS: /),
    ]);
  });

  it("holds every provider's replay window, at its default, shorter than the ledger's memory", () => {
    const config = loadConfig(minimal);
    const windows = [
      config.providers.payments.stripe.toleranceSeconds,
      config.providers.tickets.zendesk.toleranceSeconds,
      config.providers.payments.wompi.maxAgeSeconds,
      config.providers.tickets.jira.maxAgeSeconds,
    ];
    for (const window of windows) expect(window * 1000).toBeLessThan(config.queue.ledgerRetentionMs);
  });

  it('takes a Wompi API URL over https, or http only on loopback', () => {
    expect(
      loadConfig({ ...minimal, WOMPI_API_URL: 'https://sandbox.wompi.co/' }).providers.payments.wompi.apiUrl,
    ).toBe('https://sandbox.wompi.co');
    expect(
      loadConfig({ ...minimal, WOMPI_API_URL: 'http://127.0.0.1:9/wompi' }).providers.payments.wompi.apiUrl,
    ).toBe('http://127.0.0.1:9/wompi');
    expect(problemsOf({ ...minimal, WOMPI_API_URL: 'http://production.wompi.co' })).toEqual([
      expect.stringMatching(/^WOMPI_API_URL: plain http is only allowed on loopback/),
    ]);
    expect(problemsOf({ ...minimal, WOMPI_API_URL: 'https://user:pw@production.wompi.co' })).toEqual([
      expect.stringMatching(/^WOMPI_API_URL: must not carry credentials/),
    ]);
  });

  it('takes PROVIDERS as slugs or family/slug, and names an unknown one with the known ones', () => {
    expect(loadConfig({ ...minimal, PROVIDERS: ' Stripe, tickets/jira ' }).enabledProviders).toEqual([
      'stripe',
      'tickets/jira',
    ]);
    expect(problemsOf({ ...minimal, PROVIDERS: 'stripe,strype' })).toEqual([
      `PROVIDERS.1: is not a provider (known: ${[...new Set(REGISTRY.map((entry) => entry.slug))].join(', ')})`,
    ]);
  });

  it("names an unknown variable with one of the project's prefixes with the closest known name", () => {
    expect(
      problemsOf({
        ...minimal,
        WOLKVOX_CURENCY: 'USD',
        JIRA_CASE_ID_FEILD: 'customfield_1',
        CASE_TYPE_MAPS: '{}',
      }),
    ).toEqual([
      'WOLKVOX_CURENCY: is not a setting (did you mean WOLKVOX_CURRENCY?)',
      'JIRA_CASE_ID_FEILD: is not a setting (did you mean JIRA_CASE_ID_FIELD?)',
      'CASE_TYPE_MAPS: is not a setting (did you mean CASE_TYPE_MAP?)',
    ]);
    // Secret keys (read from the environment in local runs) and others' variables are not typos.
    expect(() =>
      loadConfig({
        ...minimal,
        WOLKVOX_TOKEN: 't',
        STRIPE_WEBHOOK_SECRET: 's',
        AWS_REGION: 'us-east-1',
        HOME: '/',
      }),
    ).not.toThrow();
  });

  it('the error message lists the problems', () => {
    expect(() => loadConfig({})).toThrow(/Invalid configuration \(2 problems\):\n {2}- WOLKVOX_SERVER/);
  });
});
