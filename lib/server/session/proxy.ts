import type { Gears } from '../../Gears.ts';
import { exists, hasFlag } from '@ioredis/commands';
import type { RunResult } from '../../engine/Execution.ts';
import { RedisReplyError } from '../../errors.ts';
import type { RedisReply } from '../../store/ShardStore.ts';
import { ErrorReply, NULL_ARRAY_REPLY, SimpleString, type Reply } from '../protocol/replies.ts';
import { nilIsNullArray } from '../../store/memory/session.ts';
import { errorReply, valueReply } from '../rg/convert.ts';

/**
 * Commands that keep state on the connection that sends them, or block it. The proxy shares one connection
 * per shard among all its clients, so one client's MULTI would capture the others' commands and one BLPOP
 * would stall everybody: these are refused instead of being silently wrong.
 */
export const REFUSED = new Set([
  'MULTI',
  'EXEC',
  'DISCARD',
  'WATCH',
  'UNWATCH',
  'SUBSCRIBE',
  'PSUBSCRIBE',
  'SSUBSCRIBE',
  'UNSUBSCRIBE',
  'PUNSUBSCRIBE',
  'SUNSUBSCRIBE',
  'MONITOR',
  'SYNC',
  'PSYNC',
  'BLPOP',
  'BRPOP',
  'BRPOPLPUSH',
  'BLMOVE',
  'BLMPOP',
  'BZPOPMIN',
  'BZPOPMAX',
  'BZMPOP',
  'WAIT',
  'WAITAOF',
  'RESET',
  'READONLY',
  'READWRITE',
  'ASKING',
  'SHUTDOWN',
]);

/** Multi-key commands whose keys the proxy splits by slot when the store has several shards, summing or joining replies. */
const PER_KEY_SUM = new Set(['DEL', 'UNLINK', 'EXISTS', 'TOUCH']);

/** Keyless commands about the whole keyspace: asked of every shard and combined. */
const ALL_SHARDS = new Set(['KEYS', 'DBSIZE', 'FLUSHALL', 'FLUSHDB', 'SCAN']);

/** SCAN over several shards: the shard index lives in the low bits of the cursor the client sees. */
const SHARD_BITS = 14n;

/** The refusal of a command that would act on a connection every client shares. */
export function refusal(name: string): ErrorReply {
  return new ErrorReply(
    `ERR '${name}' is not supported through the rxgears proxy: it would act on a connection shared by all clients`,
  );
}

async function scanAll(gears: Gears, args: string[]): Promise<Reply> {
  const shards = gears.shards;
  let combined: bigint;
  try {
    combined = BigInt(args[0] ?? '');
    if (combined < 0n) throw new RangeError();
  } catch {
    return new ErrorReply('ERR invalid cursor');
  }
  const index = Number(combined & ((1n << SHARD_BITS) - 1n));
  const shard = shards[index];
  if (!shard) return new ErrorReply('ERR invalid cursor');
  const cursor = combined >> SHARD_BITS;
  const reply = (await gears.executeOn(shard, 'SCAN', [String(cursor), ...args.slice(1)])) as [string, string[]];
  const next = BigInt(reply[0]);
  let nextCombined: bigint;
  if (next !== 0n) nextCombined = (next << SHARD_BITS) | BigInt(index);
  else nextCombined = index + 1 < shards.length ? BigInt(index + 1) : 0n;
  return [String(nextCombined), reply[1]];
}

async function onAllShards(gears: Gears, name: string, args: string[]): Promise<Reply> {
  if (name === 'SCAN') return scanAll(gears, args);
  const replies = await Promise.all(gears.shards.map((shard) => gears.executeOn(shard, name, args)));
  if (name === 'KEYS') return (replies as string[][]).flat();
  if (name === 'DBSIZE') return (replies as number[]).reduce((a, b) => a + b, 0);
  return valueReply(replies[0]); // FLUSHALL / FLUSHDB: OK from each
}

/**
 * Commands Redis answers with a status (`+OK`, `+string`) rather than a bulk string. The store's client hands
 * both over as JS strings, so the proxy restores the status here: `redis-cli` then prints `OK`, not `"OK"`.
 */
const STATUS_REPLIES = new Set([
  'SET',
  'SETEX',
  'PSETEX',
  'MSET',
  'HMSET',
  'RENAME',
  'LSET',
  'LTRIM',
  'TYPE',
  'FLUSHALL',
  'FLUSHDB',
  'PFMERGE',
  'RESTORE',
  'SWAPDB',
  'XSETID',
  'XGROUP',
  'CONFIG',
]);

/** The store's reply to `upper` as the client expects it: a status where Redis sends one. */
function statusOrValue(upper: string, args: readonly string[], value: RedisReply): Reply {
  return typeof value === 'string' && repliesStatus(upper, args) ? new SimpleString(value) : valueReply(value);
}

