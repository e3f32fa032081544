import { jsonLinesLogger, type Logger } from '../logger.ts';
import { UsageError } from './args.ts';

/** `--log-format text|json`: the engine's log on stderr as text lines (default) or pino-style JSON lines. */
export function logFormat(value: string | undefined, label: string): Logger | undefined {
  if (value === undefined || value === 'text') return undefined;
  if (value === 'json') return jsonLinesLogger();
  throw new UsageError(`${label} takes text or json, got '${value}'`);
}
