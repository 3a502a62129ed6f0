'use strict';
// osls variable resolver (serverless.yml → provider.environment: ${file(./scripts/osls-settings.cjs):environment}):
// the functions' environment for a stage, derived from lib/config.ts so the list of settings has one
// source. Every variable lib/config.ts reads (the service's and each provider's settings.ts) is a
// stage param named in camelCase (WOLKVOX_CURRENCY → wolkvoxCurrency), given with
// --param="wolkvoxCurrency=USD" or under `params:` per stage; unset or blank params are left out, so
// the code's defaults apply. custom.environment holds what the stack sets itself (queue URLs, …).
// A deployable stage is validated here with lib/config.ts's own loadConfig: `osls package` fails
// with every missing or invalid setting at once instead of a function failing at its first cold start.
// CommonJS because osls loads resolvers with require(); lib/config.ts is loaded with import().

const path = require('node:path');
const { pathToFileURL } = require('node:url');

const LOCAL_ONLY_STAGE = 'local';
/** Params named before this file existed, kept working: SECRET_ID was always `secretName`. */
const PARAM_ALIASES = { SECRET_ID: 'secretName' };
/** Stand-ins for values only CloudFormation knows (queue URLs, the table name) during validation. */
const PLACEHOLDER = 'https://sqs.us-east-1.amazonaws.com/123456789012/placeholder.fifo';

/** WOLKVOX_CURRENCY → wolkvoxCurrency. */
const camelCase = (name) => name.toLowerCase().replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());

/** The stage's params, as osls ranks them: --param, then params.<stage>, then params.default. */
async function stageParams(stage, options, resolveConfigurationProperty) {
  const params = {};
  for (const source of [
    ['params', 'default'],
    ['params', stage],
  ]) {
    Object.assign(params, (await resolveConfigurationProperty(source)) ?? {});
  }
  for (const item of [options.param ?? []].flat()) {
    const match = /^(?<key>[^=]+)=(?<value>.+)$/.exec(item);
    if (match) params[match.groups.key] = match.groups.value.trimEnd();
  }
  return params;
}

/** A param's value as an environment variable: a YAML map (CASE_TYPE_MAP …) becomes its JSON. */
function asVariable(value) {
  if (value === null || value === undefined) return undefined;
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return text.trim() === '' ? undefined : text;
}

async function environment({ options, resolveConfigurationProperty }) {
  const config = await import(pathToFileURL(path.join(__dirname, '..', 'lib', 'config.ts')).href);
  const stage = options.stage ?? (await resolveConfigurationProperty(['provider', 'stage'])) ?? 'dev';
  const fixed = (await resolveConfigurationProperty(['custom', 'environment'])) ?? {};
  const params = await stageParams(stage, options, resolveConfigurationProperty);
  const templateParams = Object.keys((await resolveConfigurationProperty(['params', 'default'])) ?? {});

  const settings = config.SETTING_NAMES.filter(
    (name) => !config.SET_BY_DEPLOYMENT.has(name) && !(name in fixed),
  );
  const paramOf = (name) => PARAM_ALIASES[name] ?? camelCase(name);
  const env = { ...fixed };
  for (const name of settings) {
    const value = asVariable(params[paramOf(name)]);
    if (value !== undefined) env[name] = value;
  }

  const problems = [...unknownParams(Object.keys(params), settings.map(paramOf), templateParams, config)];
  if (asVariable(params.domainName) && !asVariable(params.certificateArn)) {
    problems.push('certificateArn: is required with domainName (an ACM certificate for it, in this region)');
  }
  if (stage !== LOCAL_ONLY_STAGE) problems.push(...configProblems(env, paramOf, config));
  if (problems.length > 0) {
    const error = new Error(
      `Stage "${stage}" cannot be packaged (${problems.length} problem${problems.length === 1 ? '' : 's'}); ` +
        `set each param with --param="<name>=<value>" or under params.${stage} in serverless.yml:\n  - ${problems.join('\n  - ')}`,
    );
    error.stack = error.message; // osls prints the stack: the list is the whole story
    throw error;
  }
  return env;
}

/**
 * What the functions' own cold-start validation (lib/config.ts) would say about this stage, with
 * each variable's param named: every missing or invalid setting at once.
 */
function configProblems(env, paramOf, config) {
  const lambdaEnv = { AWS_LAMBDA_FUNCTION_NAME: 'osls-package' };
  for (const [name, value] of Object.entries(env)) {
    lambdaEnv[name] = typeof value === 'string' ? value : name === 'LEDGER_TABLE' ? 'ledger' : PLACEHOLDER;
  }
  try {
    config.loadConfig(lambdaEnv);
    return [];
  } catch (error) {
    if (!(error instanceof config.ConfigError)) throw error;
    return error.problems.map((problem) => {
      const name = problem.slice(0, problem.indexOf(':'));
      return config.SETTING_NAMES.includes(name)
        ? `${paramOf(name)} (${name})${problem.slice(name.length)}`
        : problem;
    });
  }
}

/**
 * A param nothing reads that looks like one of ours (a setting's camelCase prefix such as wolkvox…,
 * case…, jira…, or a near miss of any known param) is a typo whose setting would keep its default.
 */
function unknownParams(given, settingParams, templateParams, config) {
  const known = [...new Set([...settingParams, ...templateParams])];
  const prefixes = new Set(
    settingParams.map((name) => /^[a-z0-9]+/.exec(name)[0]).filter((p) => p.length > 2),
  );
  return given
    .filter((name) => !known.includes(name))
    .filter((name) => {
      const closest = config.closestName(name, known);
      return prefixes.has(/^[a-z0-9]*/.exec(name)[0]) || config.editDistance(name, closest) <= 2;
    })
    .map((name) => `${name}: is not a param (did you mean ${config.closestName(name, known)}?)`);
}

module.exports = { environment };
