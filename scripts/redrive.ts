// Lists the parked (dead-letter) queue of a deployed stage and moves chosen events back:
//   npm run redrive -- --stage prod --dry-run
//   npm run redrive -- --stage prod --select 2,5
// Needs AWS credentials (the SDK's usual chain). The logic is in lib/ops/ (npm run redrive -- --help).
import { SQSClient } from '@aws-sdk/client-sqs';
import { redriveMain } from '../lib/ops/redrive-cli.ts';

process.exitCode = await redriveMain(process.argv.slice(2), {
  createClient: (region) => new SQSClient(region ? { region } : {}),
  out: (line) => console.log(line),
  err: (line) => console.error(line),
});
