import { AsyncLocalStorage } from 'node:async_hooks';
import type { Shard } from '../cluster/topology.ts';
import type { RedisArg, RedisReply } from '../store/ShardStore.ts';
import { GearsError } from '../errors.ts';

/** What the runtime helpers need from an engine. `Gears` implements it. */
export interface RuntimeEngine {
  /** Runs a command on the shard that owns its keys; keyless commands run on `shard` (or the first shard). */
  executeOn(shard: Shard | undefined, command: string, args: RedisArg[]): Promise<RedisReply>;
}

/** The execution and shard a callback is running for. */
export interface RuntimeContext {
  engine: RuntimeEngine;
  shard: Shard;
  executionId: string | undefined;
}

const storage = new AsyncLocalStorage<RuntimeContext>();
const openEngines = new Set<RuntimeEngine>();

/** Runs `fn(...args)` with `context` as the current runtime context. */
export function runInContext<A extends unknown[], R>(context: RuntimeContext, fn: (...args: A) => R, ...args: A): R {
  return storage.run(context, fn, ...args);
}

/** The context of the callback that is running now, if any. */
export function currentContext(): RuntimeContext | undefined {
  return storage.getStore();
}

/** Engines register themselves so `execute()` outside any gear function can find the one engine there is. */
export function trackEngine(engine: RuntimeEngine): () => void {
  openEngines.add(engine);
  return () => openEngines.delete(engine);
}

/**
 * Runs a Redis command from inside a gear function, on the current execution's engine: keyed commands go to
 * the shard that owns the key, keyless ones run on the current shard. Replies are strings, numbers, null or
 * arrays; an error reply rejects with a `ReplyError`. Outside a gear function it works when exactly one engine
 * is open (otherwise use `gears.execute`).
 *
 * @example
 * GB().forEach((r) => execute('HINCRBY', r.key, 'visits', 1)).run('page:*')
 */
export function execute(command: string, ...args: RedisArg[]): Promise<RedisReply> {
  const context = storage.getStore();
  if (context) return context.engine.executeOn(context.shard, command, args);
  if (openEngines.size === 1) return [...openEngines][0]!.executeOn(undefined, command, args);
  return Promise.reject(
    new GearsError(
      openEngines.size === 0
        ? 'execute() needs an engine: call it inside a gear function, or connect() first'
        : 'execute() outside a gear function is ambiguous with several engines open: use gears.execute()',
    ),
  );
}
