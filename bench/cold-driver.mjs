// One cold start, in a fresh Node process:
//   COLD_BUNDLE=<bundle> COLD_INVOCATION=<invocation.json> node [flags] cold-driver.mjs
// Loads the bundle, serves one event, prints one JSON line after MARK and exits. The driver is the
// last argument, as Lambda's runtime script is (an exec wrapper puts its flags before it: cold.ts).
// Plain JavaScript so that the driver itself costs no TypeScript stripping. Times are ms since the
// process started.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { pathToFileURL } from 'node:url';

const MARK = '@@cold-start@@';
const bundle = process.env.COLD_BUNDLE ?? process.argv[2];
const invocationFile = process.env.COLD_INVOCATION ?? process.argv[3];
const { event, functionName } = JSON.parse(readFileSync(invocationFile, 'utf8'));
const context = {
  callbackWaitsForEmptyEventLoop: false,
  functionName,
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
  memoryLimitInMB: '512',
  awsRequestId: randomUUID(),
  logGroupName: `/aws/lambda/${functionName}`,
  logStreamName: 'bench',
  getRemainingTimeInMillis: () => 60_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};

const started = performance.now();
const { handler } = await import(pathToFileURL(bundle).href);
const loaded = performance.now();
const result = await handler(event, context);
const served = performance.now();

process.stdout.write(
  `\n${MARK}${JSON.stringify({
    startedMs: started,
    importMs: loaded - started,
    firstEventMs: served - loaded,
    totalMs: served,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    result,
  })}\n`,
);
// Keep-alive sockets would hold the process open; a Lambda sandbox is frozen instead.
process.exit(0);
