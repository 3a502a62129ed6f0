import { REGISTRY } from '#lib/providers/registry.ts';

/**
 * The stack's operations resources that follow from the code rather than from a fixed list: an
 * alarm per provider on its 401s, the alarms on the worker's own metrics, the CloudWatch dashboard
 * and the saved Logs Insights queries. Added to the packaged template by
 * scripts/osls-operations-plugin.cjs. The metric names and dimensions are the ones the functions
 * emit (Powertools Metrics, namespace `<service>/<stage>`, dimension service=<service>).
 */

export interface OperationsOptions {
  service: string;
  stage: string;
  /** 401 answers per provider in 5 minutes above which its alarm fires (param unauthorizedThreshold). */
  unauthorizedThreshold: number;
  /** Work queues, one per wolkvox token (param shards; scripts/osls-shards-plugin.cjs): all on the dashboard. */
  shards?: number;
}

type Resource = { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] };

const FUNCTIONS = ['paymentReceived', 'ticketResolved', 'wolkvoxSync'] as const;
/** osls's logical id of a function's log group (naming.getLogGroupLogicalId). */
const logGroupId = (name: string) => `${name.charAt(0).toUpperCase()}${name.slice(1)}LogGroup`;
const pascal = (slug: string) =>
  slug
    .split(/[^a-z0-9]/i)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');

export function operationsResources(options: OperationsOptions): Record<string, Resource> {
  const { service, stage } = options;
  const namespace = `${service}/${stage}`;
  const alarmTarget = { AlarmActions: [{ Ref: 'AlarmTopic' }], OKActions: [{ Ref: 'AlarmTopic' }] };
  const serviceMetric = (MetricName: string) => ({
    Namespace: namespace,
    MetricName,
    Dimensions: [{ Name: 'service', Value: service }],
  });
  const anyIn5Minutes = {
    Statistic: 'Sum',
    Period: 300,
    EvaluationPeriods: 1,
    Threshold: 0,
    ComparisonOperator: 'GreaterThanThreshold',
    TreatMissingData: 'notBreaching',
  };
  const alarm = (
    id: string,
    description: string,
    properties: Record<string, unknown>,
  ): [string, Resource] => [
    `${id}Alarm`,
    {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: `${service}-${stage}-${id.replace(/[A-Z]/g, (c, at: number) => (at ? '-' : '') + c.toLowerCase())}`,
        AlarmDescription: description,
        ...anyIn5Minutes,
        ...properties,
        ...alarmTarget,
      },
    },
  ];

  // One alarm per provider, not one metric-math alarm: an alarm cannot use SEARCH, a metric-math
  // alarm takes at most 10 metrics (the registry has more providers), and a per-provider alarm
  // names the provider whose secret was rotated in its notification.
  const unauthorized = REGISTRY.map((entry) =>
    alarm(
      `Unauthorized${pascal(entry.family)}${pascal(entry.slug)}`,
      `More than ${options.unauthorizedThreshold} deliveries to /webhooks/${entry.family}/${entry.slug} were refused 401 in 5 minutes: ` +
        'a rotated provider secret not yet in the stage secret, or someone probing the URL',
      {
        Namespace: namespace,
        MetricName: 'Unauthorized',
        Dimensions: [
          { Name: 'service', Value: service },
          { Name: 'family', Value: entry.family },
          { Name: 'provider', Value: entry.slug },
        ],
        Threshold: options.unauthorizedThreshold,
      },
    ),
  );

  const worker = [
    alarm(
      'QuotaHolds',
      "wolkvox's daily quota is spent: commands wait in the work queue until it renews (not an outage)",
      serviceMetric('QuotaHolds'),
    ),
    alarm(
      'WolkvoxAuthFailures',
      'wolkvox rejected the token (invalid or expired): update WOLKVOX_TOKEN in the stage secret',
      serviceMetric('WolkvoxAuthFailures'),
    ),
    alarm(
      'SecretKeyMissing',
      'A listed provider or the worker lacks a required key in the stage secret (README, "Create the secret")',
      serviceMetric('SecretKeyMissing'),
    ),
  ];

  return Object.fromEntries([
    ...unauthorized,
    ...worker,
    ['Dashboard', dashboard(options)],
    ...queries(options),
  ]);
}

