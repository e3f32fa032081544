/** String commands: GET, SET and its options, MGET, MSET, INCR/DECR family, APPEND, STRLEN, GETDEL, SETNX, … */
import { RedisReplyError } from '../../../errors.ts';
import type { RedisReply } from '../../ShardStore.ts';
import type { Keyspace } from '../Keyspace.ts';
import { byteLength, canonical, fromBytes, toBytes } from '../bytes.ts';
import { integerReply, isInt64Range, toBigInt64, toInt64, intArg } from '../numbers.ts';
import { addLongDouble, formatLongDouble, isFiniteLongDouble, parseLongDouble, ZERO_LD } from '../longDouble.ts';
import { arityError, ERR_NOT_FLOAT, ERR_NOT_INTEGER, ERR_OVERFLOW, syntaxError } from '../replies.ts';
import type { CommandContext, CommandDef } from '../types.ts';

function getString(ks: Keyspace, key: string): string | undefined {
  return ks.get<string>(key, 'string');
}

/** Whether seconds `text` overflows int64 once in milliseconds (`when > LLONG_MAX / 1000`), checked exactly. */
export function secondsOverflow(text: string): boolean {
  if (text.length < 16) return false;
  const big = BigInt(text);
  return big > 9223372036854775n || big < -9223372036854775n;
}

export function invalidExpireTime(command: string): RedisReplyError {
  return new RedisReplyError(`ERR invalid expire time in '${command}' command`);
}

/**
 * `getExpireMillisecondsOrReply`: a relative (`EX`/`PX`) or absolute (`EXAT`/`PXAT`) expiry to a deadline in
 * unix milliseconds.
 */
export function expireDeadline(
  ks: Keyspace,
  text: string,
  unit: 's' | 'ms',
  relative: boolean,
  command: string,
): number {
  let ms = intArg(text);
  if (ms <= 0 || (unit === 's' && secondsOverflow(text))) throw invalidExpireTime(command);
  if (unit === 's') ms *= 1000;
  if (relative) ms += ks.time;
  if (ms <= 0) throw invalidExpireTime(command);
  return ms;
}

function set(ctx: CommandContext, args: string[]): RedisReply {
  const ks = ctx.ks;
  const key = args[0]!;
  const value = args[1]!;
  let nx = false;
  let xx = false;
  let get = false;
  let keepTtl = false;
  let expiry: { text: string; unit: 's' | 'ms'; relative: boolean } | undefined;
  for (let j = 2; j < args.length; j++) {
    const opt = args[j]!.toUpperCase();
    const next = args[j + 1];
    if (opt === 'NX' && !xx) nx = true;
    else if (opt === 'XX' && !nx) xx = true;
    else if (opt === 'GET') get = true;
    else if (opt === 'KEEPTTL' && expiry === undefined) keepTtl = true;
    else if ((opt === 'EX' || opt === 'PX' || opt === 'EXAT' || opt === 'PXAT') && !keepTtl && next !== undefined) {
      // Redis lets an option repeat itself (the last wins) but refuses two different expiry options.
      const unit = opt === 'EX' || opt === 'EXAT' ? 's' : 'ms';
      const relative = opt === 'EX' || opt === 'PX';
      if (expiry !== undefined && (expiry.unit !== unit || expiry.relative !== relative)) throw syntaxError();
      expiry = { text: next, unit, relative };
      j++;
    } else throw syntaxError();
  }
  const deadline = expiry && expireDeadline(ks, expiry.text, expiry.unit, expiry.relative, 'set');
  let old: string | null = null;
  if (get) old = getString(ks, key) ?? null;
  if (nx || xx || ks.expires.size !== 0) {
    // The lookup also expires a stale key first (event `expired`), as Redis' lookupKeyWrite does.
    const found = ks.lookup(key) !== undefined;
    if ((nx && found) || (xx && !found)) return get ? old : null;
  }
  ks.set(key, value, keepTtl);
  ks.notify('set', key);
  if (deadline !== undefined) {
    ks.setExpire(key, deadline);
    ks.notify('expire', key);
  }
  return get ? old : 'OK';
}

function setWithExpiry(unit: 's' | 'ms', command: string) {
  return (ctx: CommandContext, args: string[]): RedisReply => {
    const deadline = expireDeadline(ctx.ks, args[1]!, unit, true, command);
    ctx.ks.set(args[0]!, args[2]!);
    ctx.ks.notify('set', args[0]!);
    ctx.ks.setExpire(args[0]!, deadline);
    ctx.ks.notify('expire', args[0]!);
    return 'OK';
  };
}

