import type { Logger } from '#lib/log.ts';

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  attributes: Record<string, unknown>;
}

/** A Logger that keeps what it is told, for tests that check what reaches the logs. */
export function capturingLogger(): { logger: Logger; lines: LogLine[]; text: () => string } {
  const lines: LogLine[] = [];
  const keep =
    (level: LogLine['level']) =>
    (message: string, attributes: Record<string, unknown> = {}) =>
      lines.push({ level, message, attributes });
  const logger = { debug: keep('debug'), info: keep('info'), warn: keep('warn'), error: keep('error') };
  return { logger: logger as unknown as Logger, lines, text: () => JSON.stringify(lines) };
}
