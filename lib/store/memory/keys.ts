/** Keyspace commands: DEL, EXISTS, TYPE, KEYS, SCAN, EXPIRE family, TTL family, PERSIST, RENAME, FLUSH*, … */
import { RedisReplyError } from '../../errors.ts';
import type { RedisReply } from '../ShardStore.ts';
import { compileGlob } from './glob.ts';
import type { Keyspace } from './Keyspace.ts';
import { intArg } from './numbers.ts';
import { arityError, ERR_NO_SUCH_KEY, syntaxError } from './replies.ts';
import { invalidExpireTime, secondsOverflow } from './strings/strings.ts';
import { type CommandContext, type CommandDef } from './types.ts';
import { typeOf } from './values.ts';

function del({ ks }: CommandContext, args: string[]): RedisReply {
  let count = 0;
  for (const key of args) {
    if (ks.lookup(key) !== undefined && ks.remove(key)) {
      ks.notify('del', key);
      count++;
    }
  }
  return count;
}

function expireCommand(name: string, unit: 's' | 'ms', relative: boolean) {
  return ({ ks }: CommandContext, args: string[]): RedisReply => {
    const key = args[0]!;
    let nx = false;
    let xx = false;
    let gt = false;
    let lt = false;
    for (const opt of args.slice(2)) {
      const o = opt.toUpperCase();
      if (o === 'NX') nx = true;
      else if (o === 'XX') xx = true;
      else if (o === 'GT') gt = true;
      else if (o === 'LT') lt = true;
      else throw new RedisReplyError(`ERR Unsupported option ${opt}`);
    }
    if (nx && (xx || gt || lt))
      throw new RedisReplyError('ERR NX and XX, GT or LT options at the same time are not compatible');
    if (gt && lt) throw new RedisReplyError('ERR GT and LT options at the same time are not compatible');
    let when = intArg(args[1]!);
    if (unit === 's') {
      if (secondsOverflow(args[1]!)) throw invalidExpireTime(name);
      when *= 1000;
    }
    if (relative) {
      if (when > Number.MAX_SAFE_INTEGER && BigInt(when) > 2n ** 63n - 1n - BigInt(ks.time))
        throw invalidExpireTime(name);
      when += ks.time;
    }
    if (ks.lookup(key) === undefined) return 0;
    const current = ks.getExpire(key);
    if (nx && current !== undefined) return 0;
    if (xx && current === undefined) return 0;
    if (gt && (current === undefined || when <= current)) return 0;
    if (lt && current !== undefined && when >= current) return 0;
    if (when <= ks.time) {
      ks.remove(key);
      ks.notify('del', key);
    } else {
      ks.setExpire(key, when);
      ks.notify('expire', key);
    }
    return 1;
  };
}

function ttlCommand(unit: 's' | 'ms', absolute: boolean) {
  return ({ ks }: CommandContext, args: string[]): RedisReply => {
    if (ks.lookup(args[0]!) === undefined) return -2;
    const at = ks.getExpire(args[0]!);
    if (at === undefined) return -1;
    if (absolute) return unit === 'ms' ? at : Math.floor(at / 1000);
    const ttl = Math.max(0, at - ks.time);
    return unit === 'ms' ? ttl : Math.floor((ttl + 500) / 1000);
  };
}

function rename(nx: boolean) {
  return ({ ks }: CommandContext, args: string[]): RedisReply => {
    const [src, dst] = [args[0]!, args[1]!];
    const value = ks.lookup(src);
    if (value === undefined) throw new RedisReplyError(ERR_NO_SUCH_KEY);
    if (src === dst) return nx ? 0 : 'OK';
    const deadline = ks.getExpire(src);
    if (ks.lookup(dst) !== undefined) {
      if (nx) return 0;
      ks.remove(dst);
    }
    ks.remove(src);
    ks.add(dst, value);
    if (deadline !== undefined) ks.setExpire(dst, deadline);
    ks.notify('rename_from', src);
    ks.notify('rename_to', dst);
    ks.signal(dst);
    return nx ? 1 : 'OK';
  };
}

/** `parseScanCursorOrReply`: an unsigned decimal, as strtoul reads it (Redis accepts a sign). */
export function parseCursor(text: string): number {
  if (!/^[+-]?[0-9]+$/.test(text)) throw new RedisReplyError('ERR invalid cursor');
  const big = BigInt(text);
  const u64 = ((big % 2n ** 64n) + 2n ** 64n) % 2n ** 64n;
  return Number(u64 % 2n ** 32n);
}

export interface ScanArgs {
  count: number;
  match: string | undefined;
  type: string | undefined;
}

