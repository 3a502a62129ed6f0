// serverless.yml, checked through what osls generates: one offline `osls package` (no AWS
// credentials), then assertions on the CloudFormation template and the zips; and one
// `osls invoke local --stage local` against an in-process sandbox, as the README documents it.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lambdaNodeReady } from './support/lambda-node.ts';
import { loadConfig } from '#lib/config.ts';
import { REGISTRY } from '#lib/providers/registry.ts';
import { queueNames } from '#lib/ops/redrive.ts';
import { LOCAL_SECRETS } from '#lib/local/defaults.ts';
import { startSandbox } from '#lib/sandbox/index.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..');
const OSLS = join(ROOT, 'node_modules', 'osls', 'bin', 'serverless.js');
const STAGE = 'ci';
const PREFIX = `wolkvox-webhooks-${STAGE}`;
/** A deployable stage has no default CRM host or operation (scripts/osls-settings.cjs). */
const REQUIRED_PARAMS = ['--param=wolkvoxServer=crm0002.wolkvox.com', '--param=wolkvoxOperation=acme'];
/** Settings given per stage as params named in camelCase, one of them a map. */
const SETTING_PARAMS = [
  '--param=wolkvoxCurrency=USD',
  '--param=jiraCaseIdField=customfield_10050',
  '--param=caseTypeMap={"billing":"Facturación"}',
];

/** osls function name → bundle (functions/<bundle>.ts). Function names are a contract. */
const FUNCTIONS = {
  paymentReceived: 'payment-received',
  ticketResolved: 'ticket-resolved',
  wolkvoxSync: 'wolkvox-sync',
} as const;
type FunctionName = keyof typeof FUNCTIONS;
const FUNCTION_NAMES = Object.keys(FUNCTIONS) as FunctionName[];
/** Lambda's exec wrapper (functions/exec-wrapper.sh), in every function's zip. */
const WRAPPER = 'functions/exec-wrapper.sh';

interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
}
interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

interface Template {
  Resources: Record<string, Resource>;
  Conditions?: Record<string, unknown>;
  Outputs: Record<string, { Value: unknown }>;
}

let dir: string;
let template: Template;
let resources: Record<string, Resource>;
/** What osls resolved (serverless-state.json): provider settings that are not in the template. */
let provider: {
  stackTags: Record<string, string>;
  tags: Record<string, string>;
  deletionProtection: unknown;
};

/** No AWS credentials, profile or metadata endpoint, no telemetry: osls must not need any. */
function offlineEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(?:AWS_|SLS_|SERVERLESS_)/.test(key)) env[key] = value;
  }
  return {
    ...env,
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-aws-credentials'),
    AWS_CONFIG_FILE: join(dir, 'no-aws-config'),
    AWS_EC2_METADATA_DISABLED: 'true',
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    ...extra,
  };
}

function osls(args: string[], env: NodeJS.ProcessEnv) {
  return run(process.execPath, [OSLS, ...args], { cwd: ROOT, env, timeout: 90_000, maxBuffer: 16 << 20 });
}

/** File names, sizes and Unix modes from a zip's central directory (no unzip binary needed). */
async function zipEntries(file: string): Promise<Map<string, { size: number; mode: number }>> {
  const zip = await readFile(file);
  let end = zip.length - 22;
  while (end >= 0 && zip.readUInt32LE(end) !== 0x06054b50) end -= 1;
  if (end < 0) throw new Error(`${file}: not a zip`);
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const entries = new Map<string, { size: number; mode: number }>();
  for (let i = 0; i < count; i += 1) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error(`${file}: bad central directory`);
    const size = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const skip = nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
    // The external attributes' high 16 bits: the file's Unix mode, as zip tools made on Unix store it.
    const mode = zip.readUInt32LE(at + 38) >>> 16;
    entries.set(zip.toString('utf8', at + 46, at + 46 + nameLength), { size, mode });
    at += 46 + skip;
  }
  return entries;
}

const getAtt = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

function lambda(name: FunctionName): { id: string; props: Record<string, unknown> } {
  const found = ofType('AWS::Lambda::Function').find(
    ([, r]) => r.Properties.FunctionName === `${PREFIX}-${name}`,
  );
  if (!found) throw new Error(`no Lambda function ${name} in the template`);
  return { id: found[0], props: found[1].Properties };
}

function resource(id: string): Resource {
  const found = resources[id];
  if (!found) throw new Error(`no resource ${id} in the template`);
  return found;
}

/** The function's role as action → resources, from every inline policy statement. */
function statements(name: FunctionName): Statement[] {
  const role = lambda(name).props.Role as { 'Fn::GetAtt': [string, string] };
  const { Properties } = resource(role['Fn::GetAtt'][0]);
  expect(Properties.ManagedPolicyArns).toBeUndefined();
  return (Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[])
    .flatMap((policy) => policy.PolicyDocument.Statement)
    .flatMap((statement) => conditional(statement));
}

/** A statement under Fn::If, as CloudFormation resolves it for this stage (its params blank). */
function conditional(statement: Statement | { 'Fn::If': [string, Statement, unknown] }): Statement[] {
  if (!('Fn::If' in statement)) return [statement];
  const [condition, then] = statement['Fn::If'];
  // Every condition here is "param is not blank", compiled as Not(Equals(param, '')).
  const test = template.Conditions?.[condition] as { 'Fn::Not': [{ 'Fn::Equals': [unknown, unknown] }] };
  const [value, blank] = test['Fn::Not'][0]['Fn::Equals'];
  return value === blank ? [] : [then];
}

