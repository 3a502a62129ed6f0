/**
 * `npm run bench` (node bench/run.ts): builds the production bundles (scripts/build.ts), the fair
 * baseline (bench/fair/: the targets are stated against it) and the naive one (bench/naive/: a
 * second reference), then measures all three in one run, side by side and taking turns:
 *   a. bundle sizes; b. cold starts; c. warm cost per event; d. throughput against the sandbox's
 *   2-concurrent limit; e. Secrets Manager calls and wolkvox connections per 1,000 events, peak RSS;
 *   f. the ticket text converters on hostile text ÷ on ordinary text of the same size (bench/text.ts).
 *   g. a month-end burst through the queue: wolkvox requests per payment, webhook → CRM p50/p99 on 1 and
 *   4 tokens beside the physical limit (bench/latency.ts).
 * Prints a table with the issue's targets and writes bench/results.json.
 *
 *   node bench/run.ts [--cold-runs 25] [--warm 2000] [--warmup 200] [--throughput 300]
 *                     [--latency 50] [--burst-latency 200] [--skip-dynamodb] [--build-dir DIR] [--out FILE] [--smoke]
 *
 * --smoke: tiny counts, to check the bench works (npm test runs it); its numbers mean nothing.
 * --skip-dynamodb: leave out the throughput run of ours with the DynamoDB ledger (dynalite).
 * --build-dir: build all three into DIR instead of .esbuild/ (the smoke test does, so that it never
 *   rewrites .esbuild/ while `osls package` zips it).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, platform, arch, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  type BASELINES,
  BUILD_TRICKS,
  CODE_CACHE,
  copyOursWithoutCodeCache,
  EXEC_WRAPPER,
  type BuildTrick,
  buildBundles,
  buildOursWithout,
  FUNCTIONS,
  type FunctionName,
  VARIANTS,
} from './build.ts';
import { type Launch, launchOf, measureBuildTricks, measureColdStarts, measureTracingCost } from './cold.ts';
import { startTracing } from '#lib/tracing.ts';
import { applyInProcessEnv, dropEmfLines } from './env.ts';
import { fair, naive, ours } from './implementations.ts';
import { latencyPlans, measureLatency } from './latency.ts';
import { hostileTextOptions, measureHostileText } from './text.ts';
import { startServices } from './services.ts';
import { ratio, round } from './stats.ts';
import { type BenchResults, evaluateTargets, perThousand, renderTable } from './table.ts';
import { BATCH_SIZE, measureThroughput, type ThroughputRun } from './throughput.ts';
import { measureTokensApart, tokenPlans } from './tokens.ts';
import { measureWarm } from './warm.ts';

const { values: flags } = parseArgs({
  options: {
    'cold-runs': { type: 'string' },
    warm: { type: 'string' },
    warmup: { type: 'string' },
    throughput: { type: 'string' },
    latency: { type: 'string' },
    'burst-latency': { type: 'string' },
    'skip-dynamodb': { type: 'boolean' },
    'build-dir': { type: 'string' },
    out: { type: 'string' },
    smoke: { type: 'boolean', default: false },
  },
});

function count(name: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new Error(`--${name} must be an integer ≥ ${min}, got "${value}"`);
  return n;
}

const smoke = flags.smoke;
// 25, not the issue's minimum of 15: single cold starts on a shared VM vary by ±30%, and the median
// of more settles the ratio. Every sample is in results.json.
const coldRuns = count('cold-runs', flags['cold-runs'], smoke ? 1 : 25, 1);
const warm = count('warm', flags.warm, smoke ? 20 : 2000, 1);
const warmup = count('warmup', flags.warmup, smoke ? 5 : Math.max(20, Math.round(warm / 10)), 0);
const throughputEvents = count('throughput', flags.throughput, smoke ? 12 : 300, 1);
const latencyMs = count('latency', flags.latency, 50, 1);
// The month-end burst (bench/latency.ts) at a slower wolkvox, where a backlog forms.
const latencyBurstMs = count('burst-latency', flags['burst-latency'], 200, 1);
const out = flags.out ?? join(import.meta.dirname, 'results.json');
// The DynamoDB-ledger throughput run takes the longest: off in smoke runs unless asked.
const skipDynamo = flags['skip-dynamodb'] ?? smoke;

const begun = performance.now();
const log = (message: string) =>
  process.stderr.write(`bench [${((performance.now() - begun) / 1000).toFixed(1)} s]: ${message}\n`);

// In-process and CPU-bound: measured first, while nothing else runs.
const textOptions = hostileTextOptions(smoke);
log(
  `hostile text: ${textOptions.size} characters, ${textOptions.warmup} + ${textOptions.runs} runs per input`,
);
const hostileText = measureHostileText(textOptions);

log(`building bundles${flags['build-dir'] ? ` into ${flags['build-dir']}` : ''}`);
const built = await buildBundles(flags['build-dir']);
const services = await startServices();
const keepEmfLines = dropEmfLines();
try {
  applyInProcessEnv(services);
  // Tracing on, as in prod: ours wraps its handlers and captures its clients (lib/tracing.ts).
  const trace = startTracing();
  const implementations = { ours: ours(trace), fair: await fair(), naive: await naive() };

  log(`cold starts: ${coldRuns} run(s) × ${FUNCTIONS.length} functions × ${VARIANTS.length}`);
  const [coldTarget] = await services.addObligations('COLD', 1, '1000000000');
  if (!coldTarget) throw new Error('no obligation for the cold starts');
  const coldStart = await measureColdStarts(built, services, implementations, coldTarget, coldRuns);
  log(`cold starts of ours, tracing off and on: ${coldRuns} run(s) × ${FUNCTIONS.length} functions × 2`);
  const coldStartTracing = await measureTracingCost(
    built,
    services,
    implementations.ours,
    coldTarget,
    coldRuns,
  );

  // 15 pairs, not 25: each trick × three functions × two builds; a paired difference settles
  // sooner than a ratio of medians.
  const trickRuns = Math.min(coldRuns, 15);
  const trickCount = Object.keys(BUILD_TRICKS).length;
  log(
    `cold starts of ours without each build trick: ${trickRuns} pair(s) × ${FUNCTIONS.length} functions × ${trickCount}`,
  );
  const trickDir = await mkdtemp(join(tmpdir(), 'wolkvox-bench-without-'));
  let coldStartTricks;
  try {
    type Started = Record<FunctionName, { bundle: string; launch: Launch }>;
    const startedAs = (bundles: Record<FunctionName, string>, launch: Launch) =>
      Object.fromEntries(FUNCTIONS.map((name) => [name, { bundle: bundles[name], launch }])) as Started;
    const startedWithout = async (plugin: string): Promise<Started> => {
      // The exec wrapper's pair: the same bundles, Node started straight with Lambda's flags.
      if (plugin === EXEC_WRAPPER) return startedAs(built.ours, 'bootstrap');
      const dir = join(trickDir, plugin);
      const bundles =
        plugin === CODE_CACHE
          ? await copyOursWithoutCodeCache(built.ours, dir)
          : await buildOursWithout(plugin, dir);
      return startedAs(bundles, launchOf('ours'));
    };
    const without = {} as Record<BuildTrick, Started>;
    for (const [trick, plugin] of Object.entries(BUILD_TRICKS) as [BuildTrick, string][]) {
      without[trick] = await startedWithout(plugin);
    }
    coldStartTricks = await measureBuildTricks(
      built,
      without,
      services,
      implementations.ours,
      coldTarget,
      trickRuns,
    );
  } finally {
    await rm(trickDir, { recursive: true, force: true });
  }

  log(`warm: ${warmup} + ${warm} events per series`);
  const warmTargets = await services.addObligations('WARM', 20, '1000000000');
  // Fresh ingress containers of ours, so each series counts its own Secrets Manager fetch.
  const warmImplementations = { ...implementations, ours: ours(trace) };
  const warmResults = await measureWarm(services, warmImplementations, warmTargets, { warm, warmup });

  const throughputOptions = {
    events: throughputEvents,
    latencyMs,
    timeoutMs: Math.max(30_000, throughputEvents * latencyMs * 20),
  };
  const runThroughput = (
    label: string,
    implementation: (typeof implementations)['ours'],
    containers: number,
    ledger: 'memory' | 'dynamodb',
    afterOutage = false,
  ): Promise<ThroughputRun> => {
    log(`throughput: ${label}`);
    return measureThroughput(
      services,
      { label, implementation, containers, ledger, afterOutage },
      throughputOptions,
    );
  };
  const throughput: BenchResults['throughput'] = {
    ours: await runThroughput('ours', implementations.ours, 2, 'memory'),
    fair: await runThroughput('fair', implementations.fair, 2, 'memory'),
    naive: await runThroughput('naive', implementations.naive, 2, 'memory'),
    sequential: await runThroughput('sequential', implementations.ours, 1, 'memory'),
    afterOutage: await runThroughput('after-outage', implementations.ours, 2, 'memory', true),
  };
  if (!skipDynamo) {
    throughput.oursDynamo = await runThroughput('ours-dynamodb', implementations.ours, 2, 'dynamodb');
  }

  const tokens = [];
  for (const plan of tokenPlans(smoke)) {
    log(`tokens: ${plan.tokens} at ${plan.latencyMs} ms, ${plan.events} payments`);
    tokens.push(await measureTokensApart(plan));
  }

  const latency = [];
  for (const plan of latencyPlans({ smoke, latencyMs: latencyBurstMs })) {
    log(`webhook → CRM: ${plan.label}`);
    latency.push(await measureLatency(services, implementations.ours, plan));
  }

  const bundleSize = {} as BenchResults['bundleSize'];
  const peakRssBytes = {} as BenchResults['peakRssBytes'];
  for (const name of FUNCTIONS) {
    const sizes = {
      ours: built.sizes.ours[name],
      fair: built.sizes.fair[name],
      naive: built.sizes.naive[name],
    };
    const versus = (baseline: (typeof BASELINES)[number]) => ({
      ratio: round(ratio(sizes.ours.total, sizes[baseline].total), 3),
      loadedAtColdStartRatio: round(
        ratio(sizes.ours.loadedAtColdStart, sizes[baseline].loadedAtColdStart),
        3,
      ),
    });
    bundleSize[name] = { ...sizes, ...versus('fair'), naive: { ...sizes.naive, ...versus('naive') } };
    peakRssBytes[name] = {
      ours: coldStart[name].ours.medianMaxRssBytes,
      fair: coldStart[name].fair.medianMaxRssBytes,
      naive: coldStart[name].naive.medianMaxRssBytes,
    };
  }
  const partial: Omit<BenchResults, 'targets'> = {
    machine: {
      node: process.version,
      platform: platform(),
      arch: arch(),
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
      totalMemoryBytes: totalmem(),
      date: new Date().toISOString(),
    },
    options: {
      smoke,
      coldRuns,
      warmEvents: warm,
      warmupEvents: warmup,
      throughputEvents,
      latencyMs,
      batchSize: BATCH_SIZE,
    },
    bundleSize,
    coldStart,
    coldStartTracing,
    coldStartTricks,
    warm: warmResults,
    throughput,
    perThousandEvents: perThousand(warmResults, throughput),
    peakRssBytes,
    hostileText,
    tokens,
    latency,
  };
  const results: BenchResults = { ...partial, targets: evaluateTargets(partial) };
  await writeFile(out, `${JSON.stringify(results, null, 2)}\n`);
  keepEmfLines();
  console.log(renderTable(results));
  log(`wrote ${out}`);
} finally {
  keepEmfLines();
  await services.close();
}