/** Metric widgets; `${AWS::Region}` is substituted by CloudFormation (Fn::Sub). */
function dashboard({ service, stage, shards }: OperationsOptions): Resource {
  const namespace = `${service}/${stage}`;
  const search = (schema: string, metric: string, stat: string, period: number, id: string) => ({
    expression: `SEARCH('{"${namespace}",${schema}} MetricName="${metric}"', '${stat}', ${period})`,
    id,
    period,
  });
  const queue = (name: string) => ['AWS/SQS', name];
  const widget = (
    x: number,
    y: number,
    title: string,
    metrics: unknown[],
    extra: Record<string, unknown> = {},
  ) => ({
    type: 'metric',
    x,
    y,
    width: 12,
    height: 6,
    properties: { title, region: '${AWS::Region}', view: 'timeSeries', stacked: false, metrics, ...extra },
  });
  const own = (metric: string, extra: Record<string, unknown> = {}) => [
    namespace,
    metric,
    'service',
    service,
    extra,
  ];
  const queues = {
    work: `${service}-${stage}.fifo`,
    parked: `${service}-${stage}-parked.fifo`,
    dlq: `${service}-${stage}-dlq.fifo`,
  };
  // Shard 0 is the work queue; shard i's is named as osls-shards-plugin.cjs names its copy.
  const work = Array.from({ length: shards ?? 1 }, (_, i) =>
    i === 0
      ? { name: queues.work, label: 'work' }
      : { name: `${service}-${stage}-shard${i}.fifo`, label: `work, token #${i + 1}` },
  );
  const body = {
    widgets: [
      widget(0, 0, 'Deliveries by provider and outcome (5 min)', [
        [search('service,family,provider,outcome', 'Deliveries', 'Sum', 300, 'deliveries')],
      ]),
      widget(12, 0, '401 by provider (5 min)', [
        [search('service,family,provider', 'Unauthorized', 'Sum', 300, 'unauthorized')],
      ]),
      widget(
        0,
        6,
        'Worker outcomes per hour',
        ['Applied', 'Skipped', 'Parked', 'Recovered'].map((m) => own(m, { stat: 'Sum', period: 3600 })),
        { view: 'bar', period: 3600 },
      ),
      widget(12, 6, 'Retries by failure kind (5 min)', [
        [search('service,failure', 'Retried', 'Sum', 300, 'retried')],
      ]),
      widget(0, 12, 'wolkvox latency p50 / p99 (ms)', [
        [search('service,endpoint', 'WolkvoxLatency', 'p50', 300, 'p50')],
        [search('service,endpoint', 'WolkvoxLatency', 'p99', 300, 'p99')],
      ]),
      widget(12, 12, 'wolkvox calls by endpoint and outcome; auth failures', [
        [search('service,endpoint,outcome', 'WolkvoxCalls', 'Sum', 300, 'calls')],
        own('WolkvoxAuthFailures', { stat: 'Sum', period: 300 }),
      ]),
      widget(
        0,
        18,
        'Queue depth',
        [
          ...work.flatMap(({ name, label }) => [
            [...queue('ApproximateNumberOfMessagesVisible'), 'QueueName', name, { label }],
            [
              ...queue('ApproximateNumberOfMessagesNotVisible'),
              'QueueName',
              name,
              { label: `${label} (in flight)` },
            ],
          ]),
          [...queue('ApproximateNumberOfMessagesVisible'), 'QueueName', queues.parked, { label: 'parked' }],
          [
            ...queue('ApproximateNumberOfMessagesVisible'),
            'QueueName',
            queues.dlq,
            { label: 'dead letters' },
          ],
        ],
        { stat: 'Maximum', period: 300 },
      ),
      widget(
        12,
        18,
        'Oldest message age (s)',
        [
          ...work.map(({ name, label }) => [
            ...queue('ApproximateAgeOfOldestMessage'),
            'QueueName',
            name,
            { label },
          ]),
          [...queue('ApproximateAgeOfOldestMessage'), 'QueueName', queues.parked, { label: 'parked' }],
        ],
        { stat: 'Maximum', period: 300 },
      ),
      widget(0, 24, 'Quota holds and missing secret keys', [
        own('QuotaHolds', { stat: 'Sum', period: 300 }),
        own('SecretKeyMissing', { stat: 'Sum', period: 300 }),
      ]),
    ],
  };
  return {
    Type: 'AWS::CloudWatch::Dashboard',
    Properties: { DashboardName: `${service}-${stage}`, DashboardBody: { 'Fn::Sub': JSON.stringify(body) } },
  };
}

/** Logs Insights questions an operator asks, saved across the three functions' log groups. */
function queries({ service, stage }: OperationsOptions): [string, Resource][] {
  const logGroups = FUNCTIONS.map((name) => `/aws/lambda/${service}-${stage}-${name}`);
  const story =
    'fields @timestamp, @log, level, message, provider, eventId, identity, reason, correlation_id';
  const saved: Record<string, [string, string]> = {
    EventCorrelation: [
      'what happened to an event (its eventId or identity → correlation_id)',
      `${story}\n| filter eventId = "REPLACE_WITH_EVENT_ID" or identity like "REPLACE_WITH_ID"\n| sort @timestamp asc`,
    ],
    CorrelationLines: [
      'every line of one correlation id',
      `${story}\n| filter correlation_id = "REPLACE_WITH_CORRELATION_ID"\n| sort @timestamp asc`,
    ],
    UnauthorizedByProvider: [
      '401 answers by provider',
      // The Unauthorized metric's EMF lines carry its dimensions as fields.
      'filter ispresent(Unauthorized)\n| stats sum(Unauthorized) as unauthorized by family, provider, bin(5m)',
    ],
    ParkedReasons: [
      'parked events by provider and reason',
      'filter message = "parked"\n| stats count(*) as parked by provider, reason\n| sort parked desc',
    ],
    SlowestWolkvoxCalls: [
      'slowest wolkvox calls',
      'fields @timestamp, endpoint, WolkvoxLatency\n| filter ispresent(WolkvoxLatency)\n| sort WolkvoxLatency desc\n| limit 50',
    ],
  };
  return Object.entries(saved).map(([id, [name, query]]) => [
    `${id}Query`,
    {
      Type: 'AWS::Logs::QueryDefinition',
      // The groups are osls's: create the queries once they exist.
      DependsOn: FUNCTIONS.map(logGroupId),
      Properties: { Name: `${service}/${stage}/${name}`, LogGroupNames: logGroups, QueryString: query },
    },
  ]);
}
