/**
 * The functions' environment as serverless.yml deploys it (DISPATCH=queue, SECRET_ID, QUEUE_URL,
 * LEDGER_TABLE, LOG_LEVEL=INFO), with every AWS endpoint and the wolkvox server pointed at the
 * loopback services, and no AWS config files (as in Lambda). The baseline runs, as it always has,
 * with NODE_OPTIONS=--enable-source-maps: the usual deployment of a minified bundle with linked
 * source maps (AWS SAM's esbuild examples set it). The fair baseline runs without it (its stack
 * traces stay minified: the fair price of not paying for the flag). Ours maps stacks when printed instead
 * (lib/stack-traces.ts), so serverless.yml sets no NODE_OPTIONS.
 */
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { Variant } from './build.ts';
import { LEDGER_TABLE, OPERATION, SECRET_ID, type ServiceEndpoints } from './services.ts';

/**
 * X-Ray as Lambda runs it: the SDK in Lambda mode (LAMBDA_TASK_ROOT) under the invocation's trace
 * header, sending its segments over UDP to a daemon address nothing listens on.
 */
const XRAY_IN_LAMBDA = {
  // Powertools' Tracer traces only where Lambda sets this.
  AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
  LAMBDA_TASK_ROOT: tmpdir(),
  _X_AMZN_TRACE_ID: 'Root=1-67a0c1d2-0123456789abcdef01234567;Parent=0123456789abcdef;Sampled=1',
  AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1:2000',
};

/** serverless.yml's provider.memorySize (test/exec-wrapper.test.ts holds them equal). */
export const LAMBDA_MEMORY_MB = 512;

/**
 * Node's flags as Lambda's Node.js bootstrap starts the runtime with them (its /var/runtime/bootstrap:
 * a tenth of the memory for the young generation, the rest for the old; the garbage collector exposed;
 * http's header limit raised), in the same order, before the script. Every cold start of the bench
 * runs with them, as every variant would in Lambda: --expose-gc among them costs each a share of
 * Node's code cache (docs/performance.md), which ours' exec wrapper takes back.
 */
export function lambdaNodeArgs(memoryMb = LAMBDA_MEMORY_MB): string[] {
  const newSpace = Math.floor(memoryMb / 10);
  return [
    '--expose-gc',
    '--max-http-header-size',
    '81920',
    `--max-semi-space-size=${Math.floor(newSpace / 2)}`,
    `--max-old-space-size=${memoryMb - newSpace}`,
  ];
}

/** Metrics are always on (EMF lines on stdout, as in Lambda); tracing as a stage with `tracing: 'true'`, unless `tracing` is false. */
export function deployEnv(
  services: ServiceEndpoints,
  functionName: string,
  variant: Variant,
  tracing = true,
): Record<string, string> {
  const none = join(tmpdir(), 'wolkvox-bench-no-aws-config');
  return {
    WOLKVOX_SERVER: services.sandboxUrl,
    WOLKVOX_OPERATION: OPERATION,
    SECRET_ID,
    DISPATCH: 'queue',
    QUEUE_URL: `${services.sqs}/000000000000/wolkvox-webhooks-bench-work.fifo`,
    PARKED_QUEUE_URL: `${services.sqs}/000000000000/wolkvox-webhooks-bench-parked.fifo`,
    LEDGER_TABLE,
    LOG_LEVEL: 'INFO',
    // serverless.yml sets it on the worker (2 containers × 1 = wolkvox's limit); ingress never calls wolkvox.
    WOLKVOX_MAX_IN_FLIGHT: '1',
    // No quota readings (lib/worker/quota.ts): they would add wolkvox calls and EMF lines to what is measured.
    QUOTA_CHECK_SECONDS: '0',
    ...(variant === 'naive' ? { NODE_OPTIONS: '--enable-source-maps' } : {}),
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_ENDPOINT_URL_SECRETS_MANAGER: services.secretsManager,
    AWS_ENDPOINT_URL_SQS: services.sqs,
    AWS_ENDPOINT_URL_DYNAMODB: services.dynamodb,
    AWS_CONFIG_FILE: none,
    AWS_SHARED_CREDENTIALS_FILE: none,
    AWS_EC2_METADATA_DISABLED: 'true',
    TZ: 'UTC',
    POWERTOOLS_METRICS_NAMESPACE: 'wolkvox-webhooks/bench',
    POWERTOOLS_TRACE_ENABLED: String(tracing),
    ...(tracing ? XRAY_IN_LAMBDA : {}),
  };
}

/**
 * The same environment for this process (warm and throughput runs), logging only errors so the
 * table stays readable; both implementations log at the same level. NODE_OPTIONS is left alone
 * (ours sets none).
 */
export function applyInProcessEnv(services: ServiceEndpoints): void {
  Object.assign(process.env, deployEnv(services, 'wolkvox-webhooks-bench', 'ours'), { LOG_LEVEL: 'ERROR' });
}

/**
 * Metrics stay on in this process (both implementations build and serialize their EMF lines), but
 * the lines are dropped instead of filling the terminal; returns the undo.
 */
export function dropEmfLines(): () => void {
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: unknown, ...rest: never[]) =>
    typeof chunk === 'string' && chunk.startsWith('{"_aws"')
      ? true
      : write(chunk as string, ...rest)) as typeof process.stdout.write;
  return () => {
    process.stdout.write = write;
  };
}