/** Whether a string reply of `upper args…` is a status (`+OK`) in Redis, not a bulk string. */
export function repliesStatus(upper: string, args: readonly string[]): boolean {
  // SET … GET answers the old value (a bulk string); XGROUP CREATECONSUMER / CONFIG GET are not statuses either.
  if (upper === 'PFDEBUG') return args[0]?.toLowerCase() === 'encoding'; // `+sparse` / `+dense`
  return STATUS_REPLIES.has(upper) && !(upper === 'SET' && args.some((a, i) => i > 1 && a.toUpperCase() === 'GET'));
}

/**
 * A CommandReader `hook`'s result as the command's reply: its one record as is (a status where the command it
 * stands in for answers one: `callNext`'s `OK` for SET reads `OK`), or its first error.
 */
export function hookReply(upper: string, args: readonly string[], result: RunResult<unknown>): Reply {
  if (result.errors.length > 0) return new ErrorReply(result.errors[0]!);
  if (result.results.length !== 1) return result.results.map(valueReply);
  const [record] = result.results;
  return typeof record === 'string' ? statusOrValue(upper, args, record) : valueReply(record);
}

/** The hook overriding `command`, run; undefined when none does. */
async function runHook(gears: Gears, command: string, args: string[]): Promise<RunResult<unknown> | undefined> {
  try {
    return await gears.runHook(command, args);
  } catch (error) {
    // Keys of several slots: no one shard to run a hook on. The command goes on (split, or CROSSSLOT).
    if (error instanceof RedisReplyError && error.message.startsWith('CROSSSLOT')) return undefined;
    throw error;
  }
}

/** What the command does to the data, before any sync registration it triggered ran. */
async function forward(gears: Gears, upper: string, name: string, args: string[]): Promise<Reply> {
  if (gears.shards.length > 1) {
    if (ALL_SHARDS.has(upper)) return onAllShards(gears, upper, args);
    if (args.length > 1 && PER_KEY_SUM.has(upper)) {
      const counts = await Promise.all(args.map((key) => gears.execute(upper, key)));
      return (counts as number[]).reduce((a, b) => a + b, 0);
    }
    if (args.length > 1 && upper === 'MGET') {
      const values = await Promise.all(args.map((key) => gears.execute('MGET', key)));
      return (values as RedisReply[][]).map((value) => valueReply(value[0]));
    }
  }
  // executeOn takes the array: a second spread of a ~60k-argument command (GEOADD of 20k points) overflows the stack.
  const reply = await gears.executeOn(undefined, name, args);
  if (reply === null && nilIsNullArray(upper, args)) return NULL_ARRAY_REPLY;
  // GEOPOS: a missing member's entry is a null array in Redis (`*-1`, `_` in RESP3), not a null bulk string.
  if (upper === 'GEOPOS' && Array.isArray(reply))
    return reply.map((p) => (p === null ? NULL_ARRAY_REPLY : valueReply(p)));
  return statusOrValue(upper, args, reply);
}

/** Read-only by Redis' command table: cannot trigger keyspace events, so no sync gear to wait for. */
export function readOnly(name: string): boolean {
  const lower = name.toLowerCase();
  return exists(lower) && hasFlag(lower, 'readonly');
}

/**
 * Runs a client's command on the store through the engine (which routes it by key slot) and maps the reply
 * to RESP. A CommandReader `hook` registered for the command runs instead (its `callNext` runs the command).
 * After a command that may write, the reply waits for the `sync` registrations it triggered
 * (`gears.settleSync()`), so they ran "before the reply" as in RedisGears. With several shards, the
 * keyspace-wide commands (KEYS, SCAN, DBSIZE, FLUSHALL, FLUSHDB) ask every shard, and DEL / UNLINK / EXISTS /
 * TOUCH / MGET over keys of different slots are split per key — not atomic, but what a user of one
 * `redis-cli` prompt expects; other cross-slot commands get Redis Cluster's CROSSSLOT.
 *
 * @example
 * await proxyCommand(gears, 'HSET', ['person:1', 'name', 'Rick']) // 2
 */
export async function proxyCommand(gears: Gears, name: string, args: string[]): Promise<Reply> {
  const upper = name.toUpperCase();
  if (REFUSED.has(upper)) return refusal(upper);
  if ((upper === 'XREAD' || upper === 'XREADGROUP') && args.some((a) => a.toUpperCase() === 'BLOCK')) {
    return refusal(`${upper} BLOCK`);
  }
  let reply: Reply;
  try {
    const hooked = await runHook(gears, name, args);
    reply = hooked ? hookReply(upper, args, hooked) : await forward(gears, upper, name, args);
  } catch (error) {
    return errorReply(error);
  }
  if (!readOnly(name)) {
    // The command's own reply stands even if waiting fails (the engine closing): its effect already happened.
    await gears.settleSync().catch(() => undefined);
  }
  return reply;
}
