/**
 * Readers parked by a blocking command (`XREAD … BLOCK`, `XREADGROUP … BLOCK`) through `call()`: each waits on
 * its keys until a command signals one of them and its retry produces a reply, or until its timeout passes.
 * Waiters of a key are served in the order they blocked, as Redis serves blocked clients.
 */
import { GearsError, RedisReplyError } from '../../errors.ts';
import type { RedisReply } from '../ShardStore.ts';
import type { Keyspace } from './Keyspace.ts';
import type { BlockRequest } from './types.ts';

interface Waiter {
  request: BlockRequest;
  resolve: (reply: RedisReply) => void;
  reject: (error: unknown) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Stops listening to the abort signal. */
  detach?: () => void;
  done?: boolean;
}

export class BlockedReaders {
  private readonly waiters = new Map<string, Waiter[]>();
  private parked = 0;

  constructor(private readonly ks: Keyspace) {}

  /** How many readers are parked (Redis' `blocked_clients`). */
  get size(): number {
    return this.parked;
  }

  /**
   * Parks a reader; resolves with its reply once served, or with `onTimeout` after `timeoutMs` (0 = never).
   * An abort of `signal` ends the wait early: with `onTimeout`, or rejected with the signal's reason when that is
   * a `RedisReplyError` (CLIENT UNBLOCK … ERROR answers an error reply).
   */
  block(request: BlockRequest, signal?: AbortSignal): Promise<RedisReply> {
    return new Promise<RedisReply>((resolve, reject) => {
      const waiter: Waiter = { request, resolve, reject, timer: undefined };
      if (signal !== undefined) {
        const reason: unknown = signal.reason;
        if (signal.aborted) return reason instanceof RedisReplyError ? reject(reason) : resolve(request.onTimeout);
        const onAbort = (): void => {
          if (!this.remove(waiter)) return;
          const why: unknown = signal.reason;
          if (why instanceof RedisReplyError) reject(why);
          else resolve(request.onTimeout);
        };
        signal.addEventListener('abort', onAbort, { once: true });
        waiter.detach = () => signal.removeEventListener('abort', onAbort);
      }
      this.parked++;
      if (request.timeoutMs > 0) {
        waiter.timer = setTimeout(() => {
          this.remove(waiter);
          resolve(request.onTimeout);
        }, request.timeoutMs);
      }
      for (const key of request.keys) {
        let list = this.waiters.get(key);
        if (list === undefined) {
          list = [];
          this.waiters.set(key, list);
          this.ks.watched.add(key);
        }
        list.push(waiter);
      }
    });
  }

  /**
   * Retries the readers of every key signalled since the last call (Redis' `handleClientsBlockedOnKeys`);
   * `afterEach` runs after each round, e.g. to deliver the keyspace events the retries raised.
   */
  serveReady(afterEach: () => void): void {
    while (this.ks.ready.size > 0) {
      const keys = [...this.ks.ready];
      this.ks.ready.clear();
      for (const key of keys) {
        for (const waiter of [...(this.waiters.get(key) ?? [])]) {
          let reply: RedisReply | undefined;
          this.ks.tick();
          try {
            reply = waiter.request.retry();
          } catch (error) {
            this.remove(waiter);
            waiter.reject(error);
            continue;
          }
          if (reply !== undefined) {
            this.remove(waiter);
            waiter.resolve(reply);
          }
        }
      }
      afterEach();
    }
  }

  /** Fails every parked reader (the store is closing). */
  rejectAll(): void {
    for (const waiter of new Set([...this.waiters.values()].flat())) {
      this.remove(waiter);
      waiter.reject(new GearsError('the memory store was closed while the command was blocked'));
    }
  }

  /** Unparks `waiter`; false when it was not parked any more (served, timed out or aborted already). */
  private remove(waiter: Waiter): boolean {
    if (waiter.done === true) return false;
    waiter.done = true;
    this.parked--;
    waiter.detach?.();
    if (waiter.timer !== undefined) clearTimeout(waiter.timer);
    for (const key of waiter.request.keys) {
      const list = this.waiters.get(key);
      if (list === undefined) continue;
      const at = list.indexOf(waiter);
      if (at !== -1) list.splice(at, 1);
      if (list.length === 0) {
        this.waiters.delete(key);
        this.ks.watched.delete(key);
      }
    }
    return true;
  }
}
