/**
 * One client's connection state on the embedded store, as Redis keeps it per client: MULTI/EXEC/DISCARD with
 * queued commands, WATCH/UNWATCH, and the blocking command it is parked in (which ends when the client goes away,
 * or on CLIENT UNBLOCK). The server gives each connection one session when its backend is the memory store;
 * replies are the store's, plus {@link Status} for Redis' status replies (`+OK`, `+QUEUED`).
 */
import { RedisReplyError } from '../../errors.ts';
import type { RedisArg, RedisReply } from '../ShardStore.ts';
import type { MemoryStore } from './MemoryStore.ts';

/** A status reply (`+OK`, `+QUEUED`) as opposed to a bulk string. */
export class Status {
  constructor(readonly status: string) {}
}

/** EXEC's reply when a WATCHed key changed: a null array. */
export const NULL_ARRAY = Symbol('null array');

export type SessionReply = RedisReply | Status | typeof NULL_ARRAY | RedisReplyError | SessionReply[];

/** Commands whose nil reply is a null array (`*-1`), not a null bulk string: pops with a count, blocking pops. */
const NIL_ARRAY = new Set([
  'LMPOP',
  'ZMPOP',
  'BLPOP',
  'BRPOP',
  'BLMOVE',
  'BRPOPLPUSH',
  'BLMPOP',
  'BZPOPMIN',
  'BZPOPMAX',
  'BZMPOP',
  'XREAD',
  'XREADGROUP',
]);

/**
 * Whether a nil reply of `upper` is a null array (`*-1`, as Redis' `addReplyNullArray`): LPOP/RPOP with a count,
 * the MPOP family, blocking pops on timeout and XREAD without data. The store's `call` says null for both.
 */
export function nilIsNullArray(upper: string, args: readonly unknown[]): boolean {
  return NIL_ARRAY.has(upper) || ((upper === 'LPOP' || upper === 'RPOP') && args.length > 1);
}

/**
 * `reply` with Redis' null arrays where the store says null: the whole reply (`nilIsNullArray`), or a missing
 * member's entry in GEOPOS (Redis' `addReplyNullArray` per member).
 */
export function withNullArrays(upper: string, args: readonly unknown[], reply: SessionReply): SessionReply {
  if (reply === null) return nilIsNullArray(upper, args) ? NULL_ARRAY : null;
  if (upper === 'GEOPOS' && Array.isArray(reply)) return reply.map((entry) => (entry === null ? NULL_ARRAY : entry));
  return reply;
}

const OK = new Status('OK');
const QUEUED = new Status('QUEUED');

/** Commands a session itself answers, whatever its state. */
const OWN = new Set(['MULTI', 'EXEC', 'DISCARD', 'WATCH', 'UNWATCH']);

/** What a transaction may not contain: Redis flags them `no-multi`. */
const NO_MULTI = new Set([
  'SUBSCRIBE',
  'PSUBSCRIBE',
  'SSUBSCRIBE',
  'MONITOR',
  'SYNC',
  'PSYNC',
  'RESET',
  'SAVE',
  'SHUTDOWN',
]);

/** A command queued in MULTI; `outside`: one the session's owner runs itself at EXEC. */
export interface QueuedEntry {
  readonly name: string;
  readonly args: RedisArg[];
  readonly outside: boolean;
}

/**
 * Commands the session's owner runs itself inside a transaction (the server's hooked commands): a queue that
 * holds one is given to `exec`, with `atomically` to run plain commands as one atomic part.
 */
export interface OutsideCommands {
  claims(upper: string): boolean;
  exec(
    queue: readonly QueuedEntry[],
    atomically: (entries: readonly QueuedEntry[]) => SessionReply[],
  ): Promise<SessionReply[]>;
}

export class MemorySession {
  private queue: QueuedEntry[] | undefined;
  private aborted = false;
  private readonly watched = new Set<string>();
  private dirty = false;
  private unsubscribe: (() => void) | undefined;
  private blocked: AbortController | undefined;

  /**
   * @param statusOf whether a command's string reply is a status (`+OK`) rather than a bulk string — the
   *   server's rule, so replies inside EXEC keep their shapes.
   */
  constructor(
    private readonly store: MemoryStore,
    private readonly outside?: OutsideCommands,
    private readonly statusOf?: (upper: string, args: readonly string[]) => boolean,
  ) {}

  /** Whether the session answers `upper` now (its own commands, or everything between MULTI and EXEC). */
  claims(upper: string): boolean {
    return this.queue !== undefined || OWN.has(upper);
  }

  /** Whether a transaction is being queued. */
  get inMulti(): boolean {
    return this.queue !== undefined;
  }

  /** The commands queued since MULTI, in order (undefined outside a transaction). */
  get queued(): readonly QueuedEntry[] | undefined {
    return this.queue;
  }

  /** Whether a key this session WATCHes changed since (EXEC would answer a null array). */
  get watchedChanged(): boolean {
    return this.dirty;
  }

