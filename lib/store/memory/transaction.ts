import type { Subscription } from 'rxjs';
import type { KeyspaceEvent, RedisArg, RedisReply, StoreTransaction } from '../ShardStore.ts';

/** What a memory transaction needs from its store. */
export interface TransactionHost {
  callSync(command: string, ...args: RedisArg[]): RedisReply;
  /** Runs the writes as one step: blocked clients are served after all of them. */
  atomically<T>(fn: () => T): T;
  keyspaceEvents(): { subscribe(next: (event: KeyspaceEvent) => void): Subscription };
}

/**
 * WATCH / MULTI / EXEC for the embedded store. A watched key is dirty once any keyspace event names it
 * (every write and expiry emits one, synchronously); `commit` checks and applies the writes in one
 * synchronous step, which in one JS thread is as atomic as EXEC. Like EXEC, a failing write does not stop
 * the others: its reply is the error. (FLUSHALL emits no per-key events, so it does not abort a watch here.)
 */
export class MemoryTransaction implements StoreTransaction {
  private readonly watched = new Set<string>();
  private subscription: Subscription | undefined;
  private dirty = false;

  constructor(private readonly store: TransactionHost) {}

  read(keys: readonly string[], command: string, args: RedisArg[]): Promise<RedisReply> {
    if (keys.length > 0) {
      this.subscription ??= this.store.keyspaceEvents().subscribe((event) => {
        if (this.watched.has(event.key)) this.dirty = true;
      });
      for (const key of keys) this.watched.add(key);
    }
    try {
      return Promise.resolve(this.store.callSync(command, ...args));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  commit(writes: readonly (readonly [string, ...RedisArg[]])[]): Promise<RedisReply[] | null> {
    this.end();
    if (this.dirty) return Promise.resolve(null);
    const replies = this.store.atomically(() =>
      writes.map(([command, ...args]) => {
        try {
          return this.store.callSync(command, ...args);
        } catch (error) {
          return error as RedisReply;
        }
      }),
    );
    return Promise.resolve(replies);
  }

  discard(): Promise<void> {
    this.end();
    return Promise.resolve();
  }

  private end(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
  }
}
