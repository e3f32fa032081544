/**
 * The values the memory store keeps per key and the command table's shapes. A string is kept as a JS string
 * (the common case costs no wrapper); every other type is a small class with a `type` tag.
 */
import type { KeyType, RedisReply } from '../ShardStore.ts';
import type { Deque } from './Deque.ts';
import type { Keyspace } from './Keyspace.ts';
import type { SortedSet } from './SortedSet.ts';
import type { Stream } from './Stream.ts';

export class Hash extends Map<string, string> {
  readonly type = 'hash';
}

export class RSet {
  readonly type = 'set';
  readonly members = new Set<string>();
  /**
   * Whether Redis would still hold this set as an intset (only integers, at most 512 of them): such sets list
   * their members in ascending numeric order, so SMEMBERS replies the same order as Redis. One-way, as in Redis.
   */
  intset = true;
}

export type Value = string | Hash | Deque | RSet | SortedSet | Stream;
export type ValueType = Exclude<KeyType, 'none'>;

export function typeOf(value: Value): ValueType {
  return typeof value === 'string' ? 'string' : value.type;
}

/**
 * A blocking read that found nothing: the store parks the caller and calls `retry` whenever one of `keys` is
 * signalled, until it returns a reply or `timeoutMs` passes (0 = forever), then replies `onTimeout`.
 */
export class BlockRequest {
  constructor(
    readonly keys: string[],
    readonly timeoutMs: number,
    readonly retry: () => RedisReply | undefined,
    readonly onTimeout: RedisReply = null,
  ) {}
}

export interface CommandContext {
  ks: Keyspace;
  /** False in `callSync` (and where Redis itself would not block, e.g. MULTI): BLOCK then acts as a plain read. */
  canBlock: boolean;
  /** The command as the caller spelled it (`XREAD`), for the errors that quote it. */
  command?: string | undefined;
  /** The subcommand as the caller spelled it (`create`), for the errors that quote it. */
  subcommand?: string | undefined;
}

export type Handler = (ctx: CommandContext, args: string[]) => RedisReply | BlockRequest;

export interface CommandDef {
  /** Lower-case, as Redis prints it in errors (`xgroup|create` for subcommands). */
  name: string;
  /** Redis arity, counting the command name (and the subcommand): n exact, -n at least n. */
  arity: number;
  handler?: Handler;
  subcommands?: CommandDef[];
}
