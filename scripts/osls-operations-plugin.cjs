'use strict';
// osls plugin (serverless.yml → plugins): adds the operations resources derived from the code
// (scripts/operations-resources.ts: a 401 alarm per registry provider, the worker metrics' alarms,
// the dashboard, the saved Logs Insights queries) to the packaged template, since serverless.yml
// cannot spread a generated map into `resources`. CommonJS because osls loads plugins with require().

const path = require('node:path');
const { pathToFileURL } = require('node:url');

class OperationsPlugin {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'before:package:finalize': () => this.addResources() };
  }

  async addResources() {
    const script = path.join(this.serverless.serviceDir, 'scripts', 'operations-resources.ts');
    const { operationsResources } = await import(pathToFileURL(script).href);
    const { service, provider, custom } = this.serverless.service;
    const generated = operationsResources({
      service: typeof service === 'string' ? service : service.name,
      stage: this.serverless.getProvider('aws').getStage(),
      unauthorizedThreshold: Number(custom.operations.unauthorizedThreshold),
      shards: Number(custom.shards ?? 1),
    });
    const resources = provider.compiledCloudFormationTemplate.Resources;
    for (const [id, resource] of Object.entries(generated)) {
      if (id in resources) {
        throw new this.serverless.classes.Error(
          `Resource ${id} is both in serverless.yml and generated`,
          'WOLKVOX_RESOURCE_CLASH',
        );
      }
      resources[id] = resource;
    }
  }
}

module.exports = OperationsPlugin;
