import { GearsError } from './errors.ts';

/** Structured fields of a log line (`shardId`, `registrationId`, `address`, `err`, …). */
export type LogFields = Record<string, unknown>;

/** One level's method: pino's `(obj, msg)` call shape, which `console` also accepts. */
export type LogMethod = (fields: LogFields, message: string) => void;

/**
 * A logger rxgears writes to: any object with `debug`, `info`, `warn` and `error` methods called as
 * `logger.warn({ shardId, … }, 'message')` — a pino or bunyan logger (or a `.child()` of one), `console`,
 * or your own. `child(bindings)` is used where present to tag a component's lines.
 *
 * @example
 * import pino from 'pino';
 * const gears = await connect({ redis: url, logger: pino().child({ service: 'orders' }) });
 */
export interface Logger {
  debug: LogMethod;
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
  child?(bindings: LogFields): Logger;
}

export type LoggerLevel = 'debug' | 'info' | 'warn' | 'error';
const LEVELS: readonly LoggerLevel[] = ['debug', 'info', 'warn', 'error'];

/**
 * The default: one line per entry on stderr, `[rxgears <shard>] <level>: <message>` and, when there are any,
 * the other fields as JSON (`err` as `"<name>: <message>"`).
 */
export const stderrLogger: Logger = makeStderrLogger({});

function makeStderrLogger(bindings: LogFields): Logger {
  const write =
    (level: LoggerLevel): LogMethod =>
    (fields, message) => {
      const { shardId, ...rest } = { ...bindings, ...fields };
      const tag = typeof shardId === 'string' ? ` ${shardId.slice(0, 8)}` : '';
      const extra = Object.keys(rest).length > 0 ? ` ${safeJson(rest)}` : '';
      process.stderr.write(`[rxgears${tag}] ${level}: ${message}${extra}\n`);
    };
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (more) => makeStderrLogger({ ...bindings, ...more }),
  };
}

function safeJson(fields: LogFields): string {
  try {
    return JSON.stringify(fields, (_key, value: unknown) =>
      value instanceof Error ? `${value.name}: ${value.message}` : typeof value === 'bigint' ? String(value) : value,
    );
  } catch {
    return '{}';
  }
}

const PINO_LEVELS: Record<LoggerLevel, number> = { debug: 20, info: 30, warn: 40, error: 50 };

/**
 * One JSON object a line, in pino's shape (`level` as pino's number, `time` in ms, `msg`, the fields), so
 * log shippers that read pino read it: `rxgears serve --log-format json`.
 */
export function jsonLinesLogger(
  write: (line: string) => void = (line) => void process.stderr.write(line),
  bindings: LogFields = {},
): Logger {
  const at =
    (level: LoggerLevel): LogMethod =>
    (fields, message) =>
      write(
        `${safeJson({ level: PINO_LEVELS[level], time: Date.now(), name: 'rxgears', ...bindings, ...fields, msg: message })}\n`,
      );
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => jsonLinesLogger(write, { ...bindings, ...more }),
  };
}

/** A logger that writes nothing (`logger: silentLogger`). */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};

/**
 * Checks a user-supplied logger where it enters: anything without the four methods is a `GearsError` naming
 * what was passed (the old `(level, message) => …` function form included).
 */
export function validateLogger(value: unknown, where: string): Logger {
  const missing =
    typeof value === 'object' && value !== null
      ? LEVELS.filter((level) => typeof (value as Record<string, unknown>)[level] !== 'function')
      : LEVELS;
  if (missing.length > 0) {
    const what = typeof value === 'function' ? 'a function' : value === null ? 'null' : typeof value;
    throw new GearsError(
      `${where}: 'logger' must be an object with debug, info, warn and error methods (pino, console, …); got ${what}` +
        (typeof value === 'object' && value !== null ? ` without ${missing.join(', ')}` : ''),
    );
  }
  return value as Logger;
}

/** `logger.child(bindings)` where the logger has one, otherwise a wrapper adding the bindings to every call. */
export function childLogger(logger: Logger, bindings: LogFields): Logger {
  if (typeof logger.child === 'function') {
    try {
      return logger.child(bindings);
    } catch {
      // a broken child() falls back to the wrapper
    }
  }
  const wrap =
    (level: LoggerLevel): LogMethod =>
    (fields, message) =>
      logger[level]({ ...bindings, ...fields }, message);
  return {
    debug: wrap('debug'),
    info: wrap('info'),
    warn: wrap('warn'),
    error: wrap('error'),
    child: (more) => childLogger(logger, { ...bindings, ...more }),
  };
}

/** Writes one entry; a logger that throws must not break the engine, so its error is dropped. */
export function writeLog(logger: Logger, level: LoggerLevel, fields: LogFields, message: string): void {
  try {
    logger[level](fields, message);
  } catch {
    // a failing logger loses this line, nothing else
  }
}
