import { parseArgs, type ParseArgsConfig } from 'node:util';
import { readFile } from 'node:fs/promises';
import { GearsError } from '../errors.ts';

/** A mistake in how the command was called: printed as one line, exit code 1, no stack. */
export class UsageError extends GearsError {
  override readonly name = 'UsageError';
}

type Options = NonNullable<ParseArgsConfig['options']>;
type OptionConfig = Options[string];

/**
 * A command's option: `node:util` `parseArgs`' config, plus where its environment variable is.
 * `env`: the variable's name (default `RXGEARS_<FLAG>`, e.g. `--deployments-key` → `RXGEARS_DEPLOYMENTS_KEY`;
 * `--redis` → `RXGEARS_REDIS_URL`). `group`: options that exclude each other (`--redis` / `--shards`): a flag
 * given on the command line turns off the environment variables of its whole group.
 */
export type CommandOption = OptionConfig & { env?: string; group?: string };

/** The environment variable of a flag: `RXGEARS_REDIS_URL` for `--redis`, `RXGEARS_<FLAG>` otherwise. */
export function envNameOf(flag: string, option: { env?: string } = {}): string {
  if (option.env !== undefined) return option.env;
  return flag === 'redis' ? 'RXGEARS_REDIS_URL' : `RXGEARS_${flag.toUpperCase().replace(/-/g, '_')}`;
}

function envBoolean(name: string, raw: string): boolean {
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new UsageError(`${name} must be true or false (1/0, yes/no), got '${raw}'`);
}

type CommandArgsConfig<O extends Options> = {
  args: string[];
  options: O & { help: { type: 'boolean'; short: string } };
  strict: true;
  allowPositionals: true;
};

/**
 * `node:util` `parseArgs`, strict, with its errors as `UsageError`s naming the command; then every option not
 * on the command line is read from its environment variable (`envNameOf`). Precedence: flag > environment >
 * default; an empty variable counts as unset. `source(name)` says where a value came from, for messages
 * (`--port` or `RXGEARS_PORT`).
 *
 * @example
 * const { values, positionals } = parseCommandArgs('exec', args, { shards: { type: 'string', group: 'data' } });
 */
export function parseCommandArgs<O extends Record<string, CommandOption>>(
  command: string,
  args: string[],
  options: O,
  env: NodeJS.ProcessEnv = process.env,
): ReturnType<typeof parseArgs<CommandArgsConfig<O>>> & { source(name: string): string } {
  const config: Options = {};
  for (const [name, { env: _env, group: _group, ...option }] of Object.entries(options)) config[name] = option;
  let parsed: ReturnType<typeof parseArgs<CommandArgsConfig<O>>>;
  try {
    parsed = parseArgs({
      args,
      options: { ...config, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: true,
    }) as ReturnType<typeof parseArgs<CommandArgsConfig<O>>>;
  } catch (error) {
    // parseArgs adds advice about `--` after the first sentence; the first sentence is the error.
    const message = (error as Error).message.split(/\.\s/)[0];
    throw new UsageError(`${command}: ${message} (see rxgears ${command} --help)`);
  }
  const values = parsed.values as Record<string, string | boolean | (string | boolean)[] | undefined>;
  const fromEnv = new Map<string, string>();
  const groupsGiven = new Set(
    Object.keys(values).flatMap((name) => (options[name]?.group !== undefined ? [options[name].group] : [])),
  );
  if (values['help'] !== true) {
    for (const [name, option] of Object.entries(options)) {
      if (values[name] !== undefined || (option.group !== undefined && groupsGiven.has(option.group))) continue;
      const variable = envNameOf(name, option);
      const raw = env[variable];
      if (raw === undefined || raw === '') continue;
      values[name] = option.type === 'boolean' ? envBoolean(variable, raw) : raw;
      fromEnv.set(name, variable);
    }
  }
  return Object.assign(parsed, { source: (name: string) => fromEnv.get(name) ?? `--${name}` });
}

/**
 * An integer flag value within bounds, or a `UsageError` naming the flag (`port` → `--port`) or, given a
 * `source()` label such as `RXGEARS_PORT`, that.
 */
export function integerFlag(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const number = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(number) || number < min || number > max) {
    const label = name.startsWith('--') || name.startsWith('RXGEARS_') ? name : `--${name}`;
    throw new UsageError(`${label} must be an integer from ${min} to ${max}, got '${value}'`);
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
