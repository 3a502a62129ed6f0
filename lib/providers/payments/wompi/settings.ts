import { DAY_SECONDS, flag, integer } from '#lib/settings.ts';
import { defineProvider } from '../../define.ts';
import { apiUrl, referencePattern } from '../reference.ts';

export interface WompiSettings {
  /** WOMPI_REFERENCE_PATTERN: reads the obligation from `transaction.reference`. */
  referencePattern: RegExp;
  /** WOMPI_CONFIRM: confirm reference, currency and payment time with Wompi's API (default on). */
  confirm: boolean;
  /** WOMPI_API_URL: https://production.wompi.co or https://sandbox.wompi.co. */
  apiUrl: string;
  /** WOMPI_MAX_AGE_SECONDS: how old an event's signed timestamp may be (Wompi retries for ~28 h). */
  maxAgeSeconds: number;
}

/** Wompi Colombia (docs/providers/wompi.md). */
export default defineProvider({
  family: 'payments',
  slug: 'wompi',
  name: 'Wompi',
  secrets: { required: ['WOMPI_EVENTS_SECRET'], optional: ['WOMPI_PRIVATE_KEY'] },
  env: {
    /** Reads the target from `transaction.reference`: named groups wolkvox_id, obligation, optional operation. */
    WOMPI_REFERENCE_PATTERN: referencePattern(),
    /** Confirm the reference, currency and time of each payment with Wompi's API. */
    WOMPI_CONFIRM: flag(true),
    /** Production, or https://sandbox.wompi.co for sandbox events; never taken from an event. */
    WOMPI_API_URL: apiUrl('https://production.wompi.co'),
    /** Wompi retries after 30 min, 3 h and 24 h: two days covers them all. */
    WOMPI_MAX_AGE_SECONDS: integer(2 * DAY_SECONDS, 60, 30 * DAY_SECONDS),
  },
  read: (env): WompiSettings => ({
    referencePattern: env.WOMPI_REFERENCE_PATTERN,
    confirm: env.WOMPI_CONFIRM,
    apiUrl: env.WOMPI_API_URL,
    maxAgeSeconds: env.WOMPI_MAX_AGE_SECONDS,
  }),
  replayWindow: (s) => ({ setting: 'WOMPI_MAX_AGE_SECONDS', seconds: s.maxAgeSeconds }),
  local: {
    secrets: {
      WOMPI_EVENTS_SECRET: 'test_events_local_demo_Q7mZ2kP9xW4rT8vN3bL6cJ1h',
      /** The local fake of Wompi's API (lib/local/provider-apis.ts) requires it, as Wompi does. */
      WOMPI_PRIVATE_KEY: 'prv_test_local_demo_Z3kW9pQ2mX7vB4nR8tL5cJ6h',
    },
  },
  load: async () => (await import('./provider.ts')).default,
});
