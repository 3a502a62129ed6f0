// Smoke test of a deployed stage: one sample signed with the stage's real secrets, POSTed to its URL.
//   npm run smoke -- --url https://abc123.execute-api.us-east-1.amazonaws.com stripe
//   npm run smoke -- --url https://webhooks.example.com --apply wompi
// The logic is in lib/ops/smoke-cli.ts (npm run smoke -- --help).
import { smokeMain } from '../lib/ops/smoke-cli.ts';

process.exitCode = await smokeMain(process.argv.slice(2), {
  env: process.env,
  cwd: process.cwd(),
  fetch,
  out: (line) => console.log(line),
  err: (line) => console.error(line),
});
