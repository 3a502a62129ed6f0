// serverless.yml, checked through what osls generates: one offline `osls package` (no AWS
// credentials), then assertions on the CloudFormation template and the zips; and one
// `osls invoke local --stage local` against an in-process sandbox, as the README documents it.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '#lib/config.ts';
import { queueNames } from '#lib/ops/redrive.ts';
import { LOCAL_SECRETS } from '#lib/local/defaults.ts';
import { startSandbox } from '#lib/sandbox/index.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..');
const OSLS = join(ROOT, 'node_modules', 'osls', 'bin', 'serverless.js');
const STAGE = 'ci';
const PREFIX = `wolkvox-webhooks-${STAGE}`;

/** osls function name → bundle (functions/<bundle>.ts). Function names are a contract. */
const FUNCTIONS = {
  paymentReceived: 'payment-received',
  ticketResolved: 'ticket-resolved',
  wolkvoxSync: 'wolkvox-sync',
} as const;
type FunctionName = keyof typeof FUNCTIONS;
const FUNCTION_NAMES = Object.keys(FUNCTIONS) as FunctionName[];

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

/** File names and sizes from a zip's central directory (no unzip binary needed). */
async function zipEntries(file: string): Promise<Map<string, number>> {
  const zip = await readFile(file);
  let end = zip.length - 22;
  while (end >= 0 && zip.readUInt32LE(end) !== 0x06054b50) end -= 1;
  if (end < 0) throw new Error(`${file}: not a zip`);
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const entries = new Map<string, number>();
  for (let i = 0; i < count; i += 1) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error(`${file}: bad central directory`);
    const size = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const skip = nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
    entries.set(zip.toString('utf8', at + 46, at + 46 + nameLength), size);
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
  return (Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[]).flatMap(
    (policy) => policy.PolicyDocument.Statement,
  );
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
  await osls(['package', '--stage', STAGE, '--package', join(dir, 'package')], offlineEnv());
  template = JSON.parse(
    await readFile(join(dir, 'package', 'cloudformation-template-update-stack.json'), 'utf8'),
  ) as Template;
  resources = template.Resources;
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
        expect(p.TreatMissingData).toBe('notBreaching');
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
    expect(Object.keys(alarms)).toHaveLength(9);

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

  it.each(FUNCTION_NAMES)('%s.zip holds its own bundle and nothing else', async (name) => {
    const code = lambda(name).props.Code as { S3Key: string };
    expect(code.S3Key.endsWith(`/${name}.zip`)).toBe(true);
    const entries = await zipEntries(join(dir, 'package', `${name}.zip`));
    const bundle = `.esbuild/${FUNCTIONS[name]}/`;
    // index.mjs (the handler) and the chunks it loads, each with its source map, and undici's
    // non-SIMD parser fallback as a file: all of what scripts/build.ts wrote for this function, and
    // nothing from another one.
    const built = (await readdir(join(ROOT, bundle), { recursive: true, withFileTypes: true }))
      .filter((entry) => entry.isFile())
      .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)).split(sep).join('/'));
    const names = [...entries.keys()].sort();
    expect(names).toEqual(built.sort());
    expect(names).toContain(`${bundle}index.mjs`);
    expect(names).toContain(`${bundle}index.mjs.map`);
    for (const file of names) {
      expect(file).toMatch(
        /^\.esbuild\/[\w-]+\/(?:(?:index|chunks\/[\w-]+)\.mjs(?:\.map)?|(?:chunks\/)?llhttp-wasm\.wasm)$/,
      );
      if (file.endsWith('.mjs')) expect(names).toContain(`${file}.map`);
    }
    expect(entries.get(`${bundle}index.mjs`)).toBeGreaterThan(10_000);
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
    const printed = await print(['--stage', STAGE, '--param=alarmEmail=ops@example.com']);
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
