/**
 * Random command sequences over three keys, mixing types, valid and invalid arguments, for the property
 * specs that compare a store under test with Redis (replies and keyspace events).
 */
import fc from 'fast-check';
import { sorted, type Step } from './scripts/types.ts';

const key = fc.constantFrom('{p}a', '{p}b', '{p}c');
const word = fc.constantFrom('x', 'y', 'abc', '', '1', '2', '-1', '0', '1.5', '10', 'inf');
const int = fc.constantFrom('-2', '-1', '0', '1', '2', '3', 'x');
const score = fc.constantFrom('1', '2', '2.5', '-1', '0', 'inf', '-inf', 'x', '(1', '1e3');
const lex = fc.constantFrom('-', '+', '[x', '(x', '[1', '(abc', '[', 'y');
const group = fc.constantFrom('g1', 'g2');
const consumer = fc.constantFrom('c1', 'c2');
const id = fc.constantFrom('1-1', '2', '2-*', '3-0', '0-1', '5-5', '-', '+', 'x');

const cmd = (...parts: fc.Arbitrary<string>[]): fc.Arbitrary<string[]> => fc.tuple(...parts);
const lit = (s: string): fc.Arbitrary<string> => fc.constant(s);
const opt = (...choices: string[]): fc.Arbitrary<string[]> =>
  fc
    .subarray(choices, { maxLength: Math.min(2, choices.length) })
    .chain((picked) => fc.shuffledSubarray(picked, { minLength: picked.length }));

