// Everything in one place for tests and local tools (lib/local). The functions import only their
// own graph instead (lib/runtime/ingress.ts + payments.ts | tickets.ts, or lib/runtime/worker.ts), so
// each bundle stays small: see scripts/build.ts.
export { createIngressRuntime } from './runtime/ingress.ts';
export { paymentReceivedHandler } from './runtime/payments.ts';
export { ticketResolvedHandler } from './runtime/tickets.ts';
export type { IngressRuntime, Runtime, RuntimeOverrides } from './runtime/types.ts';
export { createRuntime, intakeProbeHandler, wolkvoxSyncHandler } from './runtime/worker.ts';