function permissions(name: FunctionName): Record<string, unknown[]> {
  const granted: Record<string, unknown[]> = {};
  {
    for (const statement of statements(name)) {
      // A condition only narrows a grant (checked where one is expected).
      expect(
        Object.keys(statement)
          .filter((key) => key !== 'Condition')
          .sort(),
      ).toEqual(['Action', 'Effect', 'Resource']);
      expect(statement.Effect).toBe('Allow');
      for (const action of [statement.Action].flat()) {
        (granted[action] ??= []).push(...[statement.Resource].flat());
      }
    }
  }
  return granted;
}

function logGroupArn(name: FunctionName) {
  return {
    'Fn::Sub': `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/${PREFIX}-${name}:*`,
  };
}
const SECRET_ARN = {
  'Fn::Sub': `arn:\${AWS::Partition}:secretsmanager:\${AWS::Region}:\${AWS::AccountId}:secret:wolkvox-webhooks/${STAGE}-??????`,
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wolkvox-osls-'));
  await osls(
    ['package', '--stage', STAGE, '--package', join(dir, 'package'), ...REQUIRED_PARAMS, ...SETTING_PARAMS],
    offlineEnv(),
  );
  template = JSON.parse(
    await readFile(join(dir, 'package', 'cloudformation-template-update-stack.json'), 'utf8'),
  ) as Template;
  resources = template.Resources;
  ({
    service: { provider },
  } = JSON.parse(await readFile(join(dir, 'package', 'serverless-state.json'), 'utf8')) as {
    service: { provider: typeof provider };
  });
}, 120_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('osls package (offline, no AWS credentials)', () => {
  it.each(FUNCTION_NAMES)('%s runs the Node 24 arm64 bundle', (name) => {
    expect(lambda(name).props).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: `.esbuild/${FUNCTIONS[name]}/index.handler`,
    });
  });

  it('answers providers fast and gives the worker room', () => {
    expect(lambda('paymentReceived').props.Timeout).toBeLessThanOrEqual(10);
    expect(lambda('ticketResolved').props.Timeout).toBeLessThanOrEqual(10);
    expect(lambda('wolkvoxSync').props.Timeout).toBeGreaterThanOrEqual(30);
  });

  it('routes the webhook paths to the ingress functions (GET too for payments: ePayco)', () => {
    const routes = Object.fromEntries(
      ofType('AWS::ApiGatewayV2::Route').map(([, route]) => {
        const target = route.Properties.Target as { 'Fn::Join': [string, [string, { Ref: string }]] };
        const integration = resource(target['Fn::Join'][1][1].Ref).Properties;
        const uri = integration.IntegrationUri as { 'Fn::GetAtt': [string, string] };
        expect(integration.PayloadFormatVersion).toBe('2.0');
        return [route.Properties.RouteKey, uri['Fn::GetAtt'][0]];
      }),
    );
    expect(routes).toEqual({
      'POST /webhooks/payments/{provider}': lambda('paymentReceived').id,
      'GET /webhooks/payments/{provider}': lambda('paymentReceived').id,
      'POST /webhooks/tickets/{provider}': lambda('ticketResolved').id,
    });
  });

  it('drains the FIFO queue with at most 2 concurrent workers, reporting partial failures', () => {
    const mappings = ofType('AWS::Lambda::EventSourceMapping');
    expect(mappings).toHaveLength(1);
    const [[, mapping]] = mappings as [[string, Resource]];
    expect(mapping.Properties).toMatchObject({
      EventSourceArn: getAtt('WorkQueue'),
      FunctionName: getAtt(lambda('wolkvoxSync').id),
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
    });
    expect(mapping.Properties.BatchSize).toBeGreaterThanOrEqual(1);
    expect(mapping.Properties.BatchSize).toBeLessThanOrEqual(10);
    // All containers together may never have more than wolkvox's 2 requests in flight per token.
    const { MaximumConcurrency } = mapping.Properties.ScalingConfig as { MaximumConcurrency: number };
    const { Variables } = lambda('wolkvoxSync').props.Environment as { Variables: Record<string, string> };
    const perContainer = Number(Variables.WOLKVOX_MAX_IN_FLIGHT);
    expect(MaximumConcurrency * perContainer).toBeLessThanOrEqual(2);
  });

  it('keeps commands 14 days in an encrypted FIFO queue whose dead letters go to their own FIFO DLQ, apart from parked events', () => {
    const work = resource('WorkQueue').Properties;
    const dlq = resource('DeadLetterQueue').Properties;
    const parked = resource('ParkedQueue').Properties;
    const FOURTEEN_DAYS = 14 * 24 * 3600;
    expect(work).toMatchObject({
      QueueName: `${PREFIX}.fifo`,
      FifoQueue: true,
      ContentBasedDeduplication: false,
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: FOURTEEN_DAYS,
      RedrivePolicy: { deadLetterTargetArn: getAtt('DeadLetterQueue') },
    });
    const { maxReceiveCount } = work.RedrivePolicy as { maxReceiveCount: number };
    expect(maxReceiveCount).toBe(20);
    expect(work.VisibilityTimeout).toBeGreaterThanOrEqual(6 * Number(lambda('wolkvoxSync').props.Timeout));
    expect(dlq).toMatchObject({
      QueueName: `${PREFIX}-dlq.fifo`,
      FifoQueue: true,
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: FOURTEEN_DAYS,
    });
    expect(parked).toMatchObject({
      QueueName: `${PREFIX}-parked.fifo`,
      FifoQueue: true,
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: FOURTEEN_DAYS,
    });
    // Nothing dead-letters into the parked queue: SQS's own redrive of the DLQ cannot move a parked event.
    expect(parked.RedrivePolicy).toBeUndefined();
    expect(JSON.stringify(resources)).not.toContain('"deadLetterTargetArn":{"Fn::GetAtt":["ParkedQueue"');
  });

  it('runs the intake probe every minute in the worker', () => {
    const rules = ofType('AWS::Events::Rule');
    expect(rules).toHaveLength(1);
    const [[, rule]] = rules as [[string, Resource]];
    expect(rule.Properties).toMatchObject({
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [expect.objectContaining({ Arn: getAtt(lambda('wolkvoxSync').id) })],
    });
  });

  it.each(FUNCTION_NAMES)('%s gets the deployment configuration', (name) => {
    const variables = (lambda(name).props.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(variables).toMatchObject({
      WOLKVOX_SERVER: expect.any(String),
      WOLKVOX_OPERATION: expect.any(String),
      SECRET_ID: `wolkvox-webhooks/${STAGE}`,
      DISPATCH: 'queue',
      QUEUE_URL: { Ref: 'WorkQueue' },
      PARKED_QUEUE_URL: { Ref: 'ParkedQueue' },
      LEDGER_TABLE: { Ref: 'LedgerTable' },
      LOG_LEVEL: expect.any(String),
    });
    // Source maps are read when a stack is printed (lib/stack-traces.ts), not on every cold start.
    expect(variables).not.toHaveProperty('NODE_OPTIONS');
    // What Lambda will see (refs resolved) passes the functions' own cold-start validation.
    const resolved = (key: string) =>
      key === 'LEDGER_TABLE'
        ? `${PREFIX}-ledger`
        : `https://sqs.us-east-1.amazonaws.com/123456789012/${key}.fifo`;
    const lambdaEnv = Object.fromEntries(
      Object.entries(variables).map(([key, value]) => [
        key,
        typeof value === 'string' ? value : resolved(key),
      ]),
    );
    expect(loadConfig({ ...lambdaEnv, AWS_LAMBDA_FUNCTION_NAME: `${PREFIX}-${name}` })).toMatchObject({
      inLambda: true,
      dispatch: 'queue',
    });
  });

  it('gives each function its own least-privilege role and no shared one', () => {
    expect(resources.IamRoleLambdaExecution).toBeUndefined();
    const roles = new Set(FUNCTION_NAMES.map((name) => JSON.stringify(lambda(name).props.Role)));
    expect(roles.size).toBe(3);
    // X-Ray (param tracing): trace writes have no resource-level permission.
    const xray = { 'xray:PutTraceSegments': ['*'], 'xray:PutTelemetryRecords': ['*'] };
    const ingress = (name: FunctionName) => ({
      'logs:CreateLogStream': [logGroupArn(name)],
      'logs:PutLogEvents': [logGroupArn(name)],
      'secretsmanager:GetSecretValue': [SECRET_ARN],
      ...xray,
      'sqs:SendMessage': [getAtt('WorkQueue'), getAtt('ParkedQueue')],
    });
    expect(permissions('paymentReceived')).toEqual(ingress('paymentReceived'));
    expect(permissions('ticketResolved')).toEqual(ingress('ticketResolved'));
    expect(permissions('wolkvoxSync')).toEqual({
      'logs:CreateLogStream': [logGroupArn('wolkvoxSync')],
      'logs:PutLogEvents': [logGroupArn('wolkvoxSync')],
      'secretsmanager:GetSecretValue': [SECRET_ARN],
      ...xray,
      'sqs:ReceiveMessage': [getAtt('WorkQueue')],
      'sqs:DeleteMessage': [getAtt('WorkQueue')],
      'sqs:GetQueueAttributes': [getAtt('WorkQueue')],
      'sqs:ChangeMessageVisibility': [getAtt('WorkQueue')],
      'sqs:SendMessage': [getAtt('ParkedQueue')],
      // The ledger, and nothing else in DynamoDB: transactions are authorized by these item actions.
      'dynamodb:GetItem': [getAtt('LedgerTable')],
      'dynamodb:PutItem': [getAtt('LedgerTable')],
      'dynamodb:UpdateItem': [getAtt('LedgerTable')],
      'dynamodb:DeleteItem': [getAtt('LedgerTable')],
      'dynamodb:ConditionCheckItem': [getAtt('LedgerTable')],
      // The intake (lib/worker/intake.ts): listing has no resource-level permission; pausing and
      // resuming is limited to this function's mappings by the condition below.
      'lambda:ListEventSourceMappings': ['*'],
      'lambda:UpdateEventSourceMapping': [
        {
          'Fn::Sub': 'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:event-source-mapping:*',
        },
      ],
    });
    const update = statements('wolkvoxSync').find((s) => s.Action === 'lambda:UpdateEventSourceMapping');
    expect(update?.Condition).toEqual({
      StringEquals: {
        'lambda:FunctionArn': {
          'Fn::Sub': `arn:\${AWS::Partition}:lambda:\${AWS::Region}:\${AWS::AccountId}:function:${PREFIX}-wolkvoxSync`,
        },
      },
    });
    for (const name of FUNCTION_NAMES) {
      for (const [action, targets] of Object.entries(permissions(name))) {
        expect(action).not.toContain('*');
        // Listing mappings and writing traces have no resource-level permission.
        if (action !== 'lambda:ListEventSourceMappings' && !action.startsWith('xray:'))
          expect(targets).not.toContain('*');
      }
    }
  });

  it('keeps the ledger in an on-demand DynamoDB table with TTL and point-in-time recovery', () => {
    const table = resource('LedgerTable');
    expect(table.Type).toBe('AWS::DynamoDB::Table');
    expect(table.Properties).toMatchObject({
      TableName: `${PREFIX}-ledger`,
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
    expect(table.Properties.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(table.Properties.AttributeDefinitions).toEqual([
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
    ]);
    // Provisioned throughput would contradict on-demand billing.
    expect(table.Properties.ProvisionedThroughput).toBeUndefined();
  });

  it('alarms on each parked event, dead letters, an unreachable wolkvox, a stuck queue and worker failures, into one SNS topic', () => {
    expect(resource('AlarmTopic').Type).toBe('AWS::SNS::Topic');
    const alarms = Object.fromEntries(
      ofType('AWS::CloudWatch::Alarm').map(([id, alarm]) => {
        const p = alarm.Properties;
        expect(p.AlarmActions).toEqual([{ Ref: 'AlarmTopic' }]);
        // The quota is read every few minutes: a period without a reading keeps the alarm's state.
        expect(p.TreatMissingData).toBe(id === 'QuotaUsedAlarm' ? 'ignore' : 'notBreaching');
        return [id, p];
      }),
    );
    const queue = (name: string) => [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [name, 'QueueName'] } }];
    const namespace = `wolkvox-webhooks/${STAGE}`;
    // Per event, not queue depth: a minute without parks turns it OK, so the next park notifies again.
    expect(alarms.ParkedEventsAlarm).toMatchObject({
      Namespace: namespace,
      MetricName: 'ParkedEvents',
      Statistic: 'Sum',
      Period: 60,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    expect(alarms.ParkedAgeAlarm).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: queue('ParkedQueue'),
      Threshold: 10 * 86_400,
    });
    expect(alarms.DeadLettersAlarm).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: queue('DeadLetterQueue'),
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
    });
    expect(alarms.IntakePausedAlarm).toMatchObject({
      Namespace: namespace,
      MetricName: 'IntakePaused',
      Period: 60,
    });
    // Issue 19 §3: the token's quota, alarmed at quotaAlarmPercent (80 by default) of the day used.
    expect(alarms.QuotaUsedAlarm).toMatchObject({
      Namespace: namespace,
      MetricName: 'QuotaUsed',
      Dimensions: [{ Name: 'service', Value: 'wolkvox-webhooks' }],
      Statistic: 'Maximum',
      Threshold: 80,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'ignore',
    });
    expect(alarms.WorkQueueAgeAlarm).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: queue('WorkQueue'),
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 3600,
    });
    const worker = { Ref: lambda('wolkvoxSync').id };
    for (const id of ['WorkerErrorsAlarm', 'WorkerThrottlesAlarm']) {
      expect(alarms[id]).toMatchObject({
        Namespace: 'AWS/Lambda',
        Dimensions: [{ Name: 'FunctionName', Value: worker }],
        Statistic: 'Sum',
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Threshold: 1,
      });
    }
    expect(alarms.IngressErrorsAlarm).toMatchObject({
      MetricName: '5xx',
      Dimensions: [{ Name: 'ApiId', Value: { Ref: 'HttpApi' } }],
      Threshold: 1,
    });
    expect(alarms.WorkerErrorLogsAlarm).toMatchObject({ MetricName: 'WorkerErrorLogs', Threshold: 1 });
    // 10 above (QuotaUsedAlarm included), plus the generated ones: a 401 alarm per provider and the worker metrics' three.
    expect(Object.keys(alarms)).toHaveLength(10 + REGISTRY.length + 3);

    // The metrics come from log lines: `parked` in every function's group, the worker's ERRORs, its pauses.
    const logGroup = (name: FunctionName) =>
      ofType('AWS::Logs::LogGroup').find(
        ([, r]) => r.Properties.LogGroupName === `/aws/lambda/${PREFIX}-${name}`,
      )?.[0];
    const filters = ofType('AWS::Logs::MetricFilter').map(([, f]) => ({
      group: (f.Properties.LogGroupName as { Ref: string }).Ref,
      pattern: f.Properties.FilterPattern,
      metric: (f.Properties.MetricTransformations as { MetricName: string; MetricNamespace: string }[])[0],
    }));
    const metric = (MetricName: string) => ({
      MetricName,
      MetricNamespace: namespace,
      MetricValue: '1',
      Unit: 'Count',
    });
    expect(filters).toEqual(
      expect.arrayContaining([
        ...FUNCTION_NAMES.map((name) => ({
          group: logGroup(name),
          pattern: '{ $.message = "parked" }',
          metric: metric('ParkedEvents'),
        })),
        {
          group: logGroup('wolkvoxSync'),
          pattern: '{ $.level = "ERROR" }',
          metric: metric('WorkerErrorLogs'),
        },
        {
          group: logGroup('wolkvoxSync'),
          pattern: '{ $.message = "wolkvox unreachable: pausing the intake" }',
          metric: metric('IntakePaused'),
        },
      ]),
    );
    expect(filters).toHaveLength(5);
  });

  it('subscribes an alarm e-mail only when one is given', () => {
    const subscription = resource('AlarmEmailSubscription') as Resource & { Condition?: string };
    expect(subscription.Condition).toBe('HasAlarmEmail');
    expect(subscription.Properties).toMatchObject({ TopicArn: { Ref: 'AlarmTopic' }, Protocol: 'email' });
    // No alarmEmail param: the condition compares '' with '' and is false.
    expect(template.Conditions?.HasAlarmEmail).toEqual({ 'Fn::Not': [{ 'Fn::Equals': ['', ''] }] });
  });

  it('outputs what operators and the redrive script need', () => {
    expect(template.Outputs).toMatchObject({
      WorkQueueUrl: { Value: { Ref: 'WorkQueue' } },
      ParkedQueueUrl: { Value: { Ref: 'ParkedQueue' } },
      DeadLetterQueueUrl: { Value: { Ref: 'DeadLetterQueue' } },
      LedgerTableName: { Value: { Ref: 'LedgerTable' } },
      AlarmTopicArn: { Value: { Ref: 'AlarmTopic' } },
    });
  });

  it('names the queues the way npm run redrive looks them up', () => {
    const names = queueNames(STAGE);
    expect(resource('WorkQueue').Properties.QueueName).toBe(names.work);
    expect(resource('ParkedQueue').Properties.QueueName).toBe(names.parked);
  });

  it.each(FUNCTION_NAMES)("%s's log group is the one its role may write to", (name) => {
    const group = ofType('AWS::Logs::LogGroup').find(
      ([, r]) => r.Properties.LogGroupName === `/aws/lambda/${PREFIX}-${name}`,
    );
    expect(group?.[1].Properties.RetentionInDays).toEqual(expect.any(Number));
  });

  it.each(FUNCTION_NAMES)('%s.zip holds its own bundle, the exec wrapper and nothing else', async (name) => {
    const code = lambda(name).props.Code as { S3Key: string };
    expect(code.S3Key.endsWith(`/${name}.zip`)).toBe(true);
    const entries = await zipEntries(join(dir, 'package', `${name}.zip`));
    const bundle = `.esbuild/${FUNCTIONS[name]}/`;
    // index.mjs (the handler's module, scripts/bundle-loader.mjs), main.cjs and the chunks it loads,
    // each with its source map, V8's code cache for those a cold start loads (made by Lambda's Node
    // where it runs here), and undici's non-SIMD parser fallback as a file: all of what
    // scripts/build.ts wrote for this function, and nothing from another one.
    const built = (await readdir(join(ROOT, bundle), { recursive: true, withFileTypes: true }))
      .filter((entry) => entry.isFile())
      .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)).split(sep).join('/'));
    const names = [...entries.keys()].filter((file) => file !== WRAPPER).sort();
    expect(names).toEqual(built.sort());
    expect(names).toContain(`${bundle}index.mjs`);
    expect(names).toContain(`${bundle}main.cjs`);
    expect(names).toContain(`${bundle}main.cjs.map`);
    if (lambdaNodeReady) expect(names).toContain(`${bundle}main.cjs.cache`);
    for (const file of names) {
      expect(file).toMatch(
        /^\.esbuild\/[\w-]+\/(?:index\.mjs|(?:main|chunks\/[\w-]+)\.cjs(?:\.map|\.cache)?|(?:chunks\/)?llhttp-wasm\.wasm)$/,
      );
      if (file.endsWith('.cjs')) expect(names).toContain(`${file}.map`);
      if (file.endsWith('.cache')) expect(names).toContain(file.slice(0, -'.cache'.length));
    }
    // main.cjs takes the handler from the chunk that holds what the function's module reaches
    // (scripts/build.ts, lazyChunksBesideTheEntry): the code is in the chunks beside it.
    const modules = [...entries].filter(([file]) => /\.[cm]js$/.test(file));
    expect(modules.reduce((bytes, [, { size }]) => bytes + size, 0)).toBeGreaterThan(300_000);
    // Lambda runs the wrapper its environment names (the zip is /var/task): it must be there, and
    // executable, or every cold start fails.
    const variables = (lambda(name).props.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(variables.AWS_LAMBDA_EXEC_WRAPPER).toBe(`/var/task/${WRAPPER}`);
    const wrapper = entries.get(WRAPPER);
    expect(wrapper?.size).toBeGreaterThan(0);
    expect((wrapper?.mode ?? 0) & 0o111, 'executable').toBe(0o111);
  });
});

