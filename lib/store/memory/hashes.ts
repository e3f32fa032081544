/**
 * Hash commands. Fields keep insertion order, which is the order Redis replies in for small (listpack) hashes;
 * large hashes have no defined order in Redis either.
 */
import { RedisReplyError } from '../../errors.ts';
import type { RedisReply } from '../ShardStore.ts';
import type { Keyspace } from './Keyspace.ts';
import { byteLength } from './bytes.ts';
import { intArg, integerReply, isInt64Range, toBigInt64, toInt64 } from './numbers.ts';
import { addLongDouble, formatLongDouble, isFiniteLongDouble, parseLongDouble, ZERO_LD } from './longDouble.ts';
import { arityError, ERR_NOT_FLOAT, ERR_OVERFLOW } from './replies.ts';
import { type CommandContext, type CommandDef } from './types.ts';
import { Hash } from './values.ts';

function readHash(ks: Keyspace, key: string): Hash | undefined {
  return ks.get<Hash>(key, 'hash');
}

function writeHash(ks: Keyspace, key: string): Hash {
  let hash = readHash(ks, key);
  if (hash === undefined) {
    hash = new Hash();
    ks.add(key, hash);
  }
  return hash;
}

function hset(name: string, reply: 'count' | 'ok') {
  return ({ ks }: CommandContext, args: string[]): RedisReply => {
    if (args.length % 2 === 0) throw arityError(name);
    const key = args[0]!;
    const hash = writeHash(ks, key);
    let created = 0;
    for (let i = 1; i < args.length; i += 2) {
      const field = args[i]!;
      if (!hash.has(field)) created++;
      hash.set(field, args[i + 1]!);
    }
    ks.notify('hset', key);
    return reply === 'ok' ? 'OK' : created;
  };
}

function hincrby({ ks }: CommandContext, args: string[]): RedisReply {
  const [key, field] = [args[0]!, args[1]!];
  const delta = intArg(args[2]!);
  const hash = writeHash(ks, key);
  const current = hash.get(field);
  let result: number | bigint = Number.isSafeInteger(delta) ? delta : (toBigInt64(args[2]!) as bigint);
  if (current !== undefined) {
    const n = toInt64(current);
    if (n === undefined) throw new RedisReplyError('ERR hash value is not an integer');
    result = n + delta;
    if (!Number.isSafeInteger(result) || !Number.isSafeInteger(n) || !Number.isSafeInteger(delta)) {
      const big = (toBigInt64(current) as bigint) + (toBigInt64(args[2]!) as bigint);
      if (!isInt64Range(big)) throw new RedisReplyError(ERR_OVERFLOW);
      result = big;
    }
  }
  hash.set(field, String(result));
  ks.notify('hincrby', key);
  return integerReply(result);
}

function hdel({ ks }: CommandContext, args: string[]): RedisReply {
  const key = args[0]!;
  const hash = readHash(ks, key);
  if (hash === undefined) return 0;
  let deleted = 0;
  for (let i = 1; i < args.length; i++) if (hash.delete(args[i]!)) deleted++;
  if (deleted > 0) {
    ks.notify('hdel', key);
    ks.removeIfEmpty(key, hash.size);
  }
  return deleted;
}

/** HINCRBYFLOAT in Redis' long double arithmetic (event `hincrbyfloat`). */
function hincrbyfloat({ ks }: CommandContext, args: string[]): RedisReply {
  const [key, field] = [args[0]!, args[1]!];
  const incr = parseLongDouble(args[2]!);
  if (incr === undefined) throw new RedisReplyError(ERR_NOT_FLOAT);
  if (!isFiniteLongDouble(incr)) throw new RedisReplyError('ERR value is NaN or Infinity');
  const hash = writeHash(ks, key);
  const current = hash.get(field);
  const value = current === undefined ? ZERO_LD : parseLongDouble(current);
  if (value === undefined) throw new RedisReplyError('ERR hash value is not a float');
  const sum = addLongDouble(value, incr);
  if (!isFiniteLongDouble(sum)) throw new RedisReplyError('ERR increment would produce NaN or Infinity');
  const text = formatLongDouble(sum);
  hash.set(field, text);
  ks.notify('hincrbyfloat', key);
  return text;
}

export const hashCommands: CommandDef[] = [
  { name: 'hincrbyfloat', arity: 4, handler: hincrbyfloat },
  { name: 'hset', arity: -4, handler: hset('hset', 'count') },
  { name: 'hmset', arity: -4, handler: hset('hmset', 'ok') },
  {
    name: 'hsetnx',
    arity: 4,
    handler: ({ ks }, args) => {
      const hash = writeHash(ks, args[0]!);
      if (hash.has(args[1]!)) return 0;
      hash.set(args[1]!, args[2]!);
      ks.notify('hset', args[0]!);
      return 1;
    },
  },
  { name: 'hget', arity: 3, handler: ({ ks }, args) => readHash(ks, args[0]!)?.get(args[1]!) ?? null },
  {
    name: 'hmget',
    arity: -3,
    handler: ({ ks }, args) => {
      const hash = readHash(ks, args[0]!);
      return args.slice(1).map((field) => hash?.get(field) ?? null);
    },
  },
  {
    name: 'hgetall',
    arity: 2,
    handler: ({ ks }, args) => {
      const out: string[] = [];
      const hash = readHash(ks, args[0]!);
      if (hash !== undefined) for (const [field, value] of hash) out.push(field, value);
      return out;
    },
  },
  { name: 'hdel', arity: -3, handler: hdel },
  { name: 'hexists', arity: 3, handler: ({ ks }, args) => (readHash(ks, args[0]!)?.has(args[1]!) ? 1 : 0) },
  { name: 'hincrby', arity: 4, handler: hincrby },
  { name: 'hkeys', arity: 2, handler: ({ ks }, args) => [...(readHash(ks, args[0]!)?.keys() ?? [])] },
  { name: 'hvals', arity: 2, handler: ({ ks }, args) => [...(readHash(ks, args[0]!)?.values() ?? [])] },
  { name: 'hlen', arity: 2, handler: ({ ks }, args) => readHash(ks, args[0]!)?.size ?? 0 },
  {
    name: 'hstrlen',
    arity: 3,
    handler: ({ ks }, args) => byteLength(readHash(ks, args[0]!)?.get(args[1]!) ?? ''),
  },
];
