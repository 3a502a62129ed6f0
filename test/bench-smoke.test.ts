/**
 * `npm run bench` with tiny counts (--smoke): it builds, measures every section and writes
 * results.json. Only the shape is checked: speed is the benchmark's business, never a unit test's.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILD_TRICKS, FUNCTIONS, VARIANTS } from '../bench/build.ts';
import type { BenchResults } from '../bench/table.ts';

const ROOT = join(import.meta.dirname, '..');

let dir: string;
let run: { code: number | null; stdout: string; stderr: string };
let results: BenchResults;

function runBench(args: string[], timeoutMs: number): Promise<typeof run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'bench', 'run.ts'), ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const isNumber = (value: unknown) => typeof value === 'number' && Number.isFinite(value);

describe('npm run bench --smoke', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wolkvox-bench-smoke-'));
    const out = join(dir, 'results.json');
    // --build-dir: never rewrite .esbuild/ while another test may be packaging it.
    run = await runBench(['--smoke', '--build-dir', join(dir, 'build'), '--out', out], 110_000);
    if (run.code === 0) results = JSON.parse(await readFile(out, 'utf8')) as BenchResults;
  }, 120_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('exits 0 and prints every section and the targets', () => {
    expect(run.code, run.stderr.slice(-3000)).toBe(0);
    for (const heading of [
      'a. Bundle size',
      'b. Cold start',
      "b'. Cold start of ours, tracing off / on",
      'b″. Cold start of ours without each build trick',
      'c. Warm cost',
      'd. Throughput',
      'e. Per 1,000',
    ]) {
      expect(run.stdout).toContain(heading);
    }
    expect(run.stdout).toMatch(/Targets[\s\S]*(PASS|FAIL)/);
  });

  it('records the machine and the options', () => {
    expect(results.machine.node).toBe(process.version);
    expect(results.machine.cpus).toBeGreaterThan(0);
    expect(Date.parse(results.machine.date)).not.toBeNaN();
    expect(results.options.smoke).toBe(true);
  });

  it('a–c: sizes, cold starts and warm costs of every function, ours and both baselines', () => {
    for (const name of FUNCTIONS) {
      expect(isNumber(results.bundleSize[name].ratio)).toBe(true);
      for (const variant of VARIANTS) {
        expect(results.bundleSize[name][variant].total).toBeGreaterThan(0);
        expect(results.bundleSize[name][variant].loadedAtColdStart).toBeGreaterThan(0);
        const cold = results.coldStart[name][variant];
        expect(cold.runs).toBe(results.options.coldRuns);
        expect(isNumber(cold.medianTotalMs) && isNumber(cold.medianLoadAndServeMs)).toBe(true);
        const warm = results.warm[name][variant];
        expect(warm.events).toBe(results.options.warmEvents);
        for (const value of [warm.wallUs.p50, warm.wallUs.p99, warm.cpuUs.p50, warm.cpuUs.p99]) {
          expect(isNumber(value)).toBe(true);
        }
      }
    }
  });

  it("b″: ours beside ours built without each of scripts/build.ts's speed tricks", () => {
    expect(Object.keys(results.coldStartTricks).sort()).toEqual(Object.keys(BUILD_TRICKS).sort());
    for (const byFunction of Object.values(results.coldStartTricks)) {
      for (const name of FUNCTIONS) {
        const cost = byFunction[name];
        expect(cost.with.runs).toBe(cost.without.runs);
        expect(isNumber(cost.medianSavedMs) && isNumber(cost.without.medianLoadAndServeMs)).toBe(true);
      }
    }
  });

  it('d–e: throughput runs that drained the queue, per-1,000 counts and peak RSS', () => {
    for (const label of ['ours', 'fair', 'naive', 'sequential'] as const) {
      const run = results.throughput[label];
      expect(run.completed).toBe(true);
      expect(run.applied).toBe(results.options.throughputEvents);
      expect(isNumber(run.achievedOverIdeal)).toBe(true);
      expect(isNumber(run.concurrencyRejections)).toBe(true);
    }
    for (const name of FUNCTIONS) {
      const calls = results.perThousandEvents.secretsManagerCalls[name];
      expect(isNumber(calls.ours) && isNumber(calls.naive)).toBe(true);
      expect(results.peakRssBytes[name].ours).toBeGreaterThan(0);
      expect(results.peakRssBytes[name].naive).toBeGreaterThan(0);
    }
    expect(isNumber(results.perThousandEvents.wolkvoxConnections.naive)).toBe(true);
  });

  it('lists the targets with a verdict each', () => {
    expect(results.targets.length).toBeGreaterThanOrEqual(10);
    for (const target of results.targets) {
      expect(typeof target.name).toBe('string');
      expect(typeof target.pass).toBe('boolean');
    }
  });
});
