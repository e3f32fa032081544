import { Observable, Subject } from 'rxjs';
import { GearsBuildError, RedisReplyError } from '../../errors.ts';
import type {
  KeyData,
  KeyspaceEvent,
  RedisArg,
  RedisReply,
  ScanOptions,
  ScanPage,
  ShardStore,
  StoreTransaction,
  StreamEntry,
} from '../ShardStore.ts';
import { CommandTable } from './CommandTable.ts';
import { hashCommands } from './hashes.ts';
import { keyCommands, parseCursor, scanKeyspace } from './keys.ts';
import { Keyspace } from './Keyspace.ts';
import { listCommands } from './lists/lists.ts';
import { listMoveCommands } from './lists/listMoves.ts';
import { syntaxError } from './replies.ts';
import { scanCommands } from './scans.ts';
import { setOpCommands } from './sets/setOps.ts';
import { setCommands } from './sets/sets.ts';
import type { Stream } from './streams/Stream.ts';
import { claimCommands } from './streams/streamClaim.ts';
import { groupCommands } from './streams/streamGroups.ts';
import { infoCommands } from './streams/streamInfo.ts';
import { parseRangeEnd, parseRangeStart, rangeRecords } from './streams/streamIds.ts';
import { streamReadCommands } from './streams/streamRead.ts';
import { streamCommands } from './streams/streams.ts';
import { stringCommands } from './strings/strings.ts';
import { BlockedReaders } from './BlockedReaders.ts';
import { keyData } from './keyData.ts';
import { BlockRequest, type CommandContext } from './types.ts';
import { lexCommands } from './zsets/zsetLex.ts';
import { zsetRemoveCommands } from './zsets/zsetRemove.ts';
import { zsetCommands } from './zsets/zsets.ts';
import { MemoryTransaction } from './transaction.ts';
import { extraCommands } from './commands.ts';

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /** The clock in unix milliseconds (default `Date.now`); specs inject one to test expiry without sleeping. */
  now?: () => number;
  /**
   * Period of the active expiry sweep in ms, so `expired` events fire for keys nobody reads (Redis runs it 10
   * times a second). 0 turns the timer off: keys then expire when read or on {@link MemoryStore.sweep}.
   */
  activeExpireInterval?: number;
}

/** Keys one tick of the active expiry timer deletes at most, so a mass expiry does not stall the event loop. */
const SWEEP_BUDGET = 10_000;

export const DEFAULT_MEMORY_STORE_OPTIONS: Required<MemoryStoreOptions> = {
  now: Date.now,
  activeExpireInterval: 100,
};

const table = new CommandTable([
  ...stringCommands,
  ...keyCommands,
  ...hashCommands,
  ...listCommands,
  ...listMoveCommands,
  ...setCommands,
  ...setOpCommands,
  ...scanCommands,
  ...zsetCommands,
  ...zsetRemoveCommands,
  ...lexCommands,
  ...streamCommands,
  ...streamReadCommands,
  ...groupCommands,
  ...claimCommands,
  ...infoCommands,
  ...extraCommands,
]);

/**
 * The embedded, in-process Redis: strings, hashes, lists, sets, sorted sets and streams with consumer groups,
 * key expiry, SCAN/KEYS with Redis globs and keyspace events, answering with Redis 7.0's replies and errors in
 * the shapes ioredis' `call()` gives. It is the default store of rxgears.
 *
 * @example
 * const store = new MemoryStore();
 * store.callSync('SET', 'user:1', 'ada');          // 'OK'
 * await store.call('GET', 'user:1');                // 'ada'
 * store.callSync('INCR', 'user:1');                 // throws RedisReplyError('ERR value is not an integer or out of range')
 * await store.close();
 */
export class MemoryStore implements ShardStore {
  readonly kind = 'memory' as const;
  private readonly ks: Keyspace;
  private readonly events = new Subject<KeyspaceEvent>();
  private readonly syncContext: CommandContext;
  private readonly blockingContext: CommandContext;
  private readonly blocked: BlockedReaders;
  private listeners = 0;
  private batchDepth = 0;
  private flushing = false;
  private timer: ReturnType<typeof setInterval> | undefined;
  private closed = false;

