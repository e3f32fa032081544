import { GearsError, RedisReplyError } from '../../errors.ts';
import type { RunResult } from '../../engine/Execution.ts';
import { ErrorReply, MapReply, type Reply } from '../protocol/replies.ts';

/**
 * Conversions from engine values to replies, shared by the RG commands and the proxy. Records follow
 * RedisGears: plain strings and integers as they are, everything else as JSON text.
 */

/** A record as RedisGears replies with it: a string or integer as is, anything else as JSON. */
export function recordReply(record: unknown): Reply {
  if (typeof record === 'string') return record;
  if (typeof record === 'number' && Number.isSafeInteger(record)) return record;
  if (typeof record === 'bigint') return String(record);
  try {
    return JSON.stringify(record) ?? String(record);
  } catch {
    return String(record); // a cycle: JSON cannot say it, String() at least says something
  }
}

/** `{ results, errors }` as RedisGears' `[[results], [errors]]`. */
export function runResultReply(result: RunResult<unknown>): Reply {
  return [result.results.map(recordReply), result.errors.map(String)];
}

/**
 * Any engine value as a reply: objects become maps (flat `[k, v, …]` arrays in RESP2, as RedisGears' own
 * replies are), booleans integers 1/0, undefined nil, errors error replies.
 */
export function valueReply(value: unknown): Reply {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : String(value);
  if (typeof value === 'bigint') return value; // the store's exact int64 replies (INCRBY beyond 2^53)
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Error) return new ErrorReply(value.message);
  if (Array.isArray(value)) return value.map(valueReply);
  if (value instanceof Map) return new MapReply([...value].map(([k, v]) => [valueReply(k), valueReply(v)] as const));
  if (typeof value === 'object') {
    return new MapReply(Object.entries(value).map(([k, v]) => [k, valueReply(v)] as const));
  }
  return String(value);
}

/**
 * A failure as an error reply. Redis' own error replies (`RedisReplyError`: `WRONGTYPE …`, `CROSSSLOT …`) pass
 * through as they are, and so do the engine's RedisGears messages (`execution plan does not exist`) when
 * `engineMessages` says the caller is an RG command; anything else gets Redis' generic `ERR` code.
 */
export function errorReply(error: unknown, engineMessages = false): ErrorReply {
  if (error instanceof RedisReplyError || (engineMessages && error instanceof GearsError))
    return new ErrorReply(error.message);
  if (error instanceof Error) return new ErrorReply(`ERR ${error.message}`);
  return new ErrorReply(`ERR ${String(error)}`);
}