  /** Drops the transaction being queued, keeping the WATCHes (the server moves it to another shard's session). */
  dropQueue(): void {
    this.queue = undefined;
    this.aborted = false;
  }

  /** Whether the client is parked in a blocking command. */
  get isBlocked(): boolean {
    return this.blocked !== undefined;
  }

  /**
   * Runs a client's command: MULTI/EXEC/DISCARD/WATCH/UNWATCH, a command queued inside MULTI, or any other
   * command on the store (a blocking one parked until served, timed out or unblocked). Error replies are
   * returned, not thrown.
   */
  async handle(upper: string, name: string, args: string[]): Promise<SessionReply> {
    try {
      switch (upper) {
        case 'MULTI':
          if (args.length > 0) return arity('multi');
          if (this.queue !== undefined) return new RedisReplyError('ERR MULTI calls can not be nested');
          this.queue = [];
          this.aborted = false;
          return OK;
        case 'EXEC':
          if (args.length > 0) return this.queueError(arity('exec'));
          return await this.exec();
        case 'DISCARD':
          if (args.length > 0) return this.queueError(arity('discard'));
          if (this.queue === undefined) return new RedisReplyError('ERR DISCARD without MULTI');
          this.queue = undefined;
          this.unwatch();
          return OK;
        case 'WATCH':
          if (args.length === 0) return this.queueError(arity('watch'));
          // Refused, but the transaction stays valid (Redis does not flag it for EXECABORT).
          if (this.queue !== undefined) return new RedisReplyError('ERR WATCH inside MULTI is not allowed');
          this.watch(args);
          return OK;
        case 'UNWATCH':
          if (args.length > 0) return this.queueError(arity('unwatch'));
          if (this.queue !== undefined) break; // queued, as in Redis
          this.unwatch();
          return OK;
      }
      if (this.queue !== undefined) {
        if (NO_MULTI.has(upper))
          return this.queueError(new RedisReplyError(`ERR Command not allowed inside a transaction`));
        const problem = this.store.check(name, args);
        if (problem !== undefined) return this.queueError(problem);
        this.queue.push({ name, args, outside: this.outside?.claims(upper) === true });
        return QUEUED;
      }
      return await this.run(name, args);
    } catch (error) {
      if (error instanceof RedisReplyError) return error;
      throw error;
    }
  }

  /** Ends a parked command: with its timeout reply, or with Redis' UNBLOCKED error. False if none was parked. */
  unblock(withError: boolean): boolean {
    if (this.blocked === undefined) return false;
    this.blocked.abort(withError ? new RedisReplyError('UNBLOCKED client unblocked via CLIENT UNBLOCK') : undefined);
    return true;
  }

  /** The client went away: its transaction and watches are dropped, a parked command takes nothing. */
  close(): void {
    this.queue = undefined;
    this.unwatch();
    this.blocked?.abort();
  }

  private async run(name: string, args: string[]): Promise<SessionReply> {
    const controller = new AbortController();
    this.blocked = controller;
    try {
      return await this.store.callAbortable(controller.signal, name, ...args);
    } finally {
      if (this.blocked === controller) this.blocked = undefined;
    }
  }

  /** An error while queueing: replied now, and EXEC will discard the transaction (EXECABORT). */
  private queueError(error: RedisReplyError): RedisReplyError {
    if (this.queue !== undefined) this.aborted = true;
    return error;
  }

  private exec(): SessionReply | Promise<SessionReply[]> {
    const queue = this.queue;
    if (queue === undefined) return new RedisReplyError('ERR EXEC without MULTI');
    this.queue = undefined;
    const dirty = this.dirty;
    this.unwatch();
    if (this.aborted) {
      return new RedisReplyError('EXECABORT Transaction discarded because of previous errors.');
    }
    if (dirty) return NULL_ARRAY;
    if (this.outside && queue.some((entry) => entry.outside)) {
      return this.outside.exec(queue, (entries) => this.atomically(entries));
    }
    return this.atomically(queue);
  }

  /** Runs queued commands as one atomic part; a command's error is its reply. */
  private atomically(entries: readonly QueuedEntry[]): SessionReply[] {
    return this.store.atomically(() =>
      entries.map(({ name, args }): SessionReply => {
        try {
          const reply = this.store.callSync(name, ...args);
          const upper = name.toUpperCase();
          if (typeof reply === 'string' && this.statusOf?.(upper, args.map(String))) return new Status(reply);
          return withNullArrays(upper, args, reply);
        } catch (error) {
          if (error instanceof RedisReplyError) return error;
          throw error;
        }
      }),
    );
  }

  private watch(keys: string[]): void {
    for (const key of keys) this.watched.add(key);
    this.unsubscribe ??= this.store.onTouch((key) => {
      if (this.watched.has(key)) this.dirty = true;
    });
  }

  private unwatch(): void {
    this.watched.clear();
    this.dirty = false;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }
}

function arity(name: string): RedisReplyError {
  return new RedisReplyError(`ERR wrong number of arguments for '${name}' command`);
}
