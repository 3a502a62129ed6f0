/**
 * The environment serverless.yml gives a function (DISPATCH=queue, its secret, its queues, the
 * ledger table), with the AWS SDK pointed at loopback fakes and static credentials, for the scripts
 * that run built bundles as deployed (run-bundles.ts, run-traced-bundle.ts). Its secret id is
 * `wolkvox-webhooks/<name>`.
 */
export interface DeployedEnvOptions {
  name: string;
  wolkvoxServer: string;
  queueUrl: string;
  parkedQueueUrl: string;
  endpoints: { sqs: string; secretsManager: string };
}

export function deployedEnv(options: DeployedEnvOptions): Record<string, string> {
  return {
    WOLKVOX_SERVER: options.wolkvoxServer,
    WOLKVOX_OPERATION: 'demo',
    DISPATCH: 'queue',
    LOG_LEVEL: 'ERROR',
    AWS_LAMBDA_FUNCTION_NAME: options.name,
    SECRET_ID: `wolkvox-webhooks/${options.name}`,
    QUEUE_URL: options.queueUrl,
    PARKED_QUEUE_URL: options.parkedQueueUrl,
    LEDGER_TABLE: 'ledger',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_SQS: options.endpoints.sqs,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: options.endpoints.secretsManager,
  };
}
