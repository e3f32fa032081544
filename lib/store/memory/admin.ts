/**
 * The admin surface clients and test suites send: OBJECT, MEMORY USAGE, the DEBUG subcommands that make sense
 * without Redis' internals, and FUNCTION / SCRIPT / EVALSHA / FCALL answered as Redis answers when no script or
 * function is loaded. The embedded store has no Lua VM: EVAL, EVAL_RO, SCRIPT LOAD and FUNCTION LOAD do not
 * exist here, and answer Redis' own "unknown command" / "unknown subcommand" errors.
 */
import { RedisReplyError } from '../../errors.ts';
import type { RedisReply } from '../ShardStore.ts';
import { byteLength } from './bytes.ts';
import type { Deque } from './lists/Deque.ts';
import type { Keyspace } from './Keyspace.ts';
import { intArg, toInt64 } from './numbers.ts';
import { syntaxError, unknownSubcommandError } from './replies.ts';
import type { SortedSet } from './zsets/SortedSet.ts';
import type { Stream } from './streams/Stream.ts';
import { helpSubcommand } from './streams/streamSetId.ts';
import { isHllString } from './hyperloglog/hyperloglog.ts';
import { BlockRequest, type CommandContext, type CommandDef, type Handler } from './types.ts';
import { typeOf, type Hash, type RSet, type Value } from './values.ts';

/** Redis' `OBJ_SHARED_REFCOUNT`: what OBJECT REFCOUNT answers for the shared integers 0…9999. */
const SHARED_REFCOUNT = 2147483647;
/** Redis keeps strings of up to this many bytes in one allocation with their header (`embstr`). */
const EMBSTR_MAX = 44;

/**
 * The encoding Redis 7.0 would use for a value of this size and content under the store's `*-max-*` settings
 * (Redis converts one way — a hash that grew past the limits stays a `hashtable` after shrinking until it is
 * reloaded; this answer is what a freshly loaded value would have).
 */
export function encodingOf(ks: Keyspace, value: Value): string {
  const config = ks.config;
  switch (typeOf(value)) {
    case 'string': {
      const s = value as string;
      if (s.length <= 20 && toInt64(s) !== undefined) return 'int';
      // A HyperLogLog: the PF* commands make and keep it a raw string, whatever its size.
      if (s.startsWith('HYLL') && isHllString(s)) return 'raw';
      return byteLength(s) <= EMBSTR_MAX ? 'embstr' : 'raw';
    }
    case 'list':
      return 'quicklist';
    case 'set':
      return (value as RSet).intset && (value as RSet).members.size <= config.setMaxIntsetEntries
        ? 'intset'
        : 'hashtable';
    case 'hash': {
      const hash = value as Hash;
      if (hash.size > config.hashMaxListpackEntries) return 'hashtable';
      const max = config.hashMaxListpackValue;
      for (const [field, v] of hash) if (byteLength(field) > max || byteLength(v) > max) return 'hashtable';
      return 'listpack';
    }
    case 'zset': {
      const zset = value as SortedSet;
      if (zset.size > config.zsetMaxListpackEntries) return 'skiplist';
      const max = config.zsetMaxListpackValue;
      for (const { member } of zset.toArray()) if (byteLength(member) > max) return 'skiplist';
      return 'listpack';
    }
    case 'stream':
      return 'stream';
  }
}

function refcountOf(value: Value): number {
  if (typeof value !== 'string') return 1;
  const n = value.length <= 4 ? toInt64(value) : undefined;
  return n !== undefined && n >= 0 && n < 10000 ? SHARED_REFCOUNT : 1;
}

/** A rough size in bytes of a value as Redis would hold it (key, headers, elements, allocator slack). */
export function memoryUsage(key: string, value: Value): number {
  const overhead = 16 + byteLength(key) + 9; // dict entry + key sds
  const element = (s: string): number => byteLength(s) + 11;
  switch (typeOf(value)) {
    case 'string':
      return overhead + 16 + element(value as string);
    case 'list': {
      let bytes = 48;
      for (const item of (value as Deque).toArray()) bytes += element(item);
      return overhead + bytes;
    }
    case 'set': {
      let bytes = 48;
      for (const m of (value as RSet).members) bytes += element(m) + 24;
      return overhead + bytes;
    }
    case 'hash': {
      let bytes = 48;
      for (const [f, v] of value as Hash) bytes += element(f) + element(v) + 24;
      return overhead + bytes;
    }
    case 'zset': {
      let bytes = 64;
      for (const { member } of (value as SortedSet).toArray()) bytes += element(member) + 40;
      return overhead + bytes;
    }
    case 'stream': {
      const s = value as Stream;
      let bytes = 96;
      for (let i = 0; i < s.length; i++) for (const f of s.at(i)!.fields) bytes += element(f);
      return overhead + bytes;
    }
  }
}

