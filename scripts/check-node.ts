// npm runs scripts with node_modules/.bin first on PATH, where the `node` devDependency puts
// Node 24 (the Lambda runtime). A different major here means the toolchain was bypassed.
const major = Number(process.versions.node.split('.')[0]);
if (major !== 24) {
  console.error(
    `Expected Node 24 (the nodejs24.x Lambda runtime), got ${process.version}. Run through npm scripts after npm ci.`,
  );
  process.exit(1);
}
