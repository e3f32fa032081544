import { createRequire } from 'node:module';
import { types } from 'node:util';
import { GearsError } from '../errors.ts';
import { UsageError } from './args.ts';

/** A CLI command: its help text and what it does. Loaded only when called, so `--help` stays fast. */
export interface CliCommand {
  HELP: string;
  run(args: string[]): Promise<void>;
}

const COMMANDS: Record<string, () => Promise<CliCommand>> = {
  serve: () => import('./serve.ts'),
  exec: () => import('./exec.ts'),
  load: () => import('./load.ts'),
  worker: () => import('./worker.ts'),
};

export const USAGE = `rxgears — RedisGears-style data processing for Redis, on RxJS

Usage:
  rxgears serve [--redis URL | --shards N] [--port 6380] [--bind 127.0.0.1] [--requirepass P] [--allow-require]
                [--deployments-key K]
  rxgears exec <file|-> [--redis URL | --shards N] [--unblocking] [--allow-require]
  rxgears load <file|-> [--redis URL | --port P] [--host H]
  rxgears worker --redis URL --app NAME [--gears FILE] [--id ID] [--lease MS]
  rxgears --version

Every option can also come from the environment: RXGEARS_<OPTION> (--deployments-key: RXGEARS_DEPLOYMENTS_KEY),
with RXGEARS_REDIS_URL for --redis (load: RXGEARS_LOAD_URL) and RXGEARS_WORKER_ID for worker --id.
A flag wins over its variable, the variable over the default; an empty variable counts as unset.

Run "rxgears <command> --help" for the details of a command.
`;

/** The installed package's version, read through the package's own name (its exports list package.json). */
function version(): string {
  const pkg = createRequire(import.meta.url)('rxgears/package.json') as { version: string };
  return pkg.version;
}

/** One line for any failure; the error's name where it says something (SyntaxError, RedisReplyError, …). */
function describe(error: unknown): string {
  if (error instanceof UsageError) return error.message;
  if (error instanceof GearsError && error.name === 'GearsError') return error.message;
  if (types.isNativeError(error) || error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/**
 * The `rxgears` command line. A user error prints one line to stderr and sets `process.exitCode = 1`; it never
 * calls `process.exit`, so output is flushed. The engine and server are imported by the command that needs them.
 *
 * @example
 * await main(['exec', 'script.js', '--shards', '3']);
 */
export async function main(argv: string[]): Promise<void> {
  const [name, ...args] = argv;
  try {
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      process.stdout.write(USAGE);
      return;
    }
    if (name === '--version' || name === '-v' || name === 'version') {
      process.stdout.write(`${version()}\n`);
      return;
    }
    const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (!load) throw new UsageError(`unknown command '${name}' (see rxgears --help)`);
    const command = await load();
    await command.run(args);
  } catch (error) {
    process.stderr.write(`rxgears: ${describe(error).replace(/\s*\n\s*/g, ' ')}\n`);
    process.exitCode = 1;
  }
}
