import { Logger } from '@aws-lambda-powertools/logger';

export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';

/**
 * Structured JSON logs (Powertools). Log ids, decisions and reasons only: never a body (personal
 * data), a header (signatures) or a secret.
 */
export function createLogger(serviceName: string, logLevel: LogLevel = 'INFO'): Logger {
  return new Logger({ serviceName, logLevel });
}
export type { Logger };
