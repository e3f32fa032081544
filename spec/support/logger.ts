import type { LogFields, Logger } from '../../lib/logger.ts';

export type RecordedLevel = 'debug' | 'info' | 'warn' | 'error';

/** One call the recording logger received. `bindings` are those of the `child()` it was made through. */
export interface LogEntry {
  level: RecordedLevel;
  message: string;
  fields: LogFields;
}

/**
 * A pino-shaped logger that keeps what it is given, for tests: `entries` in order, `messages(level)` for the
 * text of one level. `child(bindings)` records into the same list with the bindings merged into `fields`.
 *
 * @example
 * const log = recordingLogger();
 * gears = await connect({ logger: log.logger });
 * expect(log.messages('warn')).toEqual([...]);
 */
export function recordingLogger(): {
  logger: Logger;
  entries: LogEntry[];
  messages(level?: RecordedLevel): string[];
} {
  const entries: LogEntry[] = [];
  const make = (bindings: LogFields): Logger => {
    const at =
      (level: RecordedLevel) =>
      (fields: LogFields, message: string): void => {
        entries.push({ level, message, fields: { ...bindings, ...fields } });
      };
    return {
      debug: at('debug'),
      info: at('info'),
      warn: at('warn'),
      error: at('error'),
      child: (more) => make({ ...bindings, ...more }),
    };
  };
  return {
    logger: make({}),
    entries,
    messages: (level) => entries.filter((e) => level === undefined || e.level === level).map((e) => e.message),
  };
}
