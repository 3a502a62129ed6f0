'use strict';
// osls plugin (serverless.yml → plugins, after the operations plugin): one work queue and one worker
// per wolkvox token (the `shards` stage param, default 1; docs/delivery.md, "More than one token").
// Shard 0 is the stack's WorkQueue and wolkvoxSync, unchanged; shard i (1 … shards−1) adds
//   - WorkQueueShard<i> (a copy of WorkQueue: same DLQ, same retention; name <service>-<stage>-shard<i>.fifo),
//   - wolkvoxSyncShard<i> (a copy of wolkvoxSync: its own SQS mapping with maximumConcurrency 2, its
//     own probe schedule, env TOKEN_SHARD=i and QUEUE_URL of its queue, the same role and bundle),
//   - copies of every alarm and log metric filter on WorkQueue / wolkvoxSync, and its queue's URL output,
// widens the roles and the operator policy to the new queues, log groups and functions, and gives
// every function QUEUE_URLS (each shard's queue, in order) for ingress to route by record.
// One function per shard rather than one function with N mappings: the token then comes from the
// environment, each worker pauses and resumes only its own mapping (lib/worker/intake.ts), and
// reserved concurrency, errors and throttles are per token. CommonJS because osls loads plugins with
// require().

/* global structuredClone */
const MAX_SHARDS = 16;

class ShardsPlugin {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = {
      // Before the build (which bundles every function) and the compilation of functions and events.
      initialize: () => this.addFunctions(),
      'before:package:finalize': () => this.addResources(),
    };
  }

  shards() {
    const raw = String(this.serverless.service.custom?.shards ?? '1').trim();
    const shards = Number(raw);
    if (!/^\d+$/.test(raw) || shards < 1 || shards > MAX_SHARDS) {
      throw new this.serverless.classes.Error(
        `shards: "${raw}" must be a whole number from 1 to ${MAX_SHARDS} (one per wolkvox token in WOLKVOX_TOKEN)`,
        'WOLKVOX_SHARDS',
      );
    }
    return shards;
  }

  addFunctions() {
    const shards = this.shards();
    if (shards === 1) return;
    const { service } = this.serverless;
    const base = service.functions.wolkvoxSync;
    for (let i = 1; i < shards; i += 1) {
      const queue = { 'Fn::GetAtt': [queueId(i), 'Arn'] };
      service.functions[functionName(i)] = {
        ...structuredClone(base),
        name: base.name.replace(/wolkvoxSync$/, functionName(i)),
        description: `${base.description} (shard ${i}, token#${i + 1})`,
        environment: { ...base.environment, TOKEN_SHARD: String(i), QUEUE_URL: { Ref: queueId(i) } },
        events: base.events.map((event) =>
          event.sqs ? { sqs: { ...event.sqs, arn: queue } } : structuredClone(event),
        ),
      };
    }
    base.environment = { ...base.environment, TOKEN_SHARD: '0' };
    // Direct dispatch (the local stage) has no queues: QUEUE_URL is blank there.
    const environment = service.provider.environment;
    if (environment?.QUEUE_URL) {
      const urls = [{ Ref: 'WorkQueue' }, ...range(shards).map((i) => ({ Ref: queueId(i) }))];
      environment.QUEUE_URLS = { 'Fn::Join': [',', urls] };
    }
  }

  addResources() {
    const shards = this.shards();
    if (shards === 1) return;
    // serverless.yml's own resources are merged into the compiled template after this hook; the
    // operations plugin's are already in it: both are read, copies go into the compiled template.
    const custom = this.serverless.service.resources;
    const compiled = this.serverless.service.provider.compiledCloudFormationTemplate;
    const resources = { ...compiled.Resources, ...custom.Resources };
    const copies = {};
    for (const i of range(shards)) {
      const queue = structuredClone(resources.WorkQueue);
      queue.Properties.QueueName = queue.Properties.QueueName.replace(/\.fifo$/, `-shard${i}.fifo`);
      copies[queueId(i)] = queue;
      // Alarms and log metric filters of shard 0's queue and worker, once per shard.
      for (const [id, resource] of Object.entries(resources)) {
        if (!isPerShard(resource)) continue;
        const copy = JSON.parse(renameShard0(JSON.stringify(resource), i));
        if (copy.Properties.AlarmName) copy.Properties.AlarmName += `-shard${i}`;
        copies[`${id}Shard${i}`] = copy;
      }
      compiled.Outputs[`WorkQueueShard${i}Url`] = {
        Description: `Shard ${i}'s work queue (token#${i + 1})`,
        Value: { Ref: queueId(i) },
      };
    }
    for (const [id, resource] of Object.entries(copies)) {
      if (id in resources) {
        throw new this.serverless.classes.Error(
          `Resource ${id} is both in serverless.yml and generated`,
          'WOLKVOX_RESOURCE_CLASH',
        );
      }
      compiled.Resources[id] = resource;
    }
    for (const resource of Object.values(resources)) {
      const documents =
        resource.Type === 'AWS::IAM::ManagedPolicy'
          ? [resource.Properties.PolicyDocument]
          : resource.Type === 'AWS::IAM::Role'
            ? (resource.Properties.Policies ?? []).map((policy) => policy.PolicyDocument)
            : [];
      for (const statement of documents.flatMap((document) => document.Statement)) widen(statement, shards);
    }
  }
}

const range = (shards) => Array.from({ length: shards - 1 }, (_, k) => k + 1);
const queueId = (i) => `WorkQueueShard${i}`;
const functionName = (i) => `wolkvoxSyncShard${i}`;

/** Shard 0's names in a resource's JSON → shard i's (queue, function, log group, ARNs). */
function renameShard0(json, i) {
  return json
    .replaceAll('"WorkQueue"', `"${queueId(i)}"`)
    .replaceAll('"WolkvoxSyncLambdaFunction"', `"WolkvoxSyncShard${i}LambdaFunction"`)
    .replaceAll('"WolkvoxSyncLogGroup"', `"WolkvoxSyncShard${i}LogGroup"`)
    .replace(/-wolkvoxSync(?=[:"])/g, `-${functionName(i)}`);
}

/** A metric filter on the worker's log group, or an alarm on the work queue or the worker. */
function isPerShard(resource) {
  const json = JSON.stringify(resource.Properties ?? {});
  if (resource.Type === 'AWS::Logs::MetricFilter') return json.includes('"WolkvoxSyncLogGroup"');
  if (resource.Type !== 'AWS::CloudWatch::Alarm') return false;
  return /"Dimensions":.*"(?:WorkQueue|WolkvoxSyncLambdaFunction)"/.test(json);
}

/** A statement naming shard 0's queue, log group or function also names every shard's. */
function widen(statement, shards) {
  const named = (item) => /"WorkQueue"|-wolkvoxSync[:"]/.test(JSON.stringify(item));
  const grow = (value) => {
    const list = [value].flat();
    const shard0 = list.filter(named);
    if (shard0.length === 0) return value;
    const copies = range(shards).flatMap((i) =>
      shard0.map((item) => JSON.parse(renameShard0(JSON.stringify(item), i))),
    );
    return [...list, ...copies];
  };
  if (statement.Resource) statement.Resource = grow(statement.Resource);
  const arns = statement.Condition?.StringEquals?.['lambda:FunctionArn'];
  if (arns) statement.Condition.StringEquals['lambda:FunctionArn'] = grow(arns);
}

module.exports = ShardsPlugin;