  constructor(options: MemoryStoreOptions = {}) {
    const opts = { ...DEFAULT_MEMORY_STORE_OPTIONS, ...options };
    if (typeof opts.now !== 'function') throw new GearsBuildError('MemoryStore option now must be a function');
    if (!(opts.activeExpireInterval >= 0) || !Number.isFinite(opts.activeExpireInterval)) {
      throw new GearsBuildError('MemoryStore option activeExpireInterval must be a number of milliseconds >= 0');
    }
    this.ks = new Keyspace(opts.now);
    this.syncContext = { ks: this.ks, canBlock: false };
    this.blockingContext = { ks: this.ks, canBlock: true };
    this.blocked = new BlockedReaders(this.ks);
    if (opts.activeExpireInterval > 0) {
      // Like Redis' active expire cycle, one tick does a bounded amount of work; the rest waits for the next.
      this.timer = setInterval(() => this.sweep(SWEEP_BUDGET), opts.activeExpireInterval);
      this.timer.unref();
    }
  }

  /**
   * Runs one command synchronously and returns its reply; an error reply throws a `RedisReplyError`. Blocking
   * options (`XREAD … BLOCK`) act as non-blocking reads here, as Redis does inside MULTI.
   */
  callSync(command: string, ...args: RedisArg[]): RedisReply {
    const reply = this.execute(command, args, this.syncContext);
    return reply instanceof BlockRequest ? reply.onTimeout : reply;
  }

  /**
   * Runs one command; an error reply rejects with a `RedisReplyError`. `XREAD`/`XREADGROUP … BLOCK` park until an
   * XADD (or a deletion) signals one of their keys, or until their timeout.
   *
   * @example
   * const reply = await store.call('XREAD', 'BLOCK', 0, 'STREAMS', 'events', '$'); // resolves on the next XADD
   */
  call(command: string, ...args: RedisArg[]): Promise<RedisReply> {
    // No second spread: a command of ~60k arguments (GEOADD of 20k points) would overflow the stack.
    return this.run(undefined, command, args);
  }

  /**
   * {@link call} for a client connection: aborting `signal` ends a command parked by BLPOP, BZPOPMIN, XREAD
   * BLOCK, … early — with its timeout reply, or rejected with the abort reason when that is a `RedisReplyError` — so a
   * client that went away never takes an element (the server aborts on disconnect and on CLIENT UNBLOCK).
   *
   * @example
   * const ac = new AbortController();
   * const reply = store.callAbortable(ac.signal, 'BLPOP', 'jobs', 0);
   * ac.abort(); // reply resolves to null
   */
  callAbortable(signal: AbortSignal | undefined, command: string, ...args: RedisArg[]): Promise<RedisReply> {
    return this.run(signal, command, args);
  }

  private run(signal: AbortSignal | undefined, command: string, args: RedisArg[]): Promise<RedisReply> {
    let reply: RedisReply | BlockRequest;
    try {
      reply = this.execute(command, args, this.blockingContext);
    } catch (error) {
      return Promise.reject(error);
    }
    if (reply instanceof BlockRequest) return this.blocked.block(reply, signal);
    return Promise.resolve(reply);
  }

  /**
   * Runs `fn` (which calls {@link callSync}) as one step for blocked clients, as Redis runs EXEC: they are
   * served after it, so a key created and deleted inside never wakes anybody.
   */
  atomically<T>(fn: () => T): T {
    this.batchDepth++;
    try {
      return fn();
    } finally {
      this.batchDepth--;
      this.afterCommand();
    }
  }

  /**
   * The error reply Redis gives before running `command` (unknown command or subcommand, wrong arity), or
   * undefined: what MULTI checks when it queues a command.
   */
  check(command: string, args: readonly RedisArg[]): RedisReplyError | undefined {
    try {
      table.resolve(command, args);
      return undefined;
    } catch (error) {
      if (error instanceof RedisReplyError) return error;
      throw error;
    }
  }

  /**
   * Calls `listener` with every key a command modifies (each keyspace event's key, every live key FLUSHALL
   * deletes), as WATCH needs; returns the function that stops it.
   */
  onTouch(listener: (key: string) => void): () => void {
    const subscription = this.keyspaceEvents().subscribe(({ key }) => listener(key));
    this.ks.flushHooks.add(listener);
    return () => {
      subscription.unsubscribe();
      this.ks.flushHooks.delete(listener);
    };
  }

  /** Commands parked by `call` right now (what Redis' INFO reports as `blocked_clients`). */
  get blockedCount(): number {
    return this.blocked.size;
  }