export function parseScanArgs(args: string[], from: number): ScanArgs {
  const out: ScanArgs = { count: 10, match: undefined, type: undefined };
  for (let i = from; i < args.length; i += 2) {
    const opt = args[i]!.toUpperCase();
    const value = args[i + 1];
    if (value === undefined) throw syntaxError();
    if (opt === 'COUNT') {
      out.count = intArg(value);
      if (out.count < 1) throw syntaxError();
    } else if (opt === 'MATCH') out.match = value;
    else if (opt === 'TYPE') out.type = value;
    else throw syntaxError();
  }
  return out;
}

/** One SCAN step: visit buckets, then filter by pattern, type and expiry, as `scanGenericCommand` does. */
export function scanKeyspace(ks: Keyspace, cursor: number, opts: ScanArgs): [number, string[]] {
  const step = ks.scanKeys(cursor, opts.count);
  const match = opts.match === undefined || opts.match === '*' ? undefined : compileGlob(opts.match);
  const type = opts.type?.toLowerCase();
  const keys: string[] = [];
  for (const key of step.keys) {
    if (match !== undefined && !match(key)) continue;
    const value = ks.lookup(key);
    if (type !== undefined && (value === undefined ? 'none' : typeOf(value)) !== type) continue;
    if (value === undefined) continue;
    keys.push(key);
  }
  return [step.cursor, keys];
}

function flush({ ks }: CommandContext, args: string[]): RedisReply {
  if (args.length > 1) throw syntaxError();
  const mode = args[0]?.toUpperCase();
  if (mode !== undefined && mode !== 'ASYNC' && mode !== 'SYNC') throw syntaxError();
  ks.flush();
  return 'OK';
}

export const keyCommands: CommandDef[] = [
  { name: 'del', arity: -2, handler: del },
  { name: 'unlink', arity: -2, handler: del },
  {
    name: 'exists',
    arity: -2,
    handler: ({ ks }, args) => args.reduce((n, key) => (ks.lookup(key) === undefined ? n : n + 1), 0),
  },
  {
    name: 'touch',
    arity: -2,
    handler: ({ ks }, args) => args.reduce((n, key) => (ks.lookup(key) === undefined ? n : n + 1), 0),
  },
  {
    name: 'type',
    arity: 2,
    handler: ({ ks }, args) => {
      const value = ks.lookup(args[0]!);
      return value === undefined ? 'none' : typeOf(value);
    },
  },
  {
    name: 'keys',
    arity: 2,
    handler: ({ ks }, args) => {
      const match = compileGlob(args[0]!);
      const out: string[] = [];
      for (const key of ks.data.keys()) if (match(key) && !ks.isExpired(key)) out.push(key);
      return out;
    },
  },
  {
    name: 'scan',
    arity: -2,
    handler: ({ ks }, args) => {
      const cursor = parseCursor(args[0]!);
      const [next, keys] = scanKeyspace(ks, cursor, parseScanArgs(args, 1));
      return [String(next), keys];
    },
  },
  { name: 'expire', arity: -3, handler: expireCommand('expire', 's', true) },
  { name: 'pexpire', arity: -3, handler: expireCommand('pexpire', 'ms', true) },
  { name: 'expireat', arity: -3, handler: expireCommand('expireat', 's', false) },
  { name: 'pexpireat', arity: -3, handler: expireCommand('pexpireat', 'ms', false) },
  { name: 'ttl', arity: 2, handler: ttlCommand('s', false) },
  { name: 'pttl', arity: 2, handler: ttlCommand('ms', false) },
  { name: 'expiretime', arity: 2, handler: ttlCommand('s', true) },
  { name: 'pexpiretime', arity: 2, handler: ttlCommand('ms', true) },
  {
    name: 'persist',
    arity: 2,
    handler: ({ ks }, args) => {
      if (ks.lookup(args[0]!) === undefined || !ks.persist(args[0]!)) return 0;
      ks.notify('persist', args[0]!);
      return 1;
    },
  },
  { name: 'rename', arity: 3, handler: rename(false) },
  { name: 'renamenx', arity: 3, handler: rename(true) },
  { name: 'flushall', arity: -1, handler: flush },
  { name: 'flushdb', arity: -1, handler: flush },
  { name: 'dbsize', arity: 1, handler: ({ ks }) => ks.size },
  {
    name: 'ping',
    arity: -1,
    handler: (_ctx, args) => {
      if (args.length > 1) throw arityError('ping');
      return args[0] ?? 'PONG';
    },
  },
  { name: 'echo', arity: 2, handler: (_ctx, args) => args[0]! },
];
