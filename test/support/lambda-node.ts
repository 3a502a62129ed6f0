// Lambda's own Node (scripts/lambda-node.ts: serverless.yml's architecture, emulated where this
// machine is another) for the tests that run on it. .ci/run installs it; where it is missing anyway,
// those tests skip and say how to get it, unless CI=true, where a skip would hide the gap.
import { lambdaNode } from '../../scripts/lambda-node.ts';

export const LAMBDA_NODE = lambdaNode();
export const lambdaNodeReady = LAMBDA_NODE.missing.length === 0;
/** How the tests name it: "arm64 Node 24.21.0, emulated". */
export const LAMBDA_NODE_NAME = `${LAMBDA_NODE.architecture} Node ${LAMBDA_NODE.version}${
  LAMBDA_NODE.command.length > 1 ? ', emulated' : ''
}`;

const how = `cannot run Lambda's Node here:\n${LAMBDA_NODE.missing.map((m) => `  - ${m}`).join('\n')}`;
if (!lambdaNodeReady && process.env.CI === 'true') throw new Error(how);
if (!lambdaNodeReady) console.warn(`skipping the tests on Lambda's Node (${LAMBDA_NODE_NAME}): ${how}`);
