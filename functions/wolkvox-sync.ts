// SQS FIFO → wolkvox, at most 2 concurrent invocations (lib/worker/sync.ts).
import { mapStackTraces } from '#lib/stack-traces.ts';
import { loadConfig } from '#lib/config.ts';
import { createRuntime, wolkvoxSyncHandler } from '#lib/runtime/worker.ts';

mapStackTraces();
export const handler = wolkvoxSyncHandler(createRuntime(loadConfig()));
