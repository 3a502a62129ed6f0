import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('npm run demo (the quickstart)', () => {
  it('runs every sample through the real handlers and finds nothing unexpected', async () => {
    // process.execPath is the Node 24 running vitest, as npm run would use.
    const { stdout } = await run(process.execPath, ['scripts/demo.ts'], { timeout: 60_000 });
    expect(stdout).toContain('Every sample behaved as expected.');
    expect(stdout).toMatch(/stripe: payment_intent\.succeeded delivered again\s+200 skipped/);
    expect(stdout).toMatch(/0 rejected for concurrency/);
  }, 60_000);
});