function objectSubcommand(answer: (ks: Keyspace, value: Value) => RedisReply): Handler {
  return ({ ks }: CommandContext, args: string[]): RedisReply => {
    const value = ks.lookup(args[0]!);
    return value === undefined ? null : answer(ks, value);
  };
}

const ERR_NO_LFU =
  'ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching ' +
  'between policies at runtime LRU and LFU data will take some time to adjust.';
const ERR_NO_LRU =
  'ERR An LRU maxmemory policy is selected, idle time not tracked. Please note that when switching between ' +
  'policies at runtime LRU and LFU data will take some time to adjust.';

function usage({ ks }: CommandContext, args: string[]): RedisReply {
  for (let j = 1; j < args.length; j++) {
    if (args[j]!.toUpperCase() === 'SAMPLES' && j + 1 < args.length) intArg(args[++j]!);
    else throw syntaxError();
  }
  const value = ks.lookup(args[0]!);
  return value === undefined ? null : memoryUsage(args[0]!, value);
}

const DEBUG_HELP = [
  'DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CHANGE-REPL-ID',
  '    Change the replication IDs of the instance.',
  'LOADAOF',
  '    Flush the AOF buffers on disk and reload the AOF in memory (no-op: the data is in memory).',
  'OBJECT <key>',
  '    Show low level info about the <key> and associated value.',
  'QUICKLIST-PACKED-THRESHOLD <size>',
  '    Sets the threshold for elements to be inserted as plain vs packed nodes (no-op).',
  'RELOAD [option ...]',
  '    Save the RDB on disk and reload it back to memory (no-op: the data is in memory).',
  'SET-ACTIVE-EXPIRE <0|1>',
  '    Setting it to 0 disables expiring keys in background when they are not accessed.',
  'SLEEP <seconds>',
  '    Stop the server for <seconds>. Decimals allowed (here only the calling client waits).',
  'HELP',
  '    Prints this help.',
];

/** DEBUG: the subcommands whose effect the embedded store can honour; others get Redis' unknown-subcommand error. */
function debug({ ks }: CommandContext, args: string[]): RedisReply | BlockRequest {
  const sub = args[0]!.toUpperCase();
  switch (sub) {
    case 'HELP':
      return DEBUG_HELP;
    case 'SLEEP': {
      const seconds = Number(args[1] ?? '0');
      if (args.length !== 2 || !Number.isFinite(seconds)) throw syntaxError();
      return seconds > 0 ? new BlockRequest([], Math.ceil(seconds * 1000), () => undefined, 'OK') : 'OK';
    }
    case 'SET-ACTIVE-EXPIRE':
      if (args.length !== 2) throw syntaxError();
      ks.activeExpire = args[1] !== '0';
      return 'OK';
    case 'OBJECT': {
      if (args.length !== 2) throw syntaxError();
      const value = ks.lookup(args[1]!);
      if (value === undefined) throw new RedisReplyError('ERR no such key');
      return (
        `Value at:0x0 refcount:${refcountOf(value)} encoding:${encodingOf(ks, value)} ` +
        `serializedlength:${memoryUsage(args[1]!, value)} lru:0 lru_seconds_idle:0`
      );
    }
    case 'RELOAD':
    case 'LOADAOF':
    case 'CHANGE-REPL-ID':
    case 'QUICKLIST-PACKED-THRESHOLD':
      return 'OK';
    default:
      throw unknownSubcommandError('debug', args[0]!);
  }
}

const NOTBUSY = 'NOTBUSY No scripts in execution right now.';

function notBusy(): never {
  throw new RedisReplyError(NOTBUSY);
}

/** SCRIPT FLUSH / FUNCTION FLUSH `[ASYNC|SYNC]`: nothing is cached, so nothing to flush. */
function flush(name: string, badMode: string): CommandDef {
  return {
    name,
    arity: -2,
    handler: (ctx, args) => {
      const mode = args[0]?.toUpperCase();
      if (args.length > 1 && name === 'function|flush') {
        throw new RedisReplyError(
          `ERR unknown subcommand or wrong number of arguments for '${ctx.subcommand ?? 'flush'}'. Try FUNCTION HELP.`,
        );
      }
      if (args.length > 1 || (mode !== undefined && mode !== 'ASYNC' && mode !== 'SYNC')) {
        throw new RedisReplyError(badMode);
      }
      return 'OK';
    },
  };
}

