/**
 * QuotaUsed (Percent) and QuotaRemaining (Count) through Powertools Metrics (CloudWatch EMF,
 * namespace POWERTOOLS_METRICS_NAMESPACE). Dimensions: service, and with several tokens a second
 * series per token label. The alarm (serverless.yml, QuotaUsedAlarm) watches the service series'
 * Maximum: whichever token is furthest along raises it.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { QuotaMetrics } from './quota.ts';

export const QUOTA_SERVICE = 'wolkvox-webhooks';

export function powertoolsQuotaMetrics(metrics = new Metrics({ serviceName: QUOTA_SERVICE })): QuotaMetrics {
  return {
    publish(reading, token) {
      const series = token === undefined ? [undefined] : [undefined, token];
      const values = [
        ['QuotaUsed', MetricUnit.Percent, reading.usedPercent],
        ['QuotaRemaining', MetricUnit.Count, reading.remaining],
      ] as const;
      for (const label of series) {
        for (const [name, unit, value] of values) {
          // A single metric leaves at once (the reading survives a failed invocation) and then
          // forgets its dimensions: one per value.
          const single = metrics.singleMetric();
          if (label !== undefined) single.addDimension('token', label);
          single.addMetric(name, unit, value);
        }
      }
    },
  };
}
