import { describe, expect, it } from 'vitest';
import { resolveWolkvoxServer } from '#lib/wolkvox/host.ts';

describe('WOLKVOX_SERVER host rules', () => {
  it.each([
    ['crm0001.wolkvox.com', 'https://crm0001.wolkvox.com/server/API/v2/'],
    ['  crm.wolkvox.com  ', 'https://crm.wolkvox.com/server/API/v2/'],
    ['https://crm0001.wolkvox.com', 'https://crm0001.wolkvox.com/server/API/v2/'],
    ['https://crm0001.wolkvox.com/', 'https://crm0001.wolkvox.com/server/API/v2/'],
    ['https://crm0001.wolkvox.com/server/API/v2/', 'https://crm0001.wolkvox.com/server/API/v2/'],
    ['http://127.0.0.1:4010', 'http://127.0.0.1:4010/server/API/v2/'],
    ['http://localhost:4010/', 'http://localhost:4010/server/API/v2/'],
    ['http://[::1]:4010', 'http://[::1]:4010/server/API/v2/'],
  ])('%s → %s', (input, expected) => {
    expect(resolveWolkvoxServer(input)).toEqual({ ok: true, baseUrl: expected });
  });

  it('refuses crmvox.com hosts and names the replacement', () => {
    const result = resolveWolkvoxServer('sv0001.crmvox.com');
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problem).toContain('crm0001.wolkvox.com');
    const other = resolveWolkvoxServer('https://sv0000.crmvox.com/');
    expect(!other.ok && other.problem).toContain('crm0000.wolkvox.com');
    const generic = resolveWolkvoxServer('crmvox.com');
    expect(!generic.ok && generic.problem).toMatch(/switched off/);
  });

  it.each([
    ['http://crm0001.wolkvox.com', /only allowed for loopback/],
    ['http://10.0.0.5:4010', /only allowed for loopback/],
    ['ftp://crm0001.wolkvox.com', /only https/],
    ['https://https://crm0001.wolkvox.com', /not a valid host|give the host only/],
    ['crm0001.wolkvox.com/server/API/v2/cases/update.php', /give the host only/],
    ['https://user:pw@crm0001.wolkvox.com', /credentials/],
    ['wv0001.wolkvox.com', /Manager/],
    ['', /empty/],
    ['crm 0001.wolkvox.com', /not a (valid )?host/],
  ])('refuses %j', (input, problem) => {
    const result = resolveWolkvoxServer(input);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problem).toMatch(problem);
  });
});
