// Node as Lambda runs it: the release the build uses (the `node` devDependency, Lambda's major),
// built for serverless.yml's architecture (arm64, Graviton), run through qemu's user-mode emulator
// when this machine is another architecture. Tests run the built bundles and the exec wrapper on it
// (test/bundle.test.ts, test/exec-wrapper.test.ts): V8 is not quite the same program on arm64 — a
// V8 code cache made on x86_64 is rejected there, with the same V8 version and flags
// (docs/performance.md) — and everything else here runs on the machine's own architecture.
//
//   npm run lambda-node   downloads Node for Lambda's architecture from the npm registry (once)
//                         and says how it runs here.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..');

/** serverless.yml's names for Lambda's architectures, and what Node and qemu call them. */
const ARCHITECTURES = {
  arm64: { node: 'arm64', qemu: 'aarch64', crossLibs: 'libc6-arm64-cross libstdc++6-arm64-cross' },
  x86_64: { node: 'x64', qemu: 'x86_64', crossLibs: 'libc6-amd64-cross libstdc++6-amd64-cross' },
} as const;
type Architecture = keyof typeof ARCHITECTURES;

export interface LambdaNode {
  /** serverless.yml's provider.architecture. */
  architecture: Architecture;
  version: string;
  /** The node binary for that architecture (in node_modules/.cache once downloaded). */
  binary: string;
  /** What runs a Node command line on it here: [binary], or qemu, its library root and the binary. */
  command: string[];
  /** Everything that is missing, with the commands that install it; empty when it can run. */
  missing: string[];
}

/** provider.architecture in serverless.yml (Lambda's default, x86_64, when it says none). */
export function lambdaArchitecture(yml = readFileSync(join(ROOT, 'serverless.yml'), 'utf8')): Architecture {
  const lines = yml.split('\n');
  const start = lines.indexOf('provider:') + 1;
  // The provider block: its indented lines, up to the next top-level key.
  const end = lines.findIndex((line, i) => i >= start && /^\S/.test(line));
  const block = lines.slice(start, end === -1 ? undefined : end);
  const name = block.map((line) => /^ {2}architecture: (\S+)/.exec(line)?.[1]).find(Boolean) ?? 'x86_64';
  if (!(name in ARCHITECTURES)) throw new Error(`serverless.yml: unknown architecture ${name}`);
  return name as Architecture;
}

/** Where Lambda's Node is (or would be), and how to run it on this machine. */
export function lambdaNode(): LambdaNode {
  const architecture = lambdaArchitecture();
  const names = ARCHITECTURES[architecture];
  const { devDependencies } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    devDependencies: Record<string, string>;
  };
  const version = devDependencies.node ?? process.versions.node;
  const binary = join(ROOT, 'node_modules', '.cache', 'lambda-node', `${names.node}-${version}`, 'node');
  const missing: string[] = [];
  if (!existsSync(binary)) missing.push(`no Node ${version} for ${architecture}: npm run lambda-node`);
  if (process.platform === 'linux' && process.arch === names.node) {
    return { architecture, version, binary, command: [binary], missing };
  }
  const qemu = `/usr/bin/qemu-${names.qemu}-static`;
  const libraries = `/usr/${names.qemu}-linux-gnu`;
  if (process.platform !== 'linux') {
    missing.push(`a Linux ${architecture} machine (this is ${process.platform} ${process.arch})`);
  } else if (!existsSync(qemu) || !existsSync(join(libraries, 'lib'))) {
    missing.push(`no emulator for ${architecture}: apt-get install -y qemu-user-static ${names.crossLibs}`);
  }
  return { architecture, version, binary, command: [qemu, '-L', libraries, binary], missing };
}

/** Downloads Node for Lambda's architecture from the npm registry (node-linux-<arch>), unless present. */
export async function fetchLambdaNode(node = lambdaNode()): Promise<LambdaNode> {
  if (existsSync(node.binary)) return node;
  const pkg = `node-linux-${ARCHITECTURES[node.architecture].node}@${node.version}`;
  const work = await mkdtemp(join(tmpdir(), 'lambda-node-'));
  try {
    // npm pack checks the tarball against the registry's integrity hash.
    const { stdout } = await run('npm', ['pack', pkg, '--pack-destination', work, '--silent'], {
      maxBuffer: 1 << 20,
    });
    const tarball = join(work, stdout.trim().split('\n').at(-1) ?? '');
    await run('tar', ['-xzf', tarball, '-C', work, 'package/bin/node']);
    await mkdir(join(node.binary, '..'), { recursive: true });
    await rename(join(work, 'package', 'bin', 'node'), node.binary);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return lambdaNode();
}

if (import.meta.main) {
  const node = await fetchLambdaNode();
  const { stdout } = node.missing.length
    ? { stdout: '' }
    : await run(node.command[0] ?? '', [
        ...node.command.slice(1),
        '-p',
        'process.arch + " " + process.version',
      ]);
  console.log(`Lambda's Node (${node.architecture}, ${node.version}): ${node.binary}`);
  if (node.missing.length) {
    console.log(`cannot run it here yet:\n${node.missing.map((m) => `  - ${m}`).join('\n')}`);
    process.exitCode = 1;
  } else {
    console.log(`runs here as: ${node.command.join(' ')}  (${stdout.trim()})`);
  }
}
