import { parseArgs, type ParseArgsConfig } from 'node:util';
import { readFile } from 'node:fs/promises';
import { GearsError } from '../errors.ts';

/** A mistake in how the command was called: printed as one line, exit code 1, no stack. */
export class UsageError extends GearsError {
  override readonly name = 'UsageError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * `node:util` `parseArgs`, strict, with its errors as `UsageError`s naming the command.
 *
 * @example
 * const { values, positionals } = parseCommandArgs('exec', args, { shards: { type: 'string' } });
 */
type CommandArgsConfig<O extends Options> = {
  args: string[];
  options: O & { help: { type: 'boolean'; short: string } };
  strict: true;
  allowPositionals: true;
};

export function parseCommandArgs<O extends Options>(
  command: string,
  args: string[],
  options: O,
): ReturnType<typeof parseArgs<CommandArgsConfig<O>>> {
  try {
    return parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    // parseArgs adds advice about `--` after the first sentence; the first sentence is the error.
    const message = (error as Error).message.split(/\.\s/)[0];
    throw new UsageError(`${command}: ${message} (see rxgears ${command} --help)`);
  }
}

/** An integer flag value within bounds, or a `UsageError` naming the flag. */
export function integerFlag(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const number = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(number) || number < min || number > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got '${value}'`);
  }
  return number;
}

/** The text of a file, or of standard input for `-`. */
export async function readSource(path: string): Promise<string> {
  if (path !== '-') {
    try {
      return await readFile(path, 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Resolves on the first SIGINT or SIGTERM. Signal listeners do not keep Node running, so a timer does: an
 * embedded-store registration has no socket open, and Node would otherwise exit (code 13) at once.
 */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const keepAlive = setInterval(() => undefined, 1 << 30);
    const stop = (signal: NodeJS.Signals): void => {
      clearInterval(keepAlive);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
