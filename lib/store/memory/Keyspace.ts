/**
 * One Redis database: key → value, key → expiry deadline, the SCAN index, the expiry heap, the keyspace events
 * a command raised (delivered when it completes) and the keys that blocked readers wait on.
 */
import type { KeyspaceEvent } from '../ShardStore.ts';
import { StoreConfig } from './config.ts';
import { ExpiryHeap } from './ExpiryHeap.ts';
import { wrongType } from './replies.ts';
import { ScanTable } from './ScanTable.ts';
import { typeOf, type Value, type ValueType } from './values.ts';

export class Keyspace {
  readonly data = new Map<string, Value>();
  readonly expires = new Map<string, number>();
  /** Events raised since the last flush, in order. */
  readonly events: KeyspaceEvent[] = [];
  /** Keys with blocked readers (the store manages the waiters) and those signalled since the last check. */
  readonly watched = new Set<string>();
  readonly ready = new Set<string>();
  /**
   * Called with each live key a FLUSHALL/FLUSHDB deletes, and with a key a command changed without an event
   * ({@link touch}): WATCH needs to know.
   */
  readonly flushHooks = new Set<(key: string) => void>();
  /** CONFIG GET/SET: the settings the commands read (encodings, stream node sizes, …). */
  readonly config = new StoreConfig();
  /** False after `DEBUG SET-ACTIVE-EXPIRE 0`: keys then expire only when read. */
  activeExpire = true;
  /** Whether anybody listens to events; when not, `notify` costs nothing. */
  eventsWanted = false;
  private readonly table = new ScanTable();
  private readonly heap = new ExpiryHeap();
  private now = 0;
  private stale = true;

  constructor(readonly clock: () => number) {}

  /**
   * The command's clock snapshot (Redis uses one time per command), read from the clock the first time a
   * command needs it: most commands on keys without TTLs never do.
   */
  get time(): number {
    if (this.stale) {
      this.now = this.clock();
      this.stale = false;
    }
    return this.now;
  }

  /** Starts a new command: the next `time` reads the clock again. */
  tick(): void {
    this.stale = true;
  }

  get size(): number {
    return this.data.size;
  }

  notify(event: string, key: string): void {
    if (this.eventsWanted) this.events.push({ key, event });
  }

  /** A change to `key` that raises no event (PFCOUNT's cached cardinality): Redis' `signalModifiedKey` for WATCH. */
  touch(key: string): void {
    for (const hook of this.flushHooks) hook(key);
  }

  /** Wakes blocked readers of `key` after the command (Redis' `signalKeyAsReady`). */
  signal(key: string): void {
    if (this.watched.has(key)) this.ready.add(key);
  }

  /** The live value of `key`, deleting it first (event `expired`) when its deadline has passed. */
  lookup(key: string): Value | undefined {
    const value = this.data.get(key);
    if (value === undefined) return undefined;
    if (this.expires.size !== 0) {
      const at = this.expires.get(key);
      if (at !== undefined && at <= this.time) {
        this.remove(key);
        this.notify('expired', key);
        return undefined;
      }
    }
    return value;
  }

  /** Whether `key` exists and has expired (without deleting it: KEYS and DBSIZE look, they do not touch). */
  isExpired(key: string): boolean {
    if (this.expires.size === 0) return false;
    const at = this.expires.get(key);
    return at !== undefined && at <= this.time;
  }

  /** The value of `key` if it is of `type`, `undefined` when missing; WRONGTYPE otherwise. */
  get<T extends Value>(key: string, type: ValueType): T | undefined {
    const value = this.lookup(key);
    if (value === undefined) return undefined;
    if (typeOf(value) !== type) throw wrongType();
    return value as T;
  }

  /** Stores a value. A new key gets no TTL; an existing one loses its TTL unless `keepTtl` (Redis `setKey`). */
  set(key: string, value: Value, keepTtl = false): void {
    const before = this.data.size;
    this.data.set(key, value); // one hash lookup: the size tells whether the key is new
    if (this.data.size !== before) this.table.add(key);
    else if (!keepTtl && this.expires.size !== 0) this.expires.delete(key);
    if (this.watched.size !== 0) this.signal(key);
  }

  /** Stores a value under a key known to be absent (`dbAdd`). */
  add(key: string, value: Value): void {
    this.data.set(key, value);
    this.table.add(key);
    if (this.watched.size !== 0) this.signal(key); // a blocked pop waits for this key to exist
  }

  /** Deletes `key`; no event (callers raise `del`, `expired`, … as the command requires). */
  remove(key: string): boolean {
    if (!this.data.delete(key)) return false;
    this.table.remove(key);
    if (this.expires.size !== 0) this.expires.delete(key);
    if (this.watched.size !== 0) this.signal(key);
    return true;
  }

  /** Deletes `key` if a command left its container empty, raising `del` as Redis does. */
  removeIfEmpty(key: string, length: number): void {
    if (length === 0) {
      this.remove(key);
      this.notify('del', key);
    }
  }

  setExpire(key: string, deadline: number): void {
    this.expires.set(key, deadline);
    this.heap.push(deadline, key);
    if (this.heap.size > 64 && this.heap.size > 2 * this.expires.size) this.heap.rebuild(this.expires);
  }

  getExpire(key: string): number | undefined {
    return this.expires.size === 0 ? undefined : this.expires.get(key);
  }

  persist(key: string): boolean {
    return this.expires.delete(key);
  }

  flush(): void {
    // FLUSHALL touches every WATCHed key that exists (Redis' touchAllWatchedKeysInDb); it raises no per-key event.
    if (this.flushHooks.size !== 0) {
      for (const hook of this.flushHooks) for (const key of this.data.keys()) if (!this.isExpired(key)) hook(key);
    }
    for (const key of this.watched) if (this.data.has(key)) this.ready.add(key);
    this.data.clear();
    this.expires.clear();
    this.table.clear();
    this.heap.clear();
  }

  /** The earliest pending deadline (possibly stale), `Infinity` when none. */
  nextDeadline(): number {
    return this.heap.peek();
  }

  /** Active expiry: deletes keys whose deadline is ≤ now (at most `limit`), with event `expired`. Returns how many. */
  sweep(limit = Infinity): number {
    let count = 0;
    const now = this.time;
    while (this.activeExpire && count < limit && this.heap.size > 0 && this.heap.peek() <= now) {
      const deadline = this.heap.peek();
      const key = this.heap.pop();
      if (this.expires.get(key) === deadline) {
        this.remove(key);
        this.notify('expired', key);
        count++;
      }
    }
    return count;
  }

  /** One SCAN call's worth of buckets (Redis visits up to `count*10` buckets until it has `count` keys). */
  scanKeys(cursor: number, count: number): { cursor: number; keys: string[] } {
    const keys: string[] = [];
    const visit = (key: string): void => {
      keys.push(key);
    };
    let maxIterations = count * 10;
    do {
      cursor = this.table.scanStep(cursor, visit);
    } while (cursor !== 0 && maxIterations-- > 0 && keys.length < count);
    return { cursor, keys };
  }
}
