'use strict';
// osls plugin (serverless.yml → plugins): bundles the functions with scripts/build.ts whenever osls
// needs them, so `osls package`, `osls deploy`, `osls deploy function` and `osls invoke local` work on
// a fresh clone with no separate build step. Each function's handler names its bundle:
// `.esbuild/<name>/index.handler` is built from functions/<name>.ts into .esbuild/<name>/index.mjs.
// CommonJS because osls loads plugins with require(); scripts/build.ts is loaded with import().

const path = require('node:path');
const { pathToFileURL } = require('node:url');

const HANDLER = /^\.esbuild\/([\w-]+)\/index\.handler$/;
const LOCAL_ONLY_STAGE = 'local';

class BuildPlugin {
  constructor(serverless, options, utils = {}) {
    this.serverless = serverless;
    this.options = options || {};
    this.log = utils.log || { notice: console.error, info: () => {} };
    this.hooks = {
      initialize: () => this.refuseLocalDeploy(),
      'before:package:createDeploymentArtifacts': () => this.build(this.allFunctions()),
      'before:deploy:function:packageFunction': () => this.build([this.options.function]),
      'before:invoke:local:invoke': () => this.prepareInvokeLocal(),
    };
  }

  /** The `local` stage (sandbox, direct dispatch, secrets from the environment) is for invoke local only. */
  refuseLocalDeploy() {
    const command = this.serverless.processedInput?.commands?.[0];
    const stage = this.options.stage ?? this.serverless.service.provider.stage;
    if (command === 'deploy' && stage === LOCAL_ONLY_STAGE) {
      throw new this.serverless.classes.Error(
        `The "${LOCAL_ONLY_STAGE}" stage is for "osls invoke local" only (local sandbox, no queue, no Secrets Manager); deploy another stage, e.g. --stage dev`,
        'WOLKVOX_LOCAL_STAGE_NOT_DEPLOYABLE',
      );
    }
  }

  allFunctions() {
    return this.serverless.service.getAllFunctions();
  }

  /** functions/<name>.ts for an osls function, from its handler `.esbuild/<name>/index.handler`. */
  bundleName(functionName) {
    const { handler } = this.serverless.service.getFunction(functionName);
    const match = HANDLER.exec(handler ?? '');
    if (!match) {
      throw new this.serverless.classes.Error(
        `Function "${functionName}": handler "${handler}" must be ".esbuild/<name>/index.handler" (built from functions/<name>.ts)`,
        'WOLKVOX_BUNDLE_HANDLER',
      );
    }
    return match[1];
  }

  /**
   * `codeCache`: which Node makes V8's code cache (scripts/build.ts, CodeCacheFor): Lambda's for a
   * zip, this machine's for `invoke local`, which runs the bundle here.
   */
  async build(functionNames, codeCache = 'lambda') {
    const names = [...new Set(functionNames.map((fn) => this.bundleName(fn)))];
    const script = path.join(this.serverless.serviceDir, 'scripts', 'build.ts');
    let buildFunctions;
    try {
      ({ buildFunctions } = await import(pathToFileURL(script).href));
    } catch (error) {
      if (error && error.code === 'ERR_UNKNOWN_FILE_EXTENSION') {
        throw new this.serverless.classes.Error(
          `Cannot load ${script} with Node ${process.version}: run osls with the project's Node 24 (npx osls …)`,
          'WOLKVOX_BUILD_NODE_VERSION',
        );
      }
      throw error;
    }
    const started = Date.now();
    const sizes = await buildFunctions(names, codeCache);
    const missing = names.filter((name) => !(name in sizes));
    if (missing.length > 0) {
      throw new this.serverless.classes.Error(
        `No functions/${missing[0]}.ts to build for handler .esbuild/${missing[0]}/index.handler`,
        'WOLKVOX_BUNDLE_MISSING',
      );
    }
    const summary = names.map((name) => `${name} ${Math.round(sizes[name] / 1024)} KiB`).join(', ');
    this.log.notice(`Bundled ${summary} in ${Date.now() - started} ms`);
  }

  /**
   * osls loads a Node handler with require() and tries only `.js` and `.cjs`, so it does not find
   * `index.mjs`. Node 24's require() loads ES modules (without top-level await), so point this
   * invocation at the file itself; the deployed handler string stays `index.handler`.
   */
  async prepareInvokeLocal() {
    const functionName = this.options.function;
    await this.build([functionName], 'this');
    const functionObj = this.serverless.service.getFunction(functionName);
    functionObj.handler = `.esbuild/${this.bundleName(functionName)}/index.mjs.handler`;
  }
}

module.exports = BuildPlugin;
