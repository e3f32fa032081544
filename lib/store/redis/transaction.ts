import { Redis, type RedisOptions } from 'ioredis';
import { exists } from '@ioredis/commands';
import type { RedisArg, RedisReply, StoreTransaction } from '../ShardStore.ts';
import { closeClient, send } from './connection.ts';
import { toReply, toStoreError } from './replies.ts';
import { wireArgs } from '../bytes.ts';

/**
 * Connections for WATCH / MULTI / EXEC. A transaction changes its connection's state, so it cannot share the
 * store's auto-pipelined connection; opening one per `atomic()` would cost a handshake each time, so a few
 * idle ones are kept.
 */
export class TransactionPool {
  private readonly idle: Redis[] = [];
  private readonly busy = new Set<Redis>();
  private closed = false;

  constructor(
    private readonly options: RedisOptions,
    private readonly address: string,
    private readonly maxIdle = 8,
  ) {}

  async begin(): Promise<StoreTransaction> {
    if (this.closed) throw toStoreError(new Error('the store is closed'), this.address);
    const client = this.idle.pop() ?? new Redis({ ...this.options, enableAutoPipelining: false, lazyConnect: false });
    client.on('error', () => undefined);
    this.busy.add(client);
    return new RedisTransaction(client, this.address, (healthy) => this.release(client, healthy));
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.idle.splice(0), ...this.busy];
    this.busy.clear();
    await Promise.all(all.map((client) => closeClient(client)));
  }

  private release(client: Redis, healthy: boolean): void {
    this.busy.delete(client);
    client.removeAllListeners('error');
    if (healthy && !this.closed && this.idle.length < this.maxIdle) this.idle.push(client);
    else void closeClient(client);
  }
}

const commandName = (command: string): string =>
  exists(command, { caseInsensitive: true }) ? command.toUpperCase() : command;

class RedisTransaction implements StoreTransaction {
  private ended = false;

  constructor(
    private readonly client: Redis,
    private readonly address: string,
    private readonly release: (healthy: boolean) => void,
  ) {}

  async read(keys: readonly string[], command: string, args: RedisArg[]): Promise<RedisReply> {
    try {
      if (keys.length > 0) await this.client.call('WATCH', ...wireArgs([...keys]));
      return toReply(await send(this.client, commandName(command), args));
    } catch (error) {
      throw this.fail(error);
    }
  }

  async commit(writes: readonly (readonly [string, ...RedisArg[]])[]): Promise<RedisReply[] | null> {
    try {
      const multi = this.client.multi();
      for (const [command, ...args] of writes) multi.callBuffer(commandName(command), ...wireArgs(args));
      const replies = await multi.exec();
      this.end(true);
      if (replies === null) return null;
      return replies.map(([error, value]) =>
        error ? (toStoreError(error, this.address) as unknown as RedisReply) : toReply(value),
      );
    } catch (error) {
      throw this.fail(error);
    }
  }

  async discard(): Promise<void> {
    if (this.ended) return;
    try {
      await this.client.call('UNWATCH');
      this.end(true);
    } catch {
      this.end(false);
    }
  }

  private fail(error: unknown): Error {
    // The connection's WATCH state is unknown now: close it rather than pool it.
    this.end(false);
    return toStoreError(error, this.address);
  }

  private end(healthy: boolean): void {
    if (this.ended) return;
    this.ended = true;
    this.release(healthy);
  }
}