/** INCR/DECR/INCRBY/DECRBY: int64 arithmetic with Redis' overflow error, the TTL kept. */
function incrBy(ks: Keyspace, key: string, delta: number | bigint): RedisReply {
  const current = getString(ks, key);
  let result: number | bigint;
  if (current === undefined) {
    result = delta;
  } else {
    const n = toInt64(current);
    if (n === undefined) throw new RedisReplyError(ERR_NOT_INTEGER);
    const sum = n + Number(delta);
    if (Number.isSafeInteger(sum) && Number.isSafeInteger(n)) {
      result = sum;
    } else {
      const big = (toBigInt64(current) as bigint) + BigInt(delta);
      if (!isInt64Range(big)) throw new RedisReplyError(ERR_OVERFLOW);
      result = big;
    }
  }
  ks.set(key, String(result), true);
  ks.notify('incrby', key);
  return integerReply(result);
}

function deltaArg(text: string, negate: boolean): number | bigint {
  const n = intArg(text);
  if (!negate) return Number.isSafeInteger(n) ? n : (toBigInt64(text) as bigint);
  if (text === '-9223372036854775808') throw new RedisReplyError('ERR decrement would overflow');
  return Number.isSafeInteger(n) ? 0 - n : -(toBigInt64(text) as bigint);
}

function mset(ctx: CommandContext, args: string[]): RedisReply {
  if (args.length % 2 !== 0) throw arityError('mset');
  for (let i = 0; i < args.length; i += 2) {
    ctx.ks.set(args[i]!, args[i + 1]!);
    ctx.ks.notify('set', args[i]!);
  }
  return 'OK';
}

/** GETEX: GET that also sets (EX/PX/EXAT/PXAT) or removes (PERSIST) the TTL. */
function getex({ ks }: CommandContext, args: string[]): RedisReply {
  const key = args[0]!;
  let expiry: { text: string; unit: 's' | 'ms'; relative: boolean } | undefined;
  let persist = false;
  for (let j = 1; j < args.length; j++) {
    const opt = args[j]!.toUpperCase();
    const next = args[j + 1];
    if (opt === 'PERSIST' && expiry === undefined) persist = true;
    else if ((opt === 'EX' || opt === 'PX' || opt === 'EXAT' || opt === 'PXAT') && !persist && next !== undefined) {
      const unit = opt === 'EX' || opt === 'EXAT' ? 's' : 'ms';
      const relative = opt === 'EX' || opt === 'PX';
      if (expiry !== undefined && (expiry.unit !== unit || expiry.relative !== relative)) throw syntaxError();
      expiry = { text: next, unit, relative };
      j++;
    } else throw syntaxError();
  }
  const value = getString(ks, key);
  if (value === undefined) return null;
  if (expiry !== undefined) {
    const deadline = expireDeadline(ks, expiry.text, expiry.unit, expiry.relative, 'getex');
    if (!expiry.relative && deadline <= ks.time) {
      ks.remove(key);
      ks.notify('del', key);
    } else {
      ks.setExpire(key, deadline);
      ks.notify('expire', key);
    }
  } else if (persist && ks.persist(key)) {
    ks.notify('persist', key);
  }
  return value;
}

function msetnx(ctx: CommandContext, args: string[]): RedisReply {
  if (args.length % 2 !== 0) throw arityError('msetnx');
  for (let i = 0; i < args.length; i += 2) if (ctx.ks.lookup(args[i]!) !== undefined) return 0;
  mset(ctx, args);
  return 1;
}

/** GETRANGE: a byte range of the value (see bytes.ts), with Redis' index normalisation. */
function getrange({ ks }: CommandContext, args: string[]): RedisReply {
  let start = intArg(args[1]!);
  let end = intArg(args[2]!);
  const value = getString(ks, args[0]!);
  if (value === undefined) return '';
  const bytes = toBytes(value);
  const length = bytes.length;
  if (start < 0 && end < 0 && start > end) return '';
  if (start < 0) start += length;
  if (end < 0) end += length;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= length) end = length - 1;
  if (start > end || length === 0) return '';
  return fromBytes(bytes.subarray(start, end + 1));
}

