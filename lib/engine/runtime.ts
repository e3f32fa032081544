import { AsyncLocalStorage } from 'node:async_hooks';
import type { Shard } from '../cluster/topology.ts';
import type { RedisArg, RedisReply } from '../store/ShardStore.ts';
import { GearsError } from '../errors.ts';
import type { ConfigValue, LogLevel } from './config.ts';
import { LOG_LEVELS } from './config.ts';
import type { AtomicScope } from './atomic.ts';
import type { RegisterTimeEvent } from './timeEvents.ts';
import type { TimeEventRecord } from '../../readers/timeEventReader.ts';

/** What the runtime helpers need from an engine. `Gears` implements it. */
export interface RuntimeEngine {
  /** Runs a command on the shard that owns its keys; keyless commands run on `shard` (or the default shard). */
  executeOn(shard: Shard | undefined, command: string, args: RedisArg[]): Promise<RedisReply>;
  /** Runs `block` as an optimistic transaction (see `atomic`). */
  atomicOn<T>(context: RuntimeContext | undefined, block: () => T | PromiseLike<T>): Promise<T>;
  /** Writes a log line for `shard`. */
  logFrom(shard: Shard | undefined, level: LogLevel, message: string): void;
  /** A configuration value, built-in or extra. */
  configLookup(key: string): ConfigValue | undefined;
  /** A short string whose hash slot `shard` owns. */
  hashtagOf(shard: Shard | undefined): string;
  /** Registers a time event (see `registerTimeEvent`). */
  registerTimeEvent: RegisterTimeEvent;
}

/** The execution and shard a callback is running for, and the transaction it is inside, if any. */
export interface RuntimeContext {
  engine: RuntimeEngine;
  shard: Shard;
  executionId: string | undefined;
  atomic?: AtomicScope;
  /** In a CommandReader `hook` execution: runs the next hook, and at the end the overridden command itself. */
  callNext?: (...args: RedisArg[]) => Promise<RedisReply>;
  /** In a KeysReader execution triggered through `commands`: replaces the command's reply. */
  overrideReply?: (value: RedisReply) => void;
}

const storage = new AsyncLocalStorage<RuntimeContext>();
const openEngines = new Set<RuntimeEngine>();

/** Runs `fn(...args)` with `context` as the current runtime context. */
export function runInContext<A extends unknown[], R>(context: RuntimeContext, fn: (...args: A) => R, ...args: A): R {
  return storage.run(context, fn, ...args);
}

/**
 * `fn` bound to `context`: each call runs with `context` as the current runtime context. The engine calls a
 * step's callback once per record, so this avoids what `runInContext` costs when the context is already the
 * current one (records of a shard mostly arrive inside it) and keeps the callback's arity (`arity` arguments
 * are passed, no rest arrays).
 */
export function bindToContext<F extends (...args: never[]) => unknown>(
  context: RuntimeContext,
  fn: F,
  arity: 1 | 2 | 3,
): F {
  const call = fn as unknown as (a?: unknown, b?: unknown, c?: unknown) => unknown;
  switch (arity) {
    case 1:
      return ((a: unknown) =>
        storage.getStore() === context ? call(a) : storage.run(context, call, a)) as unknown as F;
    case 2:
      return ((a: unknown, b: unknown) =>
        storage.getStore() === context ? call(a, b) : storage.run(context, call, a, b)) as unknown as F;
    case 3:
      return ((a: unknown, b: unknown, c: unknown) =>
        storage.getStore() === context ? call(a, b, c) : storage.run(context, call, a, b, c)) as unknown as F;
  }
}

/** The context of the callback that is running now, if any. */
export function currentContext(): RuntimeContext | undefined {
  return storage.getStore();
}

/** Engines register themselves so helpers outside any gear function can find the one engine there is. */
export function trackEngine(engine: RuntimeEngine): () => void {
  openEngines.add(engine);
  return () => openEngines.delete(engine);
}

/** The current engine: the running gear function's, else the only open one. */
function engineOf(helper: string): { engine: RuntimeEngine; context: RuntimeContext | undefined } {
  const context = storage.getStore();
  if (context) return { engine: context.engine, context };
  if (openEngines.size === 1) return { engine: [...openEngines][0]!, context: undefined };
  throw new GearsError(
    openEngines.size === 0
      ? `${helper}() needs an engine: call it inside a gear function, or connect() first`
      : `${helper}() outside a gear function is ambiguous with several engines open: use the gears.${helper}() method`,
  );
}

/**
 * Runs a Redis command from inside a gear function, on the current execution's engine: keyed commands go to
 * the shard that owns the key, keyless ones run on the current shard. Replies are strings, numbers, null or
 * arrays; an error reply rejects with a `RedisReplyError`. Inside `atomic()`, reads are WATCHed and writes queued
 * (they resolve to `'QUEUED'`). Outside a gear function it works when exactly one engine is open.
 *
 * @example
 * GB().forEach((r) => execute('HINCRBY', r.key, 'visits', 1)).run('page:*')
 */
