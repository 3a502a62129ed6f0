// What happened to one payment or ticket on a deployed stage: ledger, parked queue, DLQ and logs.
//   npm run status -- --stage prod stripe pi_3MtwBwLkdIwHu7ix28a3tqPa
//   npm run status -- --stage prod --family tickets standard 4321
// Needs AWS credentials (the SDK's usual chain); AWS_ENDPOINT_URL_{DYNAMODB,SQS,CLOUDWATCH_LOGS}
// point it elsewhere (a local run). The logic is in lib/ops/ (npm run status -- --help).
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { statusMain } from '../lib/ops/status-cli.ts';

process.exitCode = await statusMain(process.argv.slice(2), {
  createClients: (region) => {
    const config = region ? { region } : {};
    return {
      dynamodb: new DynamoDBClient(config),
      sqs: new SQSClient(config),
      logs: new CloudWatchLogsClient(config),
    };
  },
  out: (line) => console.log(line),
  err: (line) => console.error(line),
});
