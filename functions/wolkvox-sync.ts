// SQS FIFO → wolkvox, at most 2 concurrent invocations (lib/worker/sync.ts); every minute, the
// intake probe (lib/worker/probe.ts).
import type { Context, SQSEvent } from 'aws-lambda';
import { mapStackTraces } from '#lib/stack-traces.ts';
import { loadConfig } from '#lib/config.ts';
import { createRuntime, intakeProbeHandler, wolkvoxSyncHandler } from '#lib/runtime/worker.ts';

mapStackTraces();
const runtime = createRuntime(loadConfig());
const sync = wolkvoxSyncHandler(runtime);
const probe = intakeProbeHandler(runtime);

/** The queue's batches, or the schedule's tick (an EventBridge event, no Records). */
export const handler = (event: SQSEvent | { source?: string }, context: Context) =>
  'Records' in event ? sync(event, context) : probe(context);
