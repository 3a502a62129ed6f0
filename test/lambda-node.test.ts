// scripts/lambda-node.ts: which Node the tests run as Lambda's (test/support/lambda-node.ts).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { lambdaArchitecture, lambdaNode } from '../scripts/lambda-node.ts';
import { LAMBDA_NODE_NAME, lambdaNodeReady } from './support/lambda-node.ts';

const yml = (provider: string, rest = '') => `service: x\n\nprovider:\n  name: aws\n${provider}${rest}`;

describe("Lambda's Node", () => {
  it("reads the architecture from serverless.yml's provider block, x86_64 when it names none", () => {
    expect(lambdaArchitecture()).toBe('arm64');
    expect(lambdaArchitecture(yml('  architecture: arm64\n  memorySize: 512\n'))).toBe('arm64');
    expect(lambdaArchitecture(yml('  memorySize: 512\n'))).toBe('x86_64');
    // A function's own key, or one under another top-level block, is not the provider's.
    expect(
      lambdaArchitecture(yml('  runtime: nodejs24.x\n', '\nfunctions:\n  a:\n    architecture: arm64\n')),
    ).toBe('x86_64');
    expect(() => lambdaArchitecture(yml('  architecture: ppc64\n'))).toThrow(/unknown architecture ppc64/);
  });

  it("is the release the build runs on (the `node` devDependency), for Lambda's architecture", () => {
    const node = lambdaNode();
    expect(node.version).toBe(process.versions.node);
    expect(node.binary).toContain(`arm64-${process.versions.node}`);
    expect(node.command.at(-1)).toBe(node.binary);
  });

  it.skipIf(!lambdaNodeReady)(`runs here (${LAMBDA_NODE_NAME})`, { timeout: 30_000 }, async () => {
    const [command = '', ...prefix] = lambdaNode().command;
    const { stdout } = await promisify(execFile)(command, [
      ...prefix,
      '-p',
      'process.arch + " " + process.version',
    ]);
    expect(stdout.trim()).toBe(`arm64 ${process.version}`);
  });
});
