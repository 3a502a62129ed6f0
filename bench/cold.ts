/**
 * b. Cold starts: a fresh Node process per run (bench/cold-driver.mjs) loads a bundle with the
 * deploy environment and serves its first event against the loopback services: Secrets Manager,
 * SQS and DynamoDB fakes and the wolkvox sandbox. Ours and the baselines take turns within each run
 * (who goes first rotates from run to run). Every process starts with Node's flags as Lambda's
 * bootstrap passes them (env.ts, lambdaNodeArgs); ours through its exec wrapper, as serverless.yml
 * deploys it, with what the wrapper itself costs added to its figures.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BuildTrick, Built, FunctionName, Variant } from './build.ts';
import { FUNCTIONS, VARIANTS } from './build.ts';
import { deployEnv, lambdaNodeArgs } from './env.ts';
import { lambdaContext, sqsRecord, stripePaymentEvent, zendeskResolutionEvent } from './events.ts';
import { accepted, applied, type Implementation } from './implementations.ts';
import type { Services, Target } from './services.ts';
import { median, round } from './stats.ts';

const DRIVER = join(import.meta.dirname, 'cold-driver.mjs');
/** Lambda's exec wrapper (AWS_LAMBDA_EXEC_WRAPPER in serverless.yml). */
const WRAPPER = join(import.meta.dirname, '..', 'functions', 'exec-wrapper.sh');
const MARK = '@@cold-start@@';
const SPAWN_TIMEOUT_MS = 30_000;

/**
 * How a cold start's process is started: with Lambda's bootstrap flags, or through ours' exec
 * wrapper given those flags, as Lambda runs a function whose environment names one.
 */
export type Launch = 'bootstrap' | 'wrapper';
/** Ours is deployed with its exec wrapper (serverless.yml); the baselines set none. */
export const launchOf = (variant: Variant): Launch => (variant === 'ours' ? 'wrapper' : 'bootstrap');

export interface ColdRun {
  totalMs: number;
  importMs: number;
  firstEventMs: number;
  /** What the exec wrapper itself took to start Node (0 without one): counted in load + first event. */
  launchMs: number;
  maxRssBytes: number;
}

export interface ColdSummary {
  runs: number;
  /** Process start → first answer (Node's own bootstrap and the exec wrapper's start included). */
  medianTotalMs: number;
  /** Bundle import + first event (+ the exec wrapper's own start): what the deployment is responsible for (the target). */
  medianLoadAndServeMs: number;
  /** The exec wrapper's own start (bash, then exec), 0 without one. */
  medianLaunchMs: number;
  /** Process start → the driver's first line: Node's own start-up, the same for any bundle. */
  medianStartUpMs: number;
  medianImportMs: number;
  medianFirstEventMs: number;
  medianMaxRssBytes: number;
  samples: ColdRun[];
}

export type ColdResults = Record<FunctionName, Record<Variant, ColdSummary>>;

const LAMBDA_NAMES: Record<FunctionName, string> = {
  'payment-received': 'wolkvox-webhooks-bench-paymentReceived',
  'ticket-resolved': 'wolkvox-webhooks-bench-ticketResolved',
  'wolkvox-sync': 'wolkvox-webhooks-bench-wolkvoxSync',
};