describe('osls print', () => {
  interface Printed {
    provider: { environment: Record<string, unknown> };
    resources: { Conditions: Record<string, unknown>; Resources: Record<string, Resource> };
  }
  const print = async (args: string[]) =>
    JSON.parse((await osls(['print', '--format', 'json', ...args], offlineEnv())).stdout) as Printed;

  it('subscribes the alarmEmail param to the alarm topic', { timeout: 60_000 }, async () => {
    const printed = await print(['--stage', STAGE, ...REQUIRED_PARAMS, '--param=alarmEmail=ops@example.com']);
    expect(printed.resources.Conditions.HasAlarmEmail).toEqual({
      'Fn::Not': [{ 'Fn::Equals': ['ops@example.com', ''] }],
    });
    expect(printed.resources.Resources.AlarmEmailSubscription?.Properties.Endpoint).toBe('ops@example.com');
  });

  it(
    'leaves LEDGER_TABLE blank for --stage local (direct mode keeps the ledger in memory)',
    {
      timeout: 60_000,
    },
    async () => {
      const printed = await print(['--stage', 'local']);
      expect(printed.provider.environment).toMatchObject({
        DISPATCH: 'direct',
        LEDGER_TABLE: '',
        QUEUE_URL: '',
      });
    },
  );
});

