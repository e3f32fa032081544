import { GearsError, RedisReplyError } from '../../errors.ts';
import type { RedisReply, StreamEntry, ZSetMember } from '../ShardStore.ts';
import { RedisConnectionError } from './errors.ts';
import { fromBytes } from '../bytes.ts';

/**
 * Conversions from what ioredis hands back (strings, numbers, null, arrays — and Buffers or Error objects in
 * corners such as `callBuffer` or EXEC) to the RESP2 shapes `ShardStore` documents. Pure functions, so the
 * memory store and the contract suite can reason about one definition of each shape.
 */

/** ioredis' parser errors (`redis-errors` ReplyError) are the only errors that are Redis' own reply text. */
function isIoredisReplyError(error: unknown): error is Error {
  return error instanceof Error && !(error instanceof GearsError) && error.name === 'ReplyError';
}

/**
 * A reply as `RedisReply`. Buffers become store strings (UTF-8 text, other bytes escaped: `lib/store/bytes.ts`,
 * so binary values survive the round trip); an error nested in an array (EXEC, where one queued
 * command failed) rejects the whole call with that error, because `RedisReply` has no place for an error.
 */
export function toReply(value: unknown): RedisReply {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number') return value;
  if (Buffer.isBuffer(value)) return fromBytes(value);
  if (Array.isArray(value)) {
    // In place: the array is ioredis' fresh reply, owned by no one else, and a copy per reply (a 500-entry
    // XREADGROUP is ~1 500 arrays) is garbage the stream reader measured.
    for (let i = 0; i < value.length; i++) value[i] = toReply(value[i]);
    return value as RedisReply;
  }
  if (value instanceof Error) throw value;
  throw new GearsError(`unexpected reply of type ${typeof value} from ioredis`);
}

/**
 * Any error from an ioredis call as the store's error: Redis' error reply → `RedisReplyError` with the exact
 * reply text; anything else (refused connection, retries exhausted, timeout) → `RedisConnectionError`
 * naming the node and, when known, the last connection error. The ioredis error is the `cause`.
 */
export function toStoreError(error: unknown, address: string, lastConnectionError?: Error): GearsError {
  if (error instanceof GearsError) return error;
  if (isIoredisReplyError(error)) return new RedisReplyError(error.message, { cause: error });
  if (error instanceof Error && error.name === 'MaxRetriesPerRequestError') {
    const why = lastConnectionError ? lastConnectionError.message : 'connection lost';
    return new RedisConnectionError(
      address,
      `Redis ${address} is unreachable (${why}); the command was given up after the reconnection attempts ioredis' maxRetriesPerRequest allows`,
      { cause: error },
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  const why =
    lastConnectionError && lastConnectionError.message !== message
      ? ` (last connection error: ${lastConnectionError.message})`
      : '';
  return new RedisConnectionError(address, `Redis ${address}: ${message}${why}`, { cause: error });
}

/**
 * Sets a field so that `__proto__` becomes an own property instead of setting the prototype: the one accessor
 * `Object.prototype` has (other inherited names such as `toString` are plain data properties, which an
 * assignment shadows with an own one). Compared by name, not with `in`: ~0.4 µs a hash less in workload 1.
 */
export function setField(record: Record<string, string>, field: string, value: string): void {
  if (field === '__proto__')
    Object.defineProperty(record, field, { value, configurable: true, enumerable: true, writable: true });
  else record[field] = value;
}

/** `[f1, v1, f2, v2, …]` (HGETALL, a stream entry's fields) → `{ f1: v1, f2: v2 }`. */
export function pairsToRecord(flat: readonly unknown[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) setField(record, String(toReply(flat[i])), String(toReply(flat[i + 1])));
  return record;
}

/** A score as Redis prints it (`1.5`, `inf`, `-inf`) as a number. */
export function parseScore(text: string): number {
  const lower = text.toLowerCase();
  if (lower === 'inf' || lower === '+inf') return Infinity;
  if (lower === '-inf') return -Infinity;
  return Number(text);
}

/** `ZRANGE … WITHSCORES` (`[m1, s1, m2, s2, …]`) → `{ member, score }[]`. */
export function toZSetMembers(flat: readonly unknown[]): ZSetMember[] {
  const members: ZSetMember[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    members.push({ member: String(toReply(flat[i])), score: parseScore(String(toReply(flat[i + 1]))) });
  }
  return members;
}

/** An array of strings (LRANGE, SMEMBERS). */
export function toStrings(flat: readonly unknown[]): string[] {
  return flat.map((item) => String(toReply(item)));
}

/**
 * `XRANGE` → entries. Field order follows XADD except where JavaScript objects reorder: integer-like field
 * names come first, as in any JS object; a field repeated within one entry keeps its last value.
 */
export function toStreamEntries(reply: unknown): StreamEntry[] {
  if (!Array.isArray(reply)) return [];
  return reply.map((entry: unknown) => {
    const [id, fields] = Array.isArray(entry) ? entry : [];
    return { id: String(toReply(id)), value: pairsToRecord(Array.isArray(fields) ? fields : []) };
  });
}