export const adminCommands: CommandDef[] = [
  {
    name: 'object',
    arity: -2,
    subcommands: [
      { name: 'object|encoding', arity: 3, handler: objectSubcommand(encodingOf) },
      { name: 'object|refcount', arity: 3, handler: objectSubcommand((_ks, v) => refcountOf(v)) },
      {
        name: 'object|idletime',
        arity: 3,
        handler: objectSubcommand((ks) => {
          if (ks.config.get('maxmemory-policy')!.includes('lfu')) throw new RedisReplyError(ERR_NO_LRU);
          return 0; // access times are not tracked: every key reads as just used
        }),
      },
      {
        name: 'object|freq',
        arity: 3,
        handler: objectSubcommand((ks) => {
          if (!ks.config.get('maxmemory-policy')!.includes('lfu')) throw new RedisReplyError(ERR_NO_LFU);
          return 0;
        }),
      },
      helpSubcommand('object', [
        'ENCODING <key>',
        '    Return the kind of internal representation used in order to store the value',
        '    associated with a <key>.',
        'FREQ <key>',
        '    Return the access frequency index of the <key>. The returned integer is',
        '    proportional to the logarithm of the recent access frequency of the key.',
        'IDLETIME <key>',
        '    Return the idle time of the <key>, that is the approximated number of',
        '    seconds elapsed since the last access to the key.',
        'REFCOUNT <key>',
        '    Return the number of references of the value associated with the specified',
        '    <key>.',
        'HELP',
        '    Prints this help.',
      ]),
    ],
  },
  {
    name: 'memory',
    arity: -2,
    subcommands: [
      { name: 'memory|usage', arity: -3, handler: usage },
      helpSubcommand('memory', [
        'USAGE <key> [SAMPLES <count>]',
        '    Return memory in bytes used by <key> and its value. Nested values are',
        '    sampled up to <count> times (default: 5, 0 means sample all).',
        'HELP',
        '    Prints this help.',
      ]),
    ],
  },
  { name: 'debug', arity: -2, handler: debug },
  {
    name: 'script',
    arity: -2,
    subcommands: [
      { name: 'script|exists', arity: -3, handler: (_ctx, args) => args.map(() => 0) },
      flush('script|flush', 'ERR SCRIPT FLUSH only support SYNC|ASYNC option'),
      { name: 'script|kill', arity: 2, handler: notBusy },
      helpSubcommand('script', [
        'EXISTS <sha1> [<sha1> ...]',
        '    Return information about the existence of the scripts in the script cache.',
        'FLUSH [ASYNC|SYNC]',
        '    Flush the Lua scripts cache. Very dangerous on replicas.',
        'KILL',
        '    Kill the currently executing Lua script.',
        'HELP',
        '    Prints this help.',
      ]),
    ],
  },
  {
    name: 'function',
    arity: -2,
    subcommands: [
      flush('function|flush', 'ERR FUNCTION FLUSH only supports SYNC|ASYNC option'),
      { name: 'function|kill', arity: 2, handler: notBusy },
      {
        name: 'function|list',
        arity: -2,
        handler: (_ctx, args) => {
          for (let j = 0; j < args.length; j++) {
            const opt = args[j]!.toUpperCase();
            if (opt === 'LIBRARYNAME') {
              if (++j >= args.length) throw new RedisReplyError('ERR library name argument was not given');
            } else if (opt !== 'WITHCODE') throw new RedisReplyError(`ERR Unknown argument ${args[j]!}`);
          }
          return [];
        },
      },
      {
        name: 'function|delete',
        arity: 3,
        handler: () => {
          throw new RedisReplyError('ERR Library not found');
        },
      },
      {
        name: 'function|stats',
        arity: 2,
        handler: () => ['running_script', null, 'engines', []],
      },
      helpSubcommand('function', [
        'LIST [LIBRARYNAME <pattern>] [WITHCODE]',
        '    Return general information on all the libraries (none: there is no Lua VM here).',
        'DELETE <library-name>',
        '    Delete a library and all its functions.',
        'KILL',
        '    Kill the function currently in execution.',
        'FLUSH [<ASYNC|SYNC>]',
        '    Delete all the libraries.',
        'STATS',
        '    Return information about the function currently running.',
        'HELP',
        '    Prints this help.',
      ]),
    ],
  },
  ...['evalsha', 'evalsha_ro'].map((name): CommandDef => ({
    name,
    arity: -3,
    handler: () => {
      throw new RedisReplyError('NOSCRIPT No matching script. Please use EVAL.');
    },
  })),
  ...['fcall', 'fcall_ro'].map((name): CommandDef => ({
    name,
    arity: -3,
    handler: () => {
      throw new RedisReplyError('ERR Function not found');
    },
  })),
];
