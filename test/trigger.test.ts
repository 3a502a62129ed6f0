import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localContext, startLocal } from '#lib/local/runtime.ts';
import { readCatalog } from '#lib/local/samples.ts';
import { trigger, TriggerError } from '#lib/local/trigger.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const script = (name: string) => fileURLToPath(new URL(`../scripts/${name}`, import.meta.url));
let server: ChildProcess;
let base = '';

/** `npm start` on a free port, from a clean directory: no developer .env changes what it verifies with. */
beforeAll(async () => {
  server = spawn(process.execPath, [script('start.ts')], {
    cwd: tmpdir(),
    env: { PATH: process.env.PATH ?? '', PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  server.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  server.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  base = await new Promise<string>((resolve, reject) => {
    const look = () => {
      const match = /webhooks on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match?.[1]) resolve(match[1]);
      else if (server.exitCode !== null) reject(new Error(`npm start did not start: ${output}`));
      else setTimeout(look, 20);
    };
    look();
  });
});
afterAll(() => {
  server.kill('SIGKILL');
});

/** The trigger's printed lines and exit status, signing with the built-in local secrets only. */
async function run(provider: string | undefined, sample?: string, family?: 'payments' | 'tickets') {
  const lines: string[] = [];
  const code = await trigger({ provider, sample, family, to: base, env: {}, print: (l) => lines.push(l) });
  return { code, lines, text: lines.join('\n') };
}

const firstApplying = (await readCatalog()).filter(
  (entry, i, all) =>
    entry.expect === 'applied' &&
    all.findIndex(
      (e) => e.expect === 'applied' && e.provider === entry.provider && e.family === entry.family,
    ) === i,
);

describe('npm run trigger', () => {
  it.each(firstApplying.map((entry) => [`${entry.family}/${entry.provider}`, entry] as const))(
    'delivers %s signed as the provider would, and prints the answer and wolkvox before → after',
    async (_, entry) => {
      const { code, lines, text } = await run(entry.provider, entry.file, entry.family);
      expect(code, text).toBe(0);
      expect(lines[0]).toContain(`POST ${base}/webhooks/${entry.family}/${entry.provider}`);
      expect(lines[1]).toMatch(/^HTTP 2\d\d /);
      // Samples share seeded records: a later one may be older than a resolution already applied.
      const applied = text.includes('"status":"applied"');
      const name =
        entry.target && 'obligation' in entry.target
          ? entry.target.obligation
          : `case ${entry.target?.caseId}`;
      const change = lines.find((line) => line.startsWith(`wolkvox ${name}: `));
      expect(change, text).toBeDefined();
      if (applied) expect(change).toMatch(/ → /);
      if (entry.provider === 'adyen') expect(text).toContain('x-webhook-outcome: {"status":"applied"');
    },
  );

  it('finds a sample by its short name, and the second delivery of a payment changes nothing', async () => {
    const first = await run('stripe', 'invoice.paid');
    expect(first.text).toMatch(/wolkvox PAG-2024-00123: balance [\d.]+ → [\d.]+/);
    const again = await run('stripe', 'invoice.paid');
    expect(again.text).toContain('"status":"skipped"');
    expect(again.text).toMatch(/wolkvox PAG-2024-00123: unchanged: balance/);
  });

  it("lists a provider's samples with their expected outcome and note", async () => {
    const { code, lines } = await run('stripe');
    expect(code).toBe(0);
    expect(lines[0]).toBe('stripe samples (npm run trigger -- stripe <sample>):');
    expect(lines).toContainEqual(
      expect.stringMatching(/^ {2}payment_intent\.succeeded +applied {2}Card payment of COP 150,000/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/payment_intent\.succeeded\.usd +parked {3}Carlos paid USD/),
    );
    // A slug in both families lists both, marked.
    expect((await run('standard')).text).toMatch(/\[tickets\]/);
  });

  it('names the providers for an unknown one, and the samples for an unknown sample', async () => {
    await expect(run('nope')).rejects.toThrow(/Unknown provider "nope"\. Providers: stripe, .*zendesk/);
    await expect(run('stripe', 'nope')).rejects.toThrow(/No sample "nope" for stripe\.\n.*samples/);
  });

  it('says to start the server when nothing answers', async () => {
    const lines: string[] = [];
    const attempt = trigger({
      provider: 'stripe',
      sample: 'invoice.paid',
      to: 'http://127.0.0.1:9',
      env: {},
      print: (l) => lines.push(l),
    });
    await expect(attempt).rejects.toThrow(TriggerError);
    await expect(attempt).rejects.toThrow(/Nothing answers at http:\/\/127\.0\.0\.1:9 .*npm start/);
  });
});

describe('errors that say what to do', () => {
  const node24 = process.execPath;
  const checkNode = script('check-node.mjs');
  /** Node 24 told it is Node 20, for machines whose other Node is not at hand. */
  const pretend20 =
    'data:text/javascript,Object.defineProperty(process,"versions",{value:{...process.versions,node:"20.1.0"}});Object.defineProperty(process,"version",{value:"v20.1.0"})';

  it('the Node check runs on an older Node and says how to fix it', () => {
    const result = spawnSync(node24, ['--import', pretend20, checkNode], { encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('This project needs Node 24');
    expect(result.stderr).toContain('this is Node v20.1.0');
    expect(result.stderr).toMatch(/npm scripts/);
    expect(result.stderr).toContain('nvm use 24');
    expect(spawnSync(node24, [checkNode]).status).toBe(0);
  });

  it.runIf(
    existsSync('/usr/bin/node') &&
      !spawnSync('/usr/bin/node', ['-v'], { encoding: 'utf8' }).stdout.startsWith('v24'),
  )("runs under the system's own older Node", () => {
    const result = spawnSync('/usr/bin/node', [checkNode], { encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('This project needs Node 24');
  });

  it('every npm script that runs a .ts file runs the Node check first', async () => {
    const { scripts } = (await import('../package.json', { with: { type: 'json' } })).default as {
      scripts: Record<string, string>;
    };
    for (const [name, command] of Object.entries(scripts))
      if (/\.ts\b|osls|vitest/.test(command))
        expect(command, name).toMatch(/^node scripts\/check-node\.mjs && /);
  });

  it('prints a configuration error once, as its list, without a stack', () => {
    const result = spawnSync(
      node24,
      [script('invoke.ts'), 'paymentReceived', 'events/stripe/payment_intent.succeeded.json'],
      {
        cwd: ROOT,
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '', WOLKVOX_SERVER: 'crmvox.com' },
      },
    );
    expect(result.status).toBe(1);
    expect(result.stderr.match(/Invalid configuration/g)).toHaveLength(1);
    expect(result.stderr.match(/crmvox\.com hosts were switched off/g)).toHaveLength(1);
    expect(result.stderr).not.toContain('    at ');
  });

  it('npm run invoke with a missing file says where the samples are and how to sign one', () => {
    const result = spawnSync(node24, [script('invoke.ts'), 'paymentReceived', 'events/stripe/nope.json'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '' },
    });
    expect(result.status).toBe(2);
    expect(result.stderr.trim()).toBe(
      'No file events/stripe/nope.json. The samples are listed by npm run trigger -- <provider> (events/<provider>/*.json); an event of your own is signed by npm run sign -- <provider> <file>.',
    );
  });

  it('a raw sample given as the event (osls invoke local) is answered with the command that wraps it', async () => {
    const local = await startLocal({ env: {}, freshSandbox: true, logLevel: 'SILENT' });
    try {
      const raw = JSON.parse(
        await (
          await import('node:fs/promises')
        ).readFile(`${ROOT}events/stripe/payment_intent.succeeded.json`, 'utf8'),
      ) as never;
      const answer = await local.handlers.paymentReceived(raw, localContext('paymentReceived'));
      expect(answer.statusCode).toBe(404);
      expect(JSON.parse(answer.body ?? '{}')).toEqual({
        error: expect.stringContaining('npm run sign -- <provider> <sample.json>') as unknown,
      });
      expect(answer.body).toContain('npm run trigger -- <provider> <sample>');
    } finally {
      await local.close();
    }
  });
});

describe('npm start -- --watch', () => {
  it('restarts on a change under scripts/, and stops with its server when told to', async () => {
    const watched = spawn(process.execPath, [script('start.ts'), '--watch'], {
      cwd: tmpdir(),
      env: { PATH: process.env.PATH ?? '', PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    watched.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    watched.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    /** The URL of the `count`-th server started. */
    const started = (count: number) =>
      new Promise<string>((resolve, reject) => {
        const look = () => {
          const urls = [...output.matchAll(/webhooks on (http:\/\/127\.0\.0\.1:\d+)/g)].map(
            (m) => m[1] ?? '',
          );
          if (urls.length >= count) resolve(urls[count - 1] ?? '');
          else if (watched.exitCode !== null) reject(new Error(`npm start --watch ended: ${output}`));
          else setTimeout(look, 50);
        };
        look();
      });
    const probe = fileURLToPath(new URL(`../scripts/.watch-probe-${process.pid}`, import.meta.url));
    const { writeFile, rm } = await import('node:fs/promises');
    try {
      await started(1);
      await writeFile(probe, 'a change');
      const second = await started(2);
      expect(output).toContain('Restarting');
      expect((await fetch(`${second}/local/wolkvox`)).status).toBe(200);
      const exited = new Promise((resolve) => watched.once('exit', resolve));
      watched.kill('SIGTERM');
      await exited;
      await expect(fetch(`${second}/local/wolkvox`)).rejects.toThrow();
    } finally {
      await rm(probe, { force: true });
      watched.kill('SIGKILL');
    }
  }, 90_000);
});
