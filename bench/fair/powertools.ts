/**
 * Fair baseline (bench only): the Powertools utilities every fair function uses, built once per
 * container in a module of their own, as Powertools' examples/app keeps them (commons/powertools).
 * Metrics in the namespace serverless.yml sets (POWERTOOLS_METRICS_NAMESPACE); the tracer on where
 * Lambda runs it (POWERTOOLS_TRACE_ENABLED), tracing undici's requests by default.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

const serviceName = 'wolkvox-webhooks-fair';

export const logger = new Logger({ serviceName });
export const metrics = new Metrics({ serviceName });
export const tracer = new Tracer({ serviceName });
