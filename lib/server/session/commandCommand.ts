/**
 * `COMMAND`: `GETKEYS`, `INFO` and `LIST` from Redis' command table (the one `lib/cluster/routing.ts` routes by,
 * `@ioredis/commands`: names, arity, flags, first/last key and step, subcommands), with Redis 7.0's errors.
 */
import { createRequire } from 'node:module';
import { exists, getKeyIndexes, hasFlag } from '@ioredis/commands';
import { compileGlob } from '../../store/memory/glob.ts';
import { ErrorReply, SetReply, SimpleString, type Reply } from '../protocol/replies.ts';
import { wrongArity } from '../rg/rgCommands.ts';

const INVALID_COMMAND = new ErrorReply('ERR Invalid command specified');
const NO_KEYS = new ErrorReply('ERR The command has no key arguments');
const INVALID_ARITY = new ErrorReply('ERR Invalid number of arguments specified for command');
const INVALID_ARGUMENTS = new ErrorReply('ERR Invalid arguments specified for command');

interface Metadata {
  arity: number;
  flags: string[];
  keyStart: number;
  keyStop: number;
  step: number;
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

/** A command by its name, or a subcommand by `container|sub` (as COMMAND INFO names them). */
function lookup(name: string): [string, Metadata] | undefined {
  const [container = '', sub, extra] = name.toLowerCase().split('|');
  if (extra !== undefined || !Object.hasOwn(TABLE, container)) return undefined;
  const command = TABLE[container]!;
  if (sub === undefined) return [container, command];
  const subcommands = command.subcommands ?? {};
  return Object.hasOwn(subcommands, sub) ? [`${container}|${sub}`, subcommands[sub]!] : undefined;
}

/**
 * One COMMAND INFO entry: name, arity, flags, first/last key and step as Redis gives them, then the subcommands;
 * ACL categories, tips and key specs are empty (the table has none).
 */
function commandInfo(name: string, command: Metadata): Reply {
  const subcommands = Object.entries(command.subcommands ?? {}).map(([sub, meta]) =>
    commandInfo(`${name}|${sub}`, meta),
  );
  const flags = command.flags.map((flag) => new SimpleString(flag));
  return [
    name,
    command.arity,
    new SetReply(flags),
    command.keyStart,
    command.keyStop,
    command.step,
    new SetReply([]),
    [],
    [],
    subcommands,
  ];
}

/** Every command name and `container|sub` subcommand name, in the table's order. */
function allNames(): string[] {
  return Object.entries(TABLE).flatMap(([name, meta]) => [
    name,
    ...Object.keys(meta.subcommands ?? {}).map((sub) => `${name}|${sub}`),
  ]);
}

/** `COMMAND LIST [FILTERBY MODULE m | ACLCAT c | PATTERN p]`. */
function commandList(args: readonly string[]): Reply {
  if (args.length === 0) return allNames();
  if (args.length !== 3 || args[0]!.toUpperCase() !== 'FILTERBY') return SYNTAX_ERROR;
  switch (args[1]!.toUpperCase()) {
    case 'MODULE':
      return []; // no modules
    case 'PATTERN': {
      const matches = compileGlob(args[2]!.toLowerCase());
      return allNames().filter((name) => matches(name));
    }
    case 'ACLCAT':
      return new ErrorReply(
        'ERR COMMAND LIST FILTERBY ACLCAT is not supported: the command table has no ACL categories',
      );
    default:
      return SYNTAX_ERROR;
  }
}

const SYNTAX_ERROR = new ErrorReply('ERR syntax error');

/**
 * `COMMAND [COUNT | GETKEYS command arg… | INFO [name…] | LIST [FILTERBY …] | …]`: an empty list for every other
 * form (a bare `COMMAND` too: no full command table for clients that probe it at startup).
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
    case 'INFO': {
      const names = args.length === 1 ? Object.keys(TABLE) : args.slice(1);
      return names.map((name) => {
        const found = lookup(name);
        return found === undefined ? null : commandInfo(...found);
      });
    }
    case 'LIST':
      return commandList(args.slice(1));
    default:
      return []; // DOCS …: no documentation
  }
}