export function execute(command: string, ...args: RedisArg[]): Promise<RedisReply> {
  try {
    const { engine, context } = engineOf('execute');
    if (context?.atomic) return context.atomic.execute(command, args);
    return engine.executeOn(context?.shard, command, args);
  } catch (error) {
    return Promise.reject(error as Error);
  }
}

/**
 * Runs `block` as one optimistic transaction, so a read-modify-write is race-free: every key `block` reads
 * through `execute()` is WATCHed, every write is queued and sent in MULTI/EXEC when `block` returns, and when
 * a watched key changed meanwhile the whole block runs again (a bounded number of times, then a GearsError).
 * All keys must hash to one slot (`{hashtag}`s help), else `CROSSSLOT`. Writes resolve to `'QUEUED'` inside
 * the block; `atomic` resolves with what `block` returned.
 *
 * @example
 * await atomic(async () => {
 *   const max = Number(await execute('GET', 'age:maximum') ?? 0);
 *   if (age > max) await execute('SET', 'age:maximum', age);
 * });
 */
export function atomic<T>(block: () => T | PromiseLike<T>): Promise<T> {
  try {
    if (typeof block !== 'function') throw new GearsError('atomic argument must be a function');
    const { engine, context } = engineOf('atomic');
    return engine.atomicOn(context, block);
  } catch (error) {
    return Promise.reject(error as Error);
  }
}

/**
 * Writes `message` to the engine's log at `level` (`debug`, `verbose`, `notice` (default) or `warning`, as
 * Redis' log levels), tagged with the current shard. Levels below the `LogLevel` setting are not written.
 *
 * @example
 * GB().forEach((r) => log(`seen ${r.key}`, 'debug')).run()
 */
export function log(message: string, level: LogLevel = 'notice'): void {
  if (!LOG_LEVELS.includes(level)) throw new GearsError(`log level must be one of ${LOG_LEVELS.join(', ')}`);
  const { engine, context } = engineOf('log');
  engine.logFrom(context?.shard, level, String(message));
}

/**
 * A configuration value: a built-in (`MaxExecutions`, …) or an extra key set with `configSet`; `null` when
 * the key was never set.
 *
 * @example
 * const threshold = Number(configGet('AlertThreshold') ?? 100);
 */
export function configGet(key: string): ConfigValue | null {
  const { engine } = engineOf('configGet');
  return engine.configLookup(key) ?? null;
}

/**
 * A short string whose hash slot the current shard owns: keys named `{<hashtag()>}…` written from a gear
 * function land on the shard that runs it.
 *
 * @example
 * GB().forEach(() => execute('INCR', `{${hashtag()}}:visits`)).run()
 */
export function hashtag(): string {
  const { engine, context } = engineOf('hashtag');
  return engine.hashtagOf(context?.shard);
}

/**
 * Inside a CommandReader registration with `hook: '<command>'` (through the server's proxy): runs the
 * command the hook overrides, with these arguments, and returns its reply.
 *
 * @example
 * GB('CommandReader').map(async ([, key, value]) => callNext(key, value.toUpperCase())).register({ hook: 'set' })
 */
export function callNext(...args: RedisArg[]): Promise<RedisReply> {
  const context = storage.getStore();
  if (!context?.callNext) return Promise.reject(new GearsError('callNext() can only be used inside a command hook'));
  return context.callNext(...args);
}

/**
 * Inside a KeysReader registration with `commands: [...]` (through the server's proxy): replaces the reply of
 * the command that triggered the execution. A string starting with `-` is an error reply (`'-ERR no'`). The
 * last call wins. RedisGears' `override_reply`.
 *
 * @example
 * GB().foreach(() => overrideReply('-ERR no such user')).register({ eventTypes: ['keymiss'], commands: ['get'], mode: 'sync' })
 */
export function overrideReply(value: RedisReply): void {
  const context = storage.getStore();
  if (!context?.overrideReply)
    throw new GearsError('overrideReply() can only be used inside a registration triggered by its commands');
  context.overrideReply(value);
}

/**
 * Runs `callback` every `period` seconds (RedisGears' `registerTE`), on one shard, as a TimeEventReader
 * registration; resolves with its id. With `key` the timer is stored as that key: registering again while it
 * exists takes the timer over (a restart), and deleting the key stops the timer.
 *
 * @example
 * await registerTimeEvent(60, () => execute('INCR', 'minutes'), 'timer:minutes')
 */
export function registerTimeEvent(
  period: number,
  callback: (record: TimeEventRecord) => unknown,
  key?: string,
): Promise<string> {
  try {
    return engineOf('registerTimeEvent').engine.registerTimeEvent(period, callback, key);
  } catch (error) {
    return Promise.reject(error as Error);
  }
}
