import { types } from 'node:util';

/**
 * Errors are classes with a fixed `name`, so callers use `instanceof` instead of matching messages.
 * Messages repeat RedisGears' own where RedisGears had one, so ported scripts and tests keep working.
 *
 * @example
 * try { GB('NoSuchReader') } catch (e) { if (e instanceof GearsError) console.log(e.message) }
 */
export class GearsError extends Error {
  override readonly name: string = 'GearsError';
  /** The execution the error belongs to, when there is one. */
  readonly executionId: string | undefined;
  /** The shard the error happened on, when there is one. */
  readonly shardId: string | undefined;

  constructor(message: string, options: { cause?: unknown; executionId?: string; shardId?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.executionId = options.executionId;
    this.shardId = options.shardId;
  }
}

/** A builder was given something it cannot build: unknown reader, a callback that is not a function, a bad option. */
export class GearsBuildError extends GearsError {
  override readonly name = 'GearsBuildError';
}

/**
 * An error reply from a store, real Redis or the embedded one (`WRONGTYPE …`, `ERR …`). The message is the
 * reply text exactly as Redis sends it. Named apart from ioredis' own `ReplyError`, which rxgears wraps
 * (it is the `cause` when the reply came from ioredis).
 */
export class RedisReplyError extends GearsError {
  override readonly name = 'RedisReplyError';
}

/**
 * A Redis node could not be reached or did not answer in time: refused connection, too many reconnection
 * attempts, command timeout, a closed store. Distinct from `RedisReplyError` (the node answered with an error),
 * so callers can retry on this one and not on that one.
 *
 * @example
 * try { await gears.execute('GET', 'k') } catch (e) { if (e instanceof RedisConnectionError) scheduleRetry() }
 */
export class RedisConnectionError extends GearsError {
  override readonly name = 'RedisConnectionError';
  /** `host:port` of the node. */
  readonly address: string;

  constructor(address: string, message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.address = address;
  }
}

/** An execution was aborted (by `abortExecution`, by `ExecutionMaxIdleTime`, or because the engine closed). */
export class ExecutionAbortedError extends GearsError {
  override readonly name = 'ExecutionAbortedError';
}

/** Formats any thrown value the way RedisGears lists errors: `"<ErrorName>: <message>"`. */
export function formatError(error: unknown): string {
  // isNativeError: errors thrown in a vm context (RG.JSEXECUTE scripts) come from another realm's Error.
  if (error instanceof Error || types.isNativeError(error))
    return `${(error as Error).name}: ${(error as Error).message}`;
  if (typeof error === 'string') return `Error: ${error}`;
  try {
    return `Error: ${JSON.stringify(error)}`;
  } catch {
    return `Error: ${String(error)}`;
  }
}

/** An action failed as a whole: `errors` lists every error the execution recorded, as in `RunResult.errors`. */
export class ExecutionFailedError extends GearsError {
  override readonly name = 'ExecutionFailedError';
  readonly errors: readonly string[];

  constructor(errors: readonly string[], options: { executionId?: string } = {}) {
    super(errors.length === 1 ? errors[0]! : `${errors.length} errors, the first: ${errors[0] ?? ''}`, options);
    this.errors = errors;
  }
}
