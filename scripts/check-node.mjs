// Runs first in every npm script that runs a .ts file. Plain JavaScript on purpose: it must run on
// whatever Node is at hand (18 and up) to say how to get the right one, where a .ts check would die
// on Node 20 with ERR_UNKNOWN_FILE_EXTENSION before printing anything.
//
// npm runs scripts with node_modules/.bin first on PATH, where the `node` devDependency puts Node 24
// (the nodejs24.x Lambda runtime). A different major here means that Node is missing or was bypassed.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const REQUIRED = 24;
const major = Number(process.versions.node.split('.')[0]);
if (major !== REQUIRED) {
  const bundled = fileURLToPath(new URL('../node_modules/.bin/node', import.meta.url));
  const steps = existsSync(bundled)
    ? [
        'run it through npm scripts (npm start, npm test, npm run trigger -- …): they use the Node 24 in node_modules/.bin',
        `or call that Node directly: ./node_modules/.bin/node scripts/<script>.ts`,
      ]
    : ['npm ci (installs the project’s Node 24 into node_modules/.bin), then run it through npm scripts'];
  steps.push(`or switch this shell to Node ${REQUIRED}: nvm use ${REQUIRED} (or install Node ${REQUIRED})`);
  console.error(
    `This project needs Node ${REQUIRED} (the nodejs${REQUIRED}.x Lambda runtime); this is Node ${process.version}.\n` +
      `Fix it:\n${steps.map((step) => `  - ${step}`).join('\n')}`,
  );
  process.exit(1);
}
