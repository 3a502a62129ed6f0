/** The wolkvox sandbox: a stateful fake CRM on loopback for tests, the demo and `npm start`. */
export { INVENTED_MESSAGES } from './envelope.ts';
export { DEFAULT_DAILY_QUOTA, DEFAULT_TOKEN } from './options.ts';
export { startSandbox } from './sandbox.ts';
export {
  DEFAULT_CASE_MODULE,
  DEFAULT_OPERATION,
  SEED_CASE_IDS,
  SEED_OBLIGATION_IDS,
  SEED_RECORD_IDS,
  seedState,
} from './seed.ts';
export type * from './types.ts';
