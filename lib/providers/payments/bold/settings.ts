import { DAY_SECONDS, integer } from '#lib/settings.ts';
import { defineProvider } from '../../define.ts';
import { referencePattern } from '../reference.ts';

export interface BoldSettings {
  /** BOLD_REFERENCE_PATTERN: reads the obligation from `data.metadata.reference`. */
  referencePattern: RegExp;
  /** BOLD_MAX_AGE_SECONDS: how old a notification's signed `time` may be (Bold retries for 24 h). */
  maxAgeSeconds: number;
}

/** Bold, Colombia (docs/providers/bold.md). */
export default defineProvider({
  family: 'payments',
  slug: 'bold',
  name: 'Bold',
  secrets: { required: ['BOLD_SECRET_KEY'] },
  env: {
    /** Reads the target from `data.metadata.reference`: named groups wolkvox_id, obligation, optional operation. */
    BOLD_REFERENCE_PATTERN: referencePattern(),
    /** Bold's last retry is 24 h after the first attempt, and some notifications leave 10 min late: two days covers both. */
    BOLD_MAX_AGE_SECONDS: integer(2 * DAY_SECONDS, 60, 30 * DAY_SECONDS),
  },
  read: (env): BoldSettings => ({
    referencePattern: env.BOLD_REFERENCE_PATTERN,
    maxAgeSeconds: env.BOLD_MAX_AGE_SECONDS,
  }),
  replayWindow: (s) => ({ setting: 'BOLD_MAX_AGE_SECONDS', seconds: s.maxAgeSeconds }),
  local: { secrets: { BOLD_SECRET_KEY: 'bold_local_demo_Tq6Wn3Zr8Kx2Vb5Mc9Hs4Pd7' } },
  load: async () => (await import('./provider.ts')).default,
});