  /**
   * One SCAN step over the keyspace's bucket table (Redis' reverse-binary cursor): a key present during a whole
   * iteration is returned at least once however the keyspace changes in between; expired keys are dropped.
   */
  scan(cursor: string, options: ScanOptions = {}): Promise<ScanPage> {
    try {
      this.ks.tick();
      const count = options.count ?? 10;
      if (!Number.isInteger(count) || count < 1) throw syntaxError(); // what SCAN … COUNT 0 answers
      const [next, keys] = scanKeyspace(this.ks, parseCursor(cursor), {
        count,
        match: options.match,
        type: options.type,
      });
      this.afterCommand();
      return Promise.resolve({ cursor: String(next), keys });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Types and values of a batch of keys in one synchronous pass (one Promise per batch), as plain copies. */
  readKeys(keys: readonly string[], options: { readValue?: boolean } = {}): Promise<KeyData[]> {
    const readValue = options.readValue ?? true;
    this.ks.tick();
    const out = keys.map((key) => keyData(key, this.ks.lookup(key), readValue));
    this.afterCommand();
    return Promise.resolve(out);
  }

  /** XRANGE as entries with field objects; `-`, `+` and exclusive `(` bounds; a COUNT of 0 or less gives none. */
  xrange(key: string, start: string, end: string, count?: number): Promise<StreamEntry[]> {
    try {
      this.ks.tick();
      const from = parseRangeStart(start);
      const to = parseRangeEnd(end);
      const s = this.ks.get<Stream>(key, 'stream');
      // XRANGE … COUNT 0 (or less) replies nil in Redis: no entries.
      const records =
        s === undefined || (count !== undefined && count <= 0) ? [] : rangeRecords(s, from, to, count ?? 0, false);
      this.afterCommand();
      return Promise.resolve(
        records.map((r) => {
          const value: Record<string, string> = {};
          for (let i = 0; i < r.fields.length; i += 2) value[r.fields[i]!] = r.fields[i + 1]!;
          return { id: r.id, value };
        }),
      );
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * The keyspace events Redis 7.0 would publish with `notify-keyspace-events KEA`, hot, delivered synchronously
   * right after the command that raised them (so a listener's own commands never interleave with a command).
   */
  keyspaceEvents(): Observable<KeyspaceEvent> {
    return new Observable<KeyspaceEvent>((subscriber) => {
      this.listeners++;
      this.ks.eventsWanted = true;
      const subscription = this.events.subscribe(subscriber);
      return () => {
        subscription.unsubscribe();
        if (--this.listeners === 0) this.ks.eventsWanted = false;
      };
    });
  }

  /** Events are delivered synchronously from the first subscription on. */
  keyspaceReady(): Promise<void> {
    return Promise.resolve();
  }

  /** Events are delivered synchronously, so every earlier one has been. */
  keyspaceBarrier(): Promise<void> {
    return Promise.resolve();
  }

  /** WATCH / MULTI / EXEC, the embedded way: see `MemoryTransaction`. */
  transaction(): Promise<StoreTransaction> {
    return Promise.resolve(new MemoryTransaction(this));
  }

  /** Active expiry now: deletes keys past their deadline (at most `limit`; events `expired`), returns how many. */
  sweep(limit = Infinity): number {
    this.ks.tick();
    const count = this.ks.sweep(limit);
    this.afterCommand();
    return count;
  }

  /** Stops the expiry timer, fails reads still blocked and completes the keyspace events. Idempotent. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.blocked.rejectAll();
    this.events.complete();
    return Promise.resolve();
  }

  private execute(command: string, args: readonly RedisArg[], ctx: CommandContext): RedisReply | BlockRequest {
    const { handler, args: argv, subcommand } = table.resolve(command, args);
    ctx.command = command;
    ctx.subcommand = subcommand;
    this.ks.tick();
    try {
      return handler(ctx, argv);
    } catch (error) {
      if (error instanceof RedisReplyError) throw error;
      throw new RedisReplyError(`ERR memory store internal error: ${(error as Error).message}`, { cause: error });
    } finally {
      this.afterCommand();
    }
  }

  /** Delivers the command's keyspace events, then serves blocked readers whose keys were signalled. */
  private afterCommand(): void {
    if (this.ks.events.length > 0) this.flushEvents();
    if (this.ks.ready.size > 0 && this.batchDepth === 0) this.blocked.serveReady(this.deliverEvents);
  }

  private readonly deliverEvents = (): void => {
    if (this.ks.events.length > 0) this.flushEvents();
  };

  private flushEvents(): void {
    if (this.flushing) return; // a listener ran a command: the outer loop delivers its events, in order
    this.flushing = true;
    const pending = this.ks.events;
    try {
      for (let i = 0; i < pending.length; i++) this.events.next(pending[i]!);
    } finally {
      pending.length = 0;
      this.flushing = false;
    }
  }
}
