import type { Logger } from '#lib/log.ts';

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  attributes: Record<string, unknown>;
  /** Powertools' `correlation_id` key, when one was set (logger.setCorrelationId). */
  correlationId?: string;
}

/**
 * A Logger that keeps what it is told, for tests that check what reaches the logs. It answers the
 * calls Powertools' injectLambdaContext middleware and the worker make (context, correlation id,
 * child loggers); children write to the same lines.
 */
export function capturingLogger(): { logger: Logger; lines: LogLine[]; text: () => string } {
  const lines: LogLine[] = [];
  const make = (): Logger => {
    let correlationId: string | undefined;
    const keep =
      (level: LogLine['level']) =>
      (message: string, attributes: Record<string, unknown> = {}) =>
        lines.push({ level, message, attributes, ...(correlationId === undefined ? {} : { correlationId }) });
    const logger = {
      debug: keep('debug'),
      info: keep('info'),
      warn: keep('warn'),
      error: keep('error'),
      setCorrelationId: (value: string | undefined) => (correlationId = value),
      getCorrelationId: () => correlationId,
      resetKeys: () => (correlationId = undefined),
      createChild: () => make(),
      addContext: () => undefined,
      logEventIfEnabled: () => undefined,
      refreshSampleRateCalculation: () => undefined,
      clearBuffer: () => undefined,
    };
    return logger as unknown as Logger;
  };
  return { logger: make(), lines, text: () => JSON.stringify(lines) };
}
