/**
 * `COMMAND`: `GETKEYS` from Redis' command table (the one `lib/cluster/routing.ts` routes by, `@ioredis/commands`),
 * with Redis 7.0's errors; `COUNT` and a bare `COMMAND` stay as before (0 and an empty list: no metadata).
 */
import { createRequire } from 'node:module';
import { exists, getKeyIndexes, hasFlag } from '@ioredis/commands';
import { ErrorReply, type Reply } from '../protocol/replies.ts';
import { wrongArity } from '../rg/rgCommands.ts';

const INVALID_COMMAND = new ErrorReply('ERR Invalid command specified');
const NO_KEYS = new ErrorReply('ERR The command has no key arguments');
const INVALID_ARITY = new ErrorReply('ERR Invalid number of arguments specified for command');
const INVALID_ARGUMENTS = new ErrorReply('ERR Invalid arguments specified for command');

interface Metadata {
  arity: number;
  flags: string[];
  keyStart: number;
  subcommands?: Record<string, Metadata>;
}

// The table behind `exists`/`getKeyIndexes`, for the arity and the subcommands they do not expose (the package
// has no `exports` map: its files resolve by path).
const TABLE = createRequire(import.meta.url)('@ioredis/commands/built/commands.json') as Record<string, Metadata>;

/** SORT's keys as Redis' `sortGetKeys` finds them: the sorted key and the last STORE's (BY/GET patterns are not). */
function sortKeys(args: readonly string[]): number[] {
  let store: number | undefined;
  for (let i = 1; i < args.length; i++) {
    const option = args[i]!.toUpperCase();
    if (option === 'LIMIT') i += 2;
    else if (option === 'GET' || option === 'BY') i += 1;
    else if (option === 'STORE' && i + 1 < args.length) store = ++i;
  }
  return store === undefined ? [0] : [0, store];
}

/** `COMMAND GETKEYS command arg…`: the key arguments, or Redis' error for an unknown, keyless or malformed command. */
function getKeys(request: readonly string[]): Reply {
  const name = request[0]!.toLowerCase();
  const args = request.slice(1);
  if (!exists(name) || !Object.hasOwn(TABLE, name)) return INVALID_COMMAND;
  let command = TABLE[name]!;
  if (command.subcommands !== undefined) {
    const sub = args[0]?.toLowerCase() ?? '';
    if (!Object.hasOwn(command.subcommands, sub)) return INVALID_COMMAND;
    command = command.subcommands[sub]!;
  }
  const movable = command.flags.includes('movablekeys');
  if (command.keyStart === 0 && !movable) return NO_KEYS;
  const argc = request.length;
  if ((command.arity > 0 && argc !== command.arity) || argc < -command.arity) return INVALID_ARITY;
  let indexes: number[];
  try {
    indexes = name === 'sort' || name === 'sort_ro' ? sortKeys(args) : getKeyIndexes(name, [...args]);
  } catch {
    return INVALID_ARGUMENTS;
  }
  if (indexes.some((i) => !(i >= 0 && i < args.length))) return INVALID_ARGUMENTS;
  if (indexes.length === 0 && !hasFlag(name, 'no_mandatory_keys')) return NO_KEYS;
  return indexes.map((i) => args[i]!);
}

/**
 * `COMMAND [COUNT | GETKEYS command arg… | …]`: an empty list for every other form.
 *
 * @example
 * commandCommand(['GETKEYS', 'MSET', 'a', '1', 'b', '2']) // ['a', 'b']
 */
export function commandCommand(args: readonly string[]): Reply {
  if (args.length === 0) return [];
  switch (args[0]!.toUpperCase()) {
    case 'COUNT':
      return args.length === 1 ? 0 : wrongArity('command|count');
    case 'GETKEYS':
      // Redis 7.0's arity for COMMAND GETKEYS is -4: a command and at least one argument.
      return args.length < 3 ? wrongArity('command|getkeys') : getKeys(args.slice(1));
    default:
      return []; // INFO, DOCS, LIST …: no metadata, as before GETKEYS
  }
}
