// SQS FIFO → wolkvox, at most 2 concurrent invocations (lib/worker/sync.ts); every minute, the
// intake probe (lib/worker/probe.ts).
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { mapStackTraces } from '#lib/stack-traces.ts';
import { loadConfig } from '#lib/config.ts';
import { createRuntime, intakeProbeHandler, wolkvoxSyncHandler } from '#lib/runtime/worker.ts';
import { startTracing } from '#lib/tracing.ts';
import type { ProbeResult } from '#lib/worker/probe.ts';

mapStackTraces();
const tracing = startTracing();
const runtime = createRuntime(loadConfig());
const sync = wolkvoxSyncHandler(runtime);
const probe = intakeProbeHandler(runtime);

/**
 * The queue's batches, or the schedule's tick (an EventBridge event, no Records). Every line gets
 * the invocation's request id and cold start, as Powertools' injectLambdaContext does it (the worker
 * carries no middy); each record's lines add its correlation id (lib/worker/sync.ts).
 */
async function route(
  event: SQSEvent | { source?: string },
  context: Context,
): Promise<SQSBatchResponse | ProbeResult> {
  runtime.logger.addContext(context);
  try {
    return await ('Records' in event ? sync(event, context) : probe(context));
  } finally {
    runtime.logger.resetKeys();
  }
}

export const handler = tracing ? tracing(route) : route;