export async function measureColdStarts(
  built: Built,
  services: Services,
  implementations: Record<Variant, Implementation>,
  target: Target,
  runs: number,
): Promise<ColdResults> {
  const dir = await mkdtemp(join(tmpdir(), 'wolkvox-bench-cold-'));
  const samples = {} as Record<FunctionName, Record<Variant, ColdRun[]>>;
  for (const name of FUNCTIONS) samples[name] = { ours: [], fair: [], naive: [] };
  try {
    for (let run = 0; run < runs; run++) {
      // Rotate who goes first, so a drift of the machine weighs on all alike.
      const order: Variant[] = VARIANTS.map((_, i) => VARIANTS[(i + run) % VARIANTS.length] as Variant);
      for (const name of FUNCTIONS) {
        for (const variant of order) {
          const event = await invocationEvent(
            name,
            implementations[variant],
            target,
            `${variant}_${run}`,
            run,
          );
          const file = join(dir, `${name}-${variant}-${run}.json`);
          await writeFile(file, JSON.stringify({ event, functionName: LAMBDA_NAMES[name] }));
          const bundle = built[variant][name];
          samples[name][variant].push(
            await coldStart(
              name,
              bundle,
              file,
              deployEnv(services, LAMBDA_NAMES[name], variant),
              launchOf(variant),
            ),
          );
        }
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const results = {} as ColdResults;
  for (const name of FUNCTIONS) {
    results[name] = {
      ours: summarize(samples[name].ours),
      fair: summarize(samples[name].fair),
      naive: summarize(samples[name].naive),
    };
  }
  return results;
}

export type TracingCost = Record<FunctionName, { off: ColdSummary; on: ColdSummary }>;

/**
 * What tracing costs ours at cold start: the same bundle with POWERTOOLS_TRACE_ENABLED false (the
 * tracer and aws-xray-sdk-core never loaded) and true (loaded before the first event, every client
 * captured, subsegments sent), alternating within each run.
 */
export async function measureTracingCost(
  built: Built,
  services: Services,
  implementation: Implementation,
  target: Target,
  runs: number,
): Promise<TracingCost> {
  const dir = await mkdtemp(join(tmpdir(), 'wolkvox-bench-tracing-'));
  const samples = {} as Record<FunctionName, { off: ColdRun[]; on: ColdRun[] }>;
  for (const name of FUNCTIONS) samples[name] = { off: [], on: [] };
  try {
    for (let run = 0; run < runs; run++) {
      const order = run % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const);
      for (const name of FUNCTIONS) {
        for (const tracing of order) {
          const event = await invocationEvent(name, implementation, target, `tracing_${tracing}_${run}`, run);
          const file = join(dir, `${name}-${tracing}-${run}.json`);
          await writeFile(file, JSON.stringify({ event, functionName: LAMBDA_NAMES[name] }));
          const env = deployEnv(services, LAMBDA_NAMES[name], 'ours', tracing === 'on');
          samples[name][tracing].push(await coldStart(name, built.ours[name], file, env, launchOf('ours')));
        }
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const results = {} as TracingCost;
  for (const name of FUNCTIONS) {
    results[name] = { off: summarize(samples[name].off), on: summarize(samples[name].on) };
  }
  return results;
}

export interface TrickCost {
  with: ColdSummary;
  without: ColdSummary;
  /** Median of each round's (without − with): what the trick saves a cold start, load + first event. */
  medianSavedMs: number;
}
export type TrickCosts = Record<BuildTrick, Record<FunctionName, TrickCost>>;

/**
 * What each build trick saves ours at cold start: ours as built beside ours built without it
 * (bench/build.ts, buildOursWithout), in pairs whose order alternates; the saving is the median of
 * the pairs' differences, which a machine slowing down mid-run shifts far less than the medians.
 */
export async function measureBuildTricks(
  built: Built,
  without: Record<BuildTrick, Record<FunctionName, { bundle: string; launch: Launch }>>,
  services: Services,
  implementation: Implementation,
  target: Target,
  runs: number,
): Promise<TrickCosts> {
  const dir = await mkdtemp(join(tmpdir(), 'wolkvox-bench-tricks-'));
  const tricks = Object.keys(without) as BuildTrick[];
  const samples = {} as Record<BuildTrick, Record<FunctionName, { with: ColdRun[]; without: ColdRun[] }>>;
  for (const trick of tricks) {
    samples[trick] = {} as Record<FunctionName, { with: ColdRun[]; without: ColdRun[] }>;
    for (const name of FUNCTIONS) samples[trick][name] = { with: [], without: [] };
  }
  try {
    // Rounds outermost: a slow spell of the machine spreads over every trick alike instead of
    // landing on one trick's pairs.
    for (let run = 0; run < runs; run++) {
      const order = run % 2 === 0 ? (['with', 'without'] as const) : (['without', 'with'] as const);
      for (const trick of tricks) {
        for (const name of FUNCTIONS) {
          for (const variant of order) {
            const event = await invocationEvent(
              name,
              implementation,
              target,
              `trick${tricks.indexOf(trick)}_${variant}_${run}`,
              run,
            );
            const file = join(dir, `${name}-${variant}-${run}.json`);
            await writeFile(file, JSON.stringify({ event, functionName: LAMBDA_NAMES[name] }));
            const { bundle, launch } =
              variant === 'with'
                ? { bundle: built.ours[name], launch: launchOf('ours') }
                : without[trick][name];
            const env = deployEnv(services, LAMBDA_NAMES[name], 'ours');
            samples[trick][name][variant].push(await coldStart(name, bundle, file, env, launch));
          }
        }
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const results = {} as TrickCosts;
  for (const trick of tricks) {
    results[trick] = {} as Record<FunctionName, TrickCost>;
    for (const name of FUNCTIONS) {
      const pairs = samples[trick][name];
      results[trick][name] = {
        with: summarize(pairs.with),
        without: summarize(pairs.without),
        medianSavedMs: round(
          median(pairs.with.map((s, i) => loadAndServe(pairs.without[i] ?? s) - loadAndServe(s))),
        ),
      };
    }
  }
  return results;
}

/** A fresh event for one run: a signed webhook, or for the worker a message its own ingress queued. */
async function invocationEvent(
  name: FunctionName,
  implementation: Implementation,
  target: Target,
  id: string,
  run: number,
): Promise<unknown> {
  if (name === 'payment-received') return stripePaymentEvent(`cold_${id}`, target, 100);
  if (name === 'ticket-resolved') return zendeskResolutionEvent(run);
  const before = implementation.queue.sent.length;
  const answer = await implementation.payment(
    stripePaymentEvent(`coldsync_${id}`, target, 100),
    lambdaContext('bench'),
  );
  const message = implementation.queue.sent[before];
  if (!accepted(answer) || !message)
    throw new Error(`${implementation.variant} ingress did not queue the event`);
  return { Records: [sqsRecord(message, run)] };
}

async function coldStart(
  name: FunctionName,
  bundle: string,
  invocationFile: string,
  env: Record<string, string>,
  launch: Launch,
): Promise<ColdRun> {
  const node = [process.execPath, ...lambdaNodeArgs(), DRIVER];
  const [command = process.execPath, ...args] = launch === 'wrapper' ? [WRAPPER, ...node] : node;
  const child = spawn(command, args, {
    env: { ...env, COLD_BUNDLE: bundle, COLD_INVOCATION: invocationFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), SPAWN_TIMEOUT_MS);
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  clearTimeout(timer);
  const line = stdout.split('\n').find((l) => l.startsWith(MARK));
  if (code !== 0 || !line) {
    throw new Error(
      `cold start of ${bundle} failed (exit ${code}):\n${stderr.slice(-2000)}${stdout.slice(-2000)}`,
    );
  }
  // Ours as deployed must run on its code cache, or the figure is not what Lambda would run.
  if (launch === 'wrapper' && stderr.includes('refused the code cache')) {
    throw new Error(`cold start of ${bundle}: V8 refused its code cache:\n${stderr.slice(-1000)}`);
  }
  const measured = JSON.parse(line.slice(MARK.length)) as ColdRun & { result: unknown };
  const ok = name === 'wolkvox-sync' ? applied(measured.result) : accepted(measured.result);
  if (!ok) {
    throw new Error(
      `cold start of ${bundle} answered ${JSON.stringify(measured.result)}:\n${stdout.slice(-2000)}`,
    );
  }
  return {
    totalMs: measured.totalMs,
    importMs: measured.importMs,
    firstEventMs: measured.firstEventMs,
    launchMs: launch === 'wrapper' ? await wrapperStartMs() : 0,
    maxRssBytes: measured.maxRssBytes,
  };
}

/**
 * What the exec wrapper adds before Node starts (bash starting, reading it, exec): the wrapper
 * starting `true` against `true` started alone. Node's own clock, which times the rest, starts
 * only after it; so this is measured beside each cold start of ours and added to it.
 */
async function wrapperStartMs(): Promise<number> {
  const time = async (command: string, args: string[]) => {
    const started = performance.now();
    const child = spawn(command, args, { stdio: 'ignore' });
    await new Promise((resolve) => child.once('close', resolve));
    return performance.now() - started;
  };
  const alone = await time('true', ['runtime']);
  const wrapped = await time(WRAPPER, ['true', 'runtime']);
  return Math.max(0, wrapped - alone);
}

/**
 * What the target is on: importing the bundle and serving the first event (Node's start-up aside),
 * and the exec wrapper's own start where there is one (it is part of the deployment, not of Node).
 */
const loadAndServe = (s: ColdRun) => s.launchMs + s.importMs + s.firstEventMs;

function summarize(samples: ColdRun[]): ColdSummary {
  return {
    runs: samples.length,
    medianTotalMs: round(median(samples.map((s) => s.launchMs + s.totalMs))),
    medianLoadAndServeMs: round(median(samples.map(loadAndServe))),
    medianLaunchMs: round(median(samples.map((s) => s.launchMs))),
    medianStartUpMs: round(median(samples.map((s) => s.totalMs - s.importMs - s.firstEventMs))),
    medianImportMs: round(median(samples.map((s) => s.importMs))),
    medianFirstEventMs: round(median(samples.map((s) => s.firstEventMs))),
    medianMaxRssBytes: median(samples.map((s) => s.maxRssBytes)),
    samples: samples.map((s) => ({
      totalMs: round(s.totalMs),
      importMs: round(s.importMs),
      firstEventMs: round(s.firstEventMs),
      launchMs: round(s.launchMs),
      maxRssBytes: s.maxRssBytes,
    })),
  };
}
