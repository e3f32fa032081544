import { setTimeout as sleep } from 'node:timers/promises';
import { commandKeys, isReadOnlyCommand } from '../cluster/routing.ts';
import { hashSlot } from '../cluster/slots.ts';
import type { Shard } from '../cluster/topology.ts';
import { GearsError, RedisReplyError } from '../errors.ts';
import type { RedisArg, RedisReply, StoreTransaction } from '../store/ShardStore.ts';

/** How many times `atomic()` runs a block whose watched keys keep changing before it gives up. */
export const MAX_ATOMIC_ATTEMPTS = 200;

/**
 * One attempt of an `atomic()` block: binds to the shard of the first key it touches (every later key must
 * hash to the same slot), WATCHes what it reads through a store transaction, and queues what it writes.
 */
export class AtomicScope {
  private slot: number | undefined;
  private transaction: Promise<StoreTransaction> | undefined;
  private readonly writes: [string, ...RedisArg[]][] = [];

  constructor(
    private readonly shardOf: (slot: number | undefined) => Shard,
    private readonly fallback: Shard | undefined,
  ) {}

  /** `execute()` inside the block. */
  async execute(command: string, args: RedisArg[]): Promise<RedisReply> {
    const keys = commandKeys(command, args);
    for (const key of keys) {
      const slot = hashSlot(key);
      if (this.slot === undefined) this.slot = slot;
      else if (slot !== this.slot) throw new RedisReplyError("CROSSSLOT Keys in request don't hash to the same slot");
    }
    if (!isReadOnlyCommand(command)) {
      this.writes.push([command, ...args]);
      return 'QUEUED';
    }
    return (await this.open()).read(keys, command, args);
  }

  /** Sends the queued writes; `null` when a watched key changed. Without writes it only releases. */
  async commit(): Promise<RedisReply[] | null> {
    if (this.writes.length === 0) {
      if (this.transaction) await (await this.transaction).discard();
      return [];
    }
    return (await this.open()).commit(this.writes);
  }

  async discard(): Promise<void> {
    if (this.transaction) await (await this.transaction).discard();
  }

  private open(): Promise<StoreTransaction> {
    this.transaction ??= (
      this.slot === undefined && this.fallback ? this.fallback : this.shardOf(this.slot)
    ).store.transaction();
    return this.transaction;
  }
}

/**
 * Runs `block` as an optimistic transaction: each attempt gets a fresh `AtomicScope`; a conflict (EXEC
 * returned null) re-runs the block after a short random pause, up to `MAX_ATOMIC_ATTEMPTS` times.
 */
export async function runAtomic<T>(
  makeScope: () => AtomicScope,
  runBlock: (scope: AtomicScope) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; attempt <= MAX_ATOMIC_ATTEMPTS; attempt++) {
    const scope = makeScope();
    let value: T;
    try {
      value = await runBlock(scope);
    } catch (error) {
      await scope.discard();
      throw error;
    }
    const replies = await scope.commit();
    if (replies !== null) {
      const failed = replies.find((reply): reply is RedisReply & Error => (reply as unknown) instanceof Error);
      if (failed) throw failed;
      return value;
    }
    await sleep(Math.random() * Math.min(attempt, 10));
  }
  throw new GearsError(`atomic: gave up after ${MAX_ATOMIC_ATTEMPTS} attempts, the keys it read kept changing`);
}