/** SETRANGE: overwrites bytes from an offset, padding with zero bytes (event `setrange`). */
function setrange({ ks }: CommandContext, args: string[]): RedisReply {
  const key = args[0]!;
  const offset = intArg(args[1]!);
  if (offset < 0) throw new RedisReplyError('ERR offset is out of range');
  const patch = toBytes(args[2]!);
  const current = getString(ks, key);
  if (patch.length === 0) return current === undefined ? 0 : byteLength(current);
  if (offset + patch.length > 512 * 1024 * 1024) {
    throw new RedisReplyError('ERR string exceeds maximum allowed size (proto-max-bulk-len)');
  }
  const old = toBytes(current ?? '');
  const bytes = Buffer.alloc(Math.max(old.length, offset + patch.length));
  old.copy(bytes);
  patch.copy(bytes, offset);
  ks.set(key, fromBytes(bytes), true);
  ks.notify('setrange', key);
  return bytes.length;
}

/** INCRBYFLOAT in Redis' long double arithmetic, the TTL kept (event `incrbyfloat`). */
function incrbyfloat({ ks }: CommandContext, args: string[]): RedisReply {
  const key = args[0]!;
  const current = getString(ks, key);
  const value = current === undefined ? ZERO_LD : parseLongDouble(current);
  const incr = parseLongDouble(args[1]!);
  if (value === undefined || incr === undefined) throw new RedisReplyError(ERR_NOT_FLOAT);
  const sum = addLongDouble(value, incr);
  if (!isFiniteLongDouble(sum)) throw new RedisReplyError('ERR increment would produce NaN or Infinity');
  const text = formatLongDouble(sum);
  ks.set(key, text, true);
  ks.notify('incrbyfloat', key);
  return text;
}

export const stringCommands: CommandDef[] = [
  { name: 'incrbyfloat', arity: 3, handler: incrbyfloat },
  { name: 'getrange', arity: 4, handler: getrange },
  { name: 'setrange', arity: 4, handler: setrange },
  { name: 'getex', arity: -2, handler: getex },
  { name: 'msetnx', arity: -3, handler: msetnx },
  { name: 'get', arity: 2, handler: (ctx, args) => getString(ctx.ks, args[0]!) ?? null },
  { name: 'set', arity: -3, handler: set },
  { name: 'setex', arity: 4, handler: setWithExpiry('s', 'setex') },
  { name: 'psetex', arity: 4, handler: setWithExpiry('ms', 'psetex') },
  {
    name: 'setnx',
    arity: 3,
    handler: ({ ks }, args) => {
      if (ks.lookup(args[0]!) !== undefined) return 0;
      ks.set(args[0]!, args[1]!);
      ks.notify('set', args[0]!);
      return 1;
    },
  },
  {
    name: 'getset',
    arity: 3,
    handler: ({ ks }, args) => {
      const old = getString(ks, args[0]!) ?? null;
      ks.set(args[0]!, args[1]!);
      ks.notify('set', args[0]!);
      return old;
    },
  },
  {
    name: 'getdel',
    arity: 2,
    handler: ({ ks }, args) => {
      const value = getString(ks, args[0]!);
      if (value === undefined) return null;
      ks.remove(args[0]!);
      ks.notify('del', args[0]!);
      return value;
    },
  },
  {
    name: 'mget',
    arity: -2,
    handler: ({ ks }, args) =>
      args.map((key) => {
        const v = ks.lookup(key);
        return typeof v === 'string' ? v : null;
      }),
  },
  { name: 'mset', arity: -3, handler: mset },
  { name: 'incr', arity: 2, handler: ({ ks }, args) => incrBy(ks, args[0]!, 1) },
  { name: 'decr', arity: 2, handler: ({ ks }, args) => incrBy(ks, args[0]!, -1) },
  { name: 'incrby', arity: 3, handler: ({ ks }, args) => incrBy(ks, args[0]!, deltaArg(args[1]!, false)) },
  { name: 'decrby', arity: 3, handler: ({ ks }, args) => incrBy(ks, args[0]!, deltaArg(args[1]!, true)) },
  {
    name: 'append',
    arity: 3,
    handler: ({ ks }, args) => {
      const value = canonical((getString(ks, args[0]!) ?? '') + args[1]!);
      ks.set(args[0]!, value, true);
      ks.notify('append', args[0]!);
      return byteLength(value);
    },
  },
  { name: 'strlen', arity: 2, handler: ({ ks }, args) => byteLength(getString(ks, args[0]!) ?? '') },
];