// Steps are generated as plain arrays (values fast-check can shrink and print) and only then given their
// normaliser: hash-table order of SMEMBERS differs between any two Redis processes.
export const randomStep: fc.Arbitrary<Step> = fc
  .oneof(
    cmd(lit('SET'), key, word).chain((c) => opt('NX', 'XX', 'GET', 'KEEPTTL').map((o) => [...c, ...o])),
    cmd(fc.constantFrom('GET', 'INCR', 'DECR', 'STRLEN', 'GETDEL', 'TYPE', 'EXISTS', 'TTL', 'PERSIST'), key),
    cmd(fc.constantFrom('APPEND', 'INCRBY', 'DECRBY', 'SETNX', 'GETSET'), key, fc.oneof(word, int)),
    cmd(fc.constantFrom('DEL', 'RENAME', 'RENAMENX'), key, key),
    cmd(lit('EXPIRE'), key, fc.constantFrom('100', '0', '-1', 'x')),
    cmd(lit('HSET'), key, word, word),
    cmd(fc.constantFrom('HGET', 'HDEL', 'HEXISTS'), key, word),
    cmd(lit('HINCRBY'), key, word, int),
    cmd(fc.constantFrom('HGETALL', 'HLEN', 'HKEYS', 'HVALS'), key),
    cmd(fc.constantFrom('LPUSH', 'RPUSH', 'LPUSHX'), key, word, word),
    cmd(fc.constantFrom('LPOP', 'RPOP'), key).chain((c) =>
      fc.option(int, { nil: undefined }).map((n) => (n === undefined ? c : [...c, n])),
    ),
    cmd(fc.constantFrom('LRANGE', 'LTRIM'), key, int, int),
    cmd(fc.constantFrom('LINDEX', 'LLEN'), key, int).map((c) => (c[0] === 'LLEN' ? c.slice(0, 2) : c)),
    cmd(lit('LREM'), key, int, word),
    cmd(lit('LSET'), key, int, word),
    cmd(lit('LINSERT'), key, fc.constantFrom('BEFORE', 'AFTER', 'X'), word, word),
    cmd(fc.constantFrom('SADD', 'SREM', 'SISMEMBER'), key, word),
    cmd(fc.constantFrom('SCARD'), key),
    cmd(lit('SMEMBERS'), key),
    cmd(lit('ZADD'), key)
      .chain((c) => opt('NX', 'XX', 'GT', 'LT', 'CH', 'INCR').map((o) => [...c, ...o]))
      .chain((c) => fc.tuple(score, word).map(([s, m]) => [...c, s, m])),
    cmd(lit('ZINCRBY'), key, score, word),
    cmd(fc.constantFrom('ZREM', 'ZSCORE', 'ZRANK'), key, word),
    cmd(fc.constantFrom('ZRANGE', 'ZREMRANGEBYRANK'), key, int, int),
    cmd(fc.constantFrom('ZRANGEBYSCORE', 'ZCOUNT', 'ZREMRANGEBYSCORE'), key, score, score),
    cmd(fc.constantFrom('ZCARD', 'ZPOPMIN', 'ZPOPMAX'), key),
    cmd(lit('XADD'), key, id, word, word),
    cmd(fc.constantFrom('XRANGE', 'XREVRANGE'), key, id, id),
    cmd(fc.constantFrom('XDEL'), key, id),
    cmd(lit('XTRIM'), key, fc.constantFrom('MAXLEN', 'MINID'), fc.oneof(int, id)),
    cmd(fc.constantFrom('XLEN'), key),
    cmd(
      lit('XADD'),
      key,
      fc.constantFrom('MAXLEN', 'MINID'),
      fc.constantFrom('~', '='),
      fc.constantFrom('1', '2', '3-0'),
      id,
      word,
      word,
    ),
    cmd(lit('XGROUP'), lit('CREATE'), key, group, fc.constantFrom('0', '$', '2-0', 'x')).chain((c) =>
      fc.boolean().map((mk) => (mk ? [...c, 'MKSTREAM'] : c)),
    ),
    cmd(lit('XGROUP'), fc.constantFrom('DESTROY', 'SETID', 'CREATECONSUMER', 'DELCONSUMER'), key, group, consumer).map(
      (c) => (c[1] === 'DESTROY' ? c.slice(0, 4) : c[1] === 'SETID' ? [...c.slice(0, 4), '0'] : c),
    ),
    cmd(
      lit('XREADGROUP'),
      lit('GROUP'),
      group,
      consumer,
      lit('COUNT'),
      fc.constantFrom('1', '2', '0'),
      lit('STREAMS'),
      key,
      fc.constantFrom('>', '0', '1-1'),
    ),
    cmd(lit('XREADGROUP'), lit('GROUP'), group, consumer, lit('NOACK'), lit('STREAMS'), key, lit('>')),
    cmd(lit('XACK'), key, group, id),
    cmd(lit('XPENDING'), key, group),
    cmd(lit('XCLAIM'), key, group, consumer, lit('0'), id).chain((c) =>
      opt('JUSTID', 'FORCE').map((o) => [...c, ...o]),
    ),
    cmd(lit('XAUTOCLAIM'), key, group, consumer, lit('0'), fc.constantFrom('0', '2-0', '(1-1')).chain((c) =>
      opt('JUSTID').map((o) => [...c, 'COUNT', '2', ...o]),
    ),
    cmd(lit('XINFO'), lit('GROUPS'), key),
    cmd(fc.constantFrom('SINTERSTORE', 'SUNIONSTORE', 'SDIFFSTORE'), key, key, key),
    cmd(fc.constantFrom('SINTER', 'SUNION', 'SDIFF'), key, key),
    cmd(lit('SMOVE'), key, key, word),
    cmd(lit('RPOPLPUSH'), key, key),
    cmd(lit('LMOVE'), key, key, fc.constantFrom('LEFT', 'RIGHT'), fc.constantFrom('LEFT', 'RIGHT', 'UP')),
    cmd(lit('GETRANGE'), key, int, int),
    cmd(lit('SETRANGE'), key, fc.constantFrom('0', '1', '3', '-1'), word),
    cmd(lit('GETEX'), key, fc.constantFrom('PERSIST', 'EX', 'PXAT')).map((c) =>
      c[2] === 'PERSIST' ? c : [...c, '100'],
    ),
    cmd(fc.constantFrom('SSCAN*', 'HSCAN*', 'ZSCAN*'), key),
    cmd(lit('INCRBYFLOAT'), key, fc.oneof(word, score)),
    cmd(fc.constantFrom('ZRANGEBYLEX', 'ZREVRANGEBYLEX', 'ZLEXCOUNT', 'ZREMRANGEBYLEX'), key, lex, lex),
    cmd(lit('HINCRBYFLOAT'), key, word, fc.oneof(word, score)),
    cmd(lit('XREAD'), lit('COUNT'), lit('2'), lit('STREAMS'), key, id),
    cmd(fc.constantFrom('EXPIRE', 'PEXPIRE'), key, fc.constantFrom('100', '-1', '0')).chain((c) =>
      opt('NX', 'XX', 'GT', 'LT').map((o) => [...c, ...o]),
    ),
  )
  .map((c): Step =>
    ['SMEMBERS', 'SINTER', 'SUNION', 'SDIFF'].includes(c[0]!) ? { cmd: c, norm: sorted } : { cmd: c },
  );

/** How many sequences a property tries (`CONTRACT_RUNS` raises it for a long hunt). */
export const contractRuns = Number(process.env['CONTRACT_RUNS'] ?? 150);
