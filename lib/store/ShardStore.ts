import type { Observable } from 'rxjs';

/**
 * The narrow interface the engine owns over a shard's data (the way BullMQ owns its Redis client interface).
 * Two implementations pass one contract suite: `memory/` (embedded, in-process) and `redis/` (ioredis).
 * Nothing outside `lib/store/` knows which one it talks to.
 *
 * Replies use the RESP2 shapes ioredis' `call()` gives: bulk and simple strings → `string`, integers →
 * `number`, nil → `null`, arrays → arrays. An error reply rejects with a `RedisReplyError` whose message is the
 * Redis reply text (`WRONGTYPE Operation against a key holding the wrong kind of value`).
 */
export interface ShardStore {
  /** `'memory'` or `'redis'`: for diagnostics only, the engine never branches on it. */
  readonly kind: 'memory' | 'redis';

  /** One `SCAN cursor [MATCH m] [COUNT c] [TYPE t]` step. Cursor `'0'` starts and ends a full iteration. */
  scan(cursor: string, options?: ScanOptions): Promise<ScanPage>;

  /**
   * TYPE and the typed read of each key, pipelined as one batch (never one awaited round trip per key).
   * Results come back in the order of `keys`. A key that does not exist has type `'none'` and value `null`.
   * With `readValue: false` only the type is read and `value` is `null`.
   */
  readKeys(keys: readonly string[], options?: { readValue?: boolean }): Promise<KeyData[]>;

  /** `XRANGE key start end [COUNT count]` as entries. A missing key is an empty array. */
  xrange(key: string, start: string, end: string, count?: number): Promise<StreamEntry[]>;

  /** Any Redis command on this shard. The caller routes by key slot before calling. */
  call(command: string, ...args: RedisArg[]): Promise<RedisReply>;

  /**
   * Optional, a stream consumer's round trip: `XACK key group …ack` (when `ack` is given) and then
   * `XREADGROUP GROUP group consumer COUNT count STREAMS key id`, sent together in that order (one write), the
   * read's reply decoded straight into entries. Rejects when the read failed; the XACK's outcome is then
   * unknown. A store without it is read with `call` (XACK, then XREADGROUP).
   */
  readGroup?(request: GroupReadRequest): Promise<GroupReadReply>;

  /**
   * Optional, with `readGroup`: `XACK key group …ids` on the connection `readGroup` reads on, sent at once,
   * in order with the reads sent before it (so it does not wait for them to come back). Resolves once Redis
   * answered; rejects with Redis' error or a connection error. A store without it acknowledges with `call`.
   */
  acknowledgeGroup?(key: string, group: string, ids: readonly string[]): Promise<void>;

  /**
   * Keyspace events of this shard (`__keyspace@0__:<key>` notifications), hot: events before subscription are
   * not replayed, as in Redis. The Redis store enables `notify-keyspace-events` when it subscribes.
   */
  keyspaceEvents(): Observable<KeyspaceEvent>;

  /**
   * Settles once the current `keyspaceEvents()` subscription receives events (Redis: PSUBSCRIBE confirmed and
   * `notify-keyspace-events` set), or rejects with why it cannot (CONFIG refused). Call it after subscribing.
   */
  keyspaceReady(): Promise<void>;

  /**
   * Resolves once every keyspace event published before the call has been delivered to subscribers (Redis:
   * a PING on the subscriber connection). The server uses it to answer a command only after the `sync`
   * registrations it triggered ran.
   */
  keyspaceBarrier(): Promise<void>;

  /** Starts an optimistic transaction on this shard (used by `atomic()`). */
  transaction(): Promise<StoreTransaction>;

  /** Releases connections and timers. Idempotent. */
  close(): Promise<void>;
}

export type RedisArg = string | number | Buffer;
/** A reply: integers beyond 2^53 (INCRBY near the int64 limits) come as a `bigint`, exact. */
export type RedisReply = string | number | bigint | null | RedisReply[];

export interface ScanOptions {
  /** Redis glob (`*`, `?`, `[a-z]`, `[^x]`, `\` escapes). */
  match?: string;
  count?: number;
  /** Only keys of this type (`SCAN … TYPE`). */
  type?: string;
}

export interface ScanPage {
  cursor: string;
  keys: string[];
}

export type KeyType = 'string' | 'hash' | 'list' | 'set' | 'zset' | 'stream' | 'none';

/** A key's type and value as KeysReader publishes it. */
export type KeyData =
  | { key: string; type: 'string'; value: string | null }
  | { key: string; type: 'hash'; value: Record<string, string> | null }
  | { key: string; type: 'list'; value: string[] | null }
  | { key: string; type: 'set'; value: string[] | null }
  | { key: string; type: 'zset'; value: ZSetMember[] | null }
  | { key: string; type: 'stream'; value: null }
  | { key: string; type: 'none'; value: null };

export interface ZSetMember {
  member: string;
  score: number;
}

export interface StreamEntry {
  id: string;
  /** Field → value, in the order XADD gave them. */
  value: Record<string, string>;
}

/** One stream read of `readGroup`. */
export interface GroupReadRequest {
  key: string;
  group: string;
  consumer: string;
  count: number;
  /** `>` (new entries) or an id (this consumer's pending entries after it). */
  id: string;
  /** Ids to acknowledge before the read (non-empty when given). */
  ack?: readonly string[];
}

/** An entry of XREADGROUP / XAUTOCLAIM; `value` is null when the entry was deleted after its delivery. */
export interface GroupEntry {
  key: string;
  id: string;
  value: Record<string, string> | null;
}

export interface GroupReadReply {
  /** XACK's error, when it failed (undefined when it succeeded or none was asked for). */
  ackError: Error | undefined;
  entries: GroupEntry[];
}

export interface KeyspaceEvent {
  key: string;
  /** Redis' event name: `set`, `hset`, `del`, `expired`, `xadd`, … */
  event: string;
}

/**
 * An optimistic transaction on one shard (WATCH / MULTI / EXEC on a connection of its own). `read` WATCHes its
 * keys, then runs the command; `commit` sends MULTI, the writes and EXEC and resolves with their replies, or
 * with `null` when a watched key changed meanwhile (the caller re-runs its block). `discard` releases the
 * transaction without writing. Exactly one of `commit` / `discard` ends it.
 */
export interface StoreTransaction {
  read(keys: readonly string[], command: string, args: RedisArg[]): Promise<RedisReply>;
  commit(writes: readonly (readonly [string, ...RedisArg[]])[]): Promise<RedisReply[] | null>;
  discard(): Promise<void>;
}