describe('a hardened template (issue 17)', () => {
  const alarm = (id: string) => resource(id).Properties;
  const namespace = `wolkvox-webhooks/${STAGE}`;

  it('gives every setting of lib/config.ts its camelCase param, leaving unset ones to the defaults', () => {
    const variables = (lambda('ticketResolved').props.Environment as { Variables: Record<string, unknown> })
      .Variables;
    expect(variables).toMatchObject({
      WOLKVOX_SERVER: 'crm0002.wolkvox.com',
      WOLKVOX_OPERATION: 'acme',
      WOLKVOX_CURRENCY: 'USD',
      JIRA_CASE_ID_FIELD: 'customfield_10050',
      CASE_TYPE_MAP: '{"billing":"Facturación"}',
      // The contract's metrics namespace, the one the alarms and the dashboard read.
      POWERTOOLS_METRICS_NAMESPACE: `wolkvox-webhooks/${STAGE}`,
    });
    // Blank params are left out: PROVIDERS unset means "by secret keys", not an empty list.
    expect(variables).not.toHaveProperty('PROVIDERS');
    expect(variables).not.toHaveProperty('WOLKVOX_TIMEZONE');
  });

  it('alarms on 401s per provider, from the registry, above the threshold param in 5 minutes', () => {
    for (const entry of REGISTRY) {
      const dimensions = [
        { Name: 'service', Value: 'wolkvox-webhooks' },
        { Name: 'family', Value: entry.family },
        { Name: 'provider', Value: entry.slug },
      ];
      const found = ofType('AWS::CloudWatch::Alarm')
        .map(([, a]) => a.Properties)
        .filter(
          (p) =>
            p.MetricName === 'Unauthorized' && JSON.stringify(p.Dimensions) === JSON.stringify(dimensions),
        );
      expect(found).toEqual([
        expect.objectContaining({
          Namespace: namespace,
          Dimensions: dimensions,
          Statistic: 'Sum',
          Period: 300,
          Threshold: 10,
          ComparisonOperator: 'GreaterThanThreshold',
          AlarmActions: [{ Ref: 'AlarmTopic' }],
        }),
      ]);
    }
  });

  it.each(['QuotaHolds', 'WolkvoxAuthFailures', 'SecretKeyMissing'])('alarms on any %s', (metric) => {
    expect(alarm(`${metric}Alarm`)).toMatchObject({
      Namespace: namespace,
      MetricName: metric,
      Dimensions: [{ Name: 'service', Value: 'wolkvox-webhooks' }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [{ Ref: 'AlarmTopic' }],
    });
  });

  it('has a dashboard of deliveries, applied per hour, wolkvox latency and errors, the queues and quota holds', () => {
    const { DashboardBody, DashboardName } = resource('Dashboard').Properties as {
      DashboardBody: { 'Fn::Sub': string };
      DashboardName: string;
    };
    expect(DashboardName).toBe(PREFIX);
    const body = JSON.parse(DashboardBody['Fn::Sub']) as {
      widgets: { properties: { title: string; region: string } }[];
    };
    const text = DashboardBody['Fn::Sub'];
    expect(text).toContain(
      `SEARCH('{\\"${namespace}\\",service,family,provider,outcome} MetricName=\\"Deliveries\\"'`,
    );
    for (const metric of ['Applied', 'WolkvoxLatency', 'WolkvoxCalls', 'QuotaHolds'])
      expect(text).toContain(metric);
    expect(text).toContain("'p99'");
    for (const queue of ['ApproximateNumberOfMessagesVisible', 'ApproximateAgeOfOldestMessage']) {
      expect(text).toContain(queue);
    }
    expect(body.widgets.every((w) => w.properties.region === '${AWS::Region}')).toBe(true);
  });

  it('saves Logs Insights queries across the three log groups', () => {
    const queries = ofType('AWS::Logs::QueryDefinition').map(([, q]) => q.Properties);
    expect(queries.length).toBeGreaterThanOrEqual(5);
    for (const query of queries) {
      expect(query.LogGroupNames).toEqual(FUNCTION_NAMES.map((name) => `/aws/lambda/${PREFIX}-${name}`));
    }
    const strings = queries.map((q) => q.QueryString as string).join('\n');
    for (const needle of ['correlation_id', 'eventId', 'Unauthorized', 'reason', 'WolkvoxLatency']) {
      expect(strings).toContain(needle);
    }
  });

  it('throttles the HTTP API stage and logs access without paths or query strings', () => {
    const stage = resource('HttpApiStage').Properties as {
      DefaultRouteSettings: Record<string, unknown>;
      AccessLogSettings: { Format: string };
    };
    expect(stage.DefaultRouteSettings).toMatchObject({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 });
    const format = JSON.parse(stage.AccessLogSettings.Format) as Record<string, string>;
    expect(Object.values(format)).toEqual(
      expect.arrayContaining([
        '$context.requestId',
        '$context.routeKey',
        '$context.status',
        '$context.responseLatency',
      ]),
    );
    // Zoho sends its token in the query string.
    expect(stage.AccessLogSettings.Format).not.toMatch(/\$context\.(?:path|querystring|identity)/i);
  });

  it('reserves the worker its slots and caps each ingress function', () => {
    const worker = lambda('wolkvoxSync').props.ReservedConcurrentExecutions;
    // The queue's 2 (maximumConcurrency) and the intake probe.
    expect(worker).toBe(3);
    expect(lambda('paymentReceived').props.ReservedConcurrentExecutions).toBe(50);
    expect(lambda('ticketResolved').props.ReservedConcurrentExecutions).toBe(20);
    expect(ofType('AWS::Lambda::Version')).toEqual([]);
  });

  it.each(['WorkQueue', 'DeadLetterQueue', 'ParkedQueue', 'LedgerTable'])(
    '%s survives a stack deletion or replacement',
    (id) => {
      expect(resources[id]).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    },
  );

  it('tags the stack and every function', () => {
    const tags = { service: 'wolkvox-webhooks', stage: STAGE };
    expect(provider.stackTags).toEqual(tags);
    for (const name of FUNCTION_NAMES) {
      expect(lambda(name).props.Tags).toEqual(
        expect.arrayContaining(Object.entries(tags).map(([Key, Value]) => ({ Key, Value }))),
      );
    }
    // Termination protection is prod's (osls print below); this stage leaves it off.
    expect(provider.deletionProtection).toBe(false);
  });

  it('has the custom domain and the KMS statement only when their params are set', () => {
    expect(resources.CustomDomain).toMatchObject({ Condition: 'HasDomainName' });
    expect(resources.CustomDomainMapping).toMatchObject({
      Condition: 'HasDomainName',
      Properties: { ApiId: { Ref: 'HttpApi' }, Stage: { Ref: 'HttpApiStage' } },
    });
    expect(template.Conditions?.HasDomainName).toEqual({ 'Fn::Not': [{ 'Fn::Equals': ['', ''] }] });
    expect(JSON.stringify(statements('wolkvoxSync'))).not.toContain('kms:');
  });

  it('outputs a ready IAM policy for the operator who runs redrive and status', () => {
    expect(template.Outputs.OperatorPolicyArn).toMatchObject({ Value: { Ref: 'OperatorPolicy' } });
    const { PolicyDocument } = resource('OperatorPolicy').Properties as {
      PolicyDocument: { Statement: Statement[] };
    };
    const granted: Record<string, unknown[]> = {};
    for (const statement of PolicyDocument.Statement) {
      for (const action of [statement.Action].flat())
        (granted[action] ??= []).push(...[statement.Resource].flat());
    }
    const queues = [getAtt('WorkQueue'), getAtt('ParkedQueue'), getAtt('DeadLetterQueue')];
    expect(granted).toMatchObject({
      'dynamodb:GetItem': [getAtt('LedgerTable')],
      'dynamodb:Query': [getAtt('LedgerTable')],
      'dynamodb:Scan': [getAtt('LedgerTable')],
      'sqs:ReceiveMessage': queues,
      'sqs:DeleteMessage': queues,
      'sqs:SendMessage': queues,
      'sqs:GetQueueAttributes': queues,
      'logs:StartQuery': FUNCTION_NAMES.map(logGroupArn),
      'logs:FilterLogEvents': FUNCTION_NAMES.map(logGroupArn),
      'logs:GetQueryResults': ['*'],
      'logs:DescribeLogGroups': ['*'],
      'lambda:GetEventSourceMapping': [expect.anything()],
      'lambda:UpdateEventSourceMapping': [expect.anything()],
    });
    expect(Object.keys(granted).filter((action) => action.includes('*'))).toEqual([]);
  });
});

describe('per-stage configuration (osls, offline)', () => {
  const fails = async (args: string[]) => {
    const error = (await osls(args, offlineEnv()).then(
      () => undefined,
      (e: unknown) => e,
    )) as { stderr?: string; stdout?: string } | undefined;
    expect(error).toBeDefined();
    return `${error?.stdout ?? ''}${error?.stderr ?? ''}`;
  };

  it(
    'refuses to package prod without its required params, listing all of them',
    { timeout: 60_000 },
    async () => {
      const output = await fails(['package', '--stage', 'prod', '--package', join(dir, 'prod')]);
      expect(output).toContain('Stage "prod" cannot be packaged (2 problems)');
      expect(output).toContain('wolkvoxServer (WOLKVOX_SERVER): is required');
      expect(output).toContain('wolkvoxOperation (WOLKVOX_OPERATION): is required');
      // No silent demo defaults outside the local stage.
      expect(output).not.toContain('Service packaged');
    },
  );

  it(
    'reports a typo in a param and an invalid setting with the closest known name',
    { timeout: 60_000 },
    async () => {
      const output = await fails([
        'print',
        '--stage',
        'prod',
        ...REQUIRED_PARAMS,
        '--param=wolkvoxCurency=USD',
        '--param=wolkvoxTimezone=Mars/Olympus',
        '--param=domainName=hooks.example.com',
      ]);
      expect(output).toContain('wolkvoxCurency: is not a param (did you mean wolkvoxCurrency?)');
      expect(output).toContain('wolkvoxTimezone (WOLKVOX_TIMEZONE): must be an IANA time zone');
      expect(output).toContain('certificateArn: is required with domainName');
    },
  );

  it(
    'turns on termination protection for prod and takes the custom domain and KMS key from params',
    { timeout: 60_000 },
    async () => {
      const { stdout } = await osls(
        [
          'print',
          '--format',
          'json',
          '--stage',
          'prod',
          ...REQUIRED_PARAMS,
          '--param=domainName=hooks.example.com',
          '--param=certificateArn=arn:aws:acm:us-east-1:123456789012:certificate/abc',
          '--param=secretKmsKeyArn=arn:aws:kms:us-east-1:123456789012:key/k1',
        ],
        offlineEnv(),
      );
      const printed = JSON.parse(stdout) as {
        provider: { deletionProtection: unknown };
        custom: { kmsStatement: { 'Fn::If': [string, { Action: string; Resource: string }] } };
        resources: { Conditions: Record<string, unknown>; Resources: Record<string, Resource> };
      };
      expect(printed.provider.deletionProtection).toBe(true);
      expect(printed.resources.Conditions.HasDomainName).toEqual({
        'Fn::Not': [{ 'Fn::Equals': ['hooks.example.com', ''] }],
      });
      expect(printed.resources.Resources.CustomDomain?.Properties).toMatchObject({
        DomainName: 'hooks.example.com',
        DomainNameConfigurations: [{ CertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc' }],
      });
      expect(printed.custom.kmsStatement['Fn::If'][1]).toMatchObject({
        Action: 'kms:Decrypt',
        Resource: 'arn:aws:kms:us-east-1:123456789012:key/k1',
      });
    },
  );
});

describe('osls invoke local --stage local', () => {
  it(
    'verifies a freshly signed Stripe event and applies it to the sandbox',
    { timeout: 60_000 },
    async () => {
      const sandbox = await startSandbox();
      try {
        // Secrets for both sides explicitly, so a developer's .env cannot make them disagree.
        const secrets = {
          WOLKVOX_TOKEN: LOCAL_SECRETS.WOLKVOX_TOKEN,
          STRIPE_WEBHOOK_SECRET: LOCAL_SECRETS.STRIPE_WEBHOOK_SECRET,
        };
        const signed = await run(
          process.execPath,
          ['scripts/sign.ts', 'stripe', 'events/stripe/payment_intent.succeeded.json'],
          { cwd: ROOT, env: offlineEnv(secrets) },
        );
        const eventFile = join(dir, 'event.json');
        await writeFile(eventFile, signed.stdout);

        const args = ['invoke', 'local', '--stage', 'local', '-f', 'paymentReceived', '-p', eventFile];
        const { stdout } = await osls([...args, '-e', `WOLKVOX_SERVER=${sandbox.url}`], offlineEnv(secrets));
        const result = JSON.parse(stdout.slice(stdout.lastIndexOf('\n{\n') + 1)) as {
          statusCode: number;
          body: unknown;
        };
        expect(result.statusCode).toBe(200);
        const body: unknown = typeof result.body === 'string' ? JSON.parse(result.body) : result.body;
        expect(body).toMatchObject({ status: 'applied' });
        expect(sandbox.requests().map((r) => r.endpoint)).toContain('collections/updateObligation.php');
      } finally {
        await sandbox.close();
      }
    },
  );
});

// Two wolkvox tokens: the `shards` param gives each its own work queue and worker (issue 19 §2).
describe('osls package --param=shards=2 (prod)', () => {
  let sharded: Template;
  beforeAll(async () => {
    const out = join(dir, 'sharded');
    await osls(
      ['package', '--stage', 'prod', '--package', out, ...REQUIRED_PARAMS, '--param=shards=2'],
      offlineEnv(),
    );
    sharded = JSON.parse(
      await readFile(join(out, 'cloudformation-template-update-stack.json'), 'utf8'),
    ) as Template;
  }, 120_000);

  const of = (type: string) => Object.entries(sharded.Resources).filter(([, r]) => r.Type === type);

  it("shows every shard's work queue on the dashboard (depth and age)", () => {
    const [, board] = of('AWS::CloudWatch::Dashboard')[0] ?? [];
    const body = JSON.stringify(board?.Properties.DashboardBody);
    for (const name of ['wolkvox-webhooks-prod.fifo', 'wolkvox-webhooks-prod-shard1.fifo'])
      expect(body.split(name).length - 1, name).toBe(3); // visible, in flight, oldest age
  });

  it('has two work queues, each drained by its own worker, 2 at a time, bound to its token', () => {
    const queues = of('AWS::SQS::Queue')
      .map(([id, r]) => [id, r.Properties.QueueName])
      .filter(([, name]) => !/-(?:dlq|parked)\.fifo$/.test(String(name)));
    expect(Object.fromEntries(queues)).toEqual({
      WorkQueue: 'wolkvox-webhooks-prod.fifo',
      WorkQueueShard1: 'wolkvox-webhooks-prod-shard1.fifo',
    });
    const mappings = of('AWS::Lambda::EventSourceMapping').map(([, r]) => r.Properties);
    expect(mappings).toHaveLength(2);
    const bound = mappings.map((mapping) => {
      expect(mapping.ScalingConfig).toEqual({ MaximumConcurrency: 2 });
      const fn = (mapping.FunctionName as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
      const env = (sharded.Resources[fn]?.Properties.Environment as { Variables: Record<string, unknown> })
        .Variables;
      return {
        queue: (mapping.EventSourceArn as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0],
        tokenShard: env.TOKEN_SHARD,
        ownQueue: env.QUEUE_URL,
      };
    });
    expect(bound).toEqual([
      { queue: 'WorkQueue', tokenShard: '0', ownQueue: { Ref: 'WorkQueue' } },
      { queue: 'WorkQueueShard1', tokenShard: '1', ownQueue: { Ref: 'WorkQueueShard1' } },
    ]);
    // Ingress routes each record to its shard: it knows every queue, in shard order.
    const ingress = of('AWS::Lambda::Function').find(
      ([, r]) => r.Properties.FunctionName === 'wolkvox-webhooks-prod-paymentReceived',
    );
    expect(
      (ingress?.[1].Properties.Environment as { Variables: Record<string, unknown> }).Variables.QUEUE_URLS,
    ).toEqual({ 'Fn::Join': [',', [{ Ref: 'WorkQueue' }, { Ref: 'WorkQueueShard1' }]] });
  });

  it('lets each worker read its queue, pause its mapping and write its logs; alarms per shard', () => {
    const worker = JSON.stringify(sharded.Resources.WolkvoxSyncRole?.Properties);
    for (const needed of [
      '"WorkQueueShard1","Arn"',
      '-wolkvoxSyncShard1:*',
      'function:wolkvox-webhooks-prod-wolkvoxSyncShard1"',
    ])
      expect(worker).toContain(needed);
    expect(JSON.stringify(sharded.Resources.PaymentReceivedRole?.Properties)).toContain(
      '"WorkQueueShard1","Arn"',
    );
    expect(sharded.Resources.WorkQueueAgeAlarmShard1?.Properties.AlarmName).toBe(
      'wolkvox-webhooks-prod-work-queue-age-shard1',
    );
    expect(sharded.Resources.WorkerErrorsAlarmShard1?.Properties.Dimensions).toEqual([
      { Name: 'FunctionName', Value: { Ref: 'WolkvoxSyncShard1LambdaFunction' } },
    ]);
  });
});
