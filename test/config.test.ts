import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '#lib/config.ts';

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
      },
      secrets: { secretId: undefined, ttlMs: 300_000 },
      dispatch: 'direct',
      logLevel: 'INFO',
      inLambda: false,
    });
  });

  it('defaults to queue dispatch inside Lambda', () => {
    const config = loadConfig({ ...minimal, AWS_LAMBDA_FUNCTION_NAME: 'fn', SECRET_ID: 'wolkvox/prod' });
    expect(config).toMatchObject({
      dispatch: 'queue',
      inLambda: true,
      secrets: { secretId: 'wolkvox/prod' },
    });
  });

  it('reports every problem at once', () => {
    const problems = problemsOf({
      WOLKVOX_SERVER: 'sv0001.crmvox.com',
      WOLKVOX_OPERATION: 'bad operation!',
      DISPATCH: 'carrier-pigeon',
      SECRETS_TTL_SECONDS: '-5',
      WOLKVOX_TIMEOUT_MS: 'soon',
      AWS_LAMBDA_FUNCTION_NAME: 'paymentReceived',
    });
    expect(problems).toHaveLength(6);
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

  it('the error message lists the problems', () => {
    expect(() => loadConfig({})).toThrow(/Invalid configuration \(2 problems\):\n {2}- WOLKVOX_SERVER/);
  });
});
