import { Metrics } from '@aws-lambda-powertools/metrics';
import { vi } from 'vitest';
import { SERVICE } from '#lib/telemetry.ts';

/** One metric as CloudWatch reads it from an EMF line: its dimensions, unit and value. */
export interface EmittedMetric {
  name: string;
  unit: string;
  value: number;
  dimensions: Record<string, string>;
}

interface EmfLine {
  _aws: { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [key: string]: unknown;
}

/**
 * A real Powertools Metrics whose EMF lines are kept instead of printed: tests read what CloudWatch
 * would. Outside Lambda metrics are off (lib/telemetry.ts), so this turns them on for the test
 * (vi.stubEnv; the caller unstubs with vi.unstubAllEnvs).
 */
export function capturingMetrics(): { metrics: Metrics; emitted: () => EmittedMetric[] } {
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  const lines: EmfLine[] = [];
  const sink = { log: (text: string) => lines.push(JSON.parse(text) as EmfLine) };
  // Single metrics (the ones with their own dimensions) are new instances: they print to the sink too.
  class Capturing extends Metrics {
    constructor() {
      super({ namespace: `${SERVICE}/test`, serviceName: SERVICE });
      Object.assign(this, { console: sink });
    }
    override singleMetric(): Metrics {
      return Object.assign(super.singleMetric(), { console: sink });
    }
  }
  const emitted = () =>
    lines.flatMap((line) =>
      line._aws.CloudWatchMetrics.flatMap(({ Dimensions, Metrics: defined }) =>
        defined.flatMap(({ Name, Unit }) => {
          const dimensions = Object.fromEntries(Dimensions.flat().map((key) => [key, String(line[key])]));
          const values = ([] as number[]).concat(line[Name] as number | number[]);
          return values.map((value) => ({ name: Name, unit: Unit, value, dimensions }));
        }),
      ),
    );
  return { metrics: new Capturing(), emitted };
}
