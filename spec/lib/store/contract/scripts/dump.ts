/**
 * DUMP and RESTORE. The contract scripts restore payloads (store strings of their bytes, which the oracle gets
 * as those bytes) and read the values back: payloads redis-server 7.0.15 DUMPed, the older encodings Redis
 * still loads built here byte by byte, and broken ones. The wire script compares DUMP's bytes themselves.
 */
import { fromBytes } from '../../../../../lib/store/bytes.ts';
import { crc64 } from '../../../../../lib/store/memory/persistence/crc64.ts';
import { n, pendingIdle, positive, script, type Script } from './types.ts';
import type { WireScript } from './wire.ts';

/** A payload as it came from redis-server 7.0.15's DUMP (CRC included). */
const dumped = (hex: string): string => fromBytes(Buffer.from(hex, 'hex'));

/** A payload of `body` (type byte, value) with its RDB version and CRC-64, as DUMP would end it. */
function payload(body: Buffer | string, version = 10): string {
  const bytes = Buffer.concat([typeof body === 'string' ? Buffer.from(body, 'hex') : body, Buffer.of(version, 0)]);
  return fromBytes(Buffer.concat([bytes, crc64(bytes)]));
}

/** An RDB string: 6-bit length and bytes. */
const rdbString = (s: string): Buffer => Buffer.concat([Buffer.of(Buffer.byteLength(s)), Buffer.from(s)]);

/** A ziplist (Redis ≤ 6.2) of entries given as encoding + data; each gets its previous entry's length. */
function ziplist(entries: Buffer[]): Buffer {
  const parts: Buffer[] = [];
  let prev = 0;
  for (const e of entries) {
    const prevlen = prev < 254 ? Buffer.of(prev) : Buffer.concat([Buffer.of(0xfe), u32le(prev)]);
    const entry = Buffer.concat([prevlen, e]);
    parts.push(entry);
    prev = entry.length;
  }
  const body = Buffer.concat(parts);
  const total = 11 + body.length;
  const tail = total - 1 - (parts[parts.length - 1]?.length ?? 0);
  const header = Buffer.concat([u32le(total), u32le(tail), Buffer.of(parts.length & 0xff, parts.length >> 8)]);
  return Buffer.concat([header, body, Buffer.of(0xff)]);
}

function u32le(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v);
  return b;
}

/** Ziplist entries: a short string, a 14-bit-length string, and each integer encoding. */
const zl = {
  str: (s: string): Buffer => Buffer.concat([Buffer.of(Buffer.byteLength(s)), Buffer.from(s)]),
  str14: (s: string): Buffer => Buffer.concat([Buffer.of(0x40 | (s.length >> 8), s.length & 0xff), Buffer.from(s)]),
  imm: (v: number): Buffer => Buffer.of(0xf1 + v), // 0 … 12
  int8: (v: number): Buffer => Buffer.of(0xfe, v & 0xff),
  int16: (v: number): Buffer => Buffer.concat([Buffer.of(0xc0), Buffer.from(new Int16Array([v]).buffer)]),
  int24: (v: number): Buffer => {
    const b = Buffer.alloc(4);
    b[0] = 0xf0;
    b.writeIntLE(v, 1, 3);
    return b;
  },
  int32: (v: number): Buffer => Buffer.concat([Buffer.of(0xd0), Buffer.from(new Int32Array([v]).buffer)]),
  int64: (v: bigint): Buffer => Buffer.concat([Buffer.of(0xe0), Buffer.from(new BigInt64Array([v]).buffer)]),
};

/** An RDB string holding a blob (length-prefixed, 14-bit length when needed). */
function blob(b: Buffer): Buffer {
  const len = b.length < 64 ? Buffer.of(b.length) : Buffer.of(0x40 | (b.length >> 8), b.length & 0xff);
  return Buffer.concat([len, b]);
}

const LONG = 'L'.repeat(300); // a ziplist entry whose successor's previous-length takes 5 bytes

/** Payloads redis-server 7.0.15 DUMPed (HSET f v n 42; ZADD 1.5 a 2 b; RPUSH x 7 yy; SADD a b; SET y×50). */
const REDIS = {
  hash: dumped('1012120000000400816602817602816e022a01ff0a00ff30e87f7262d991'),
  zset: dumped('111414000000040081610283312e35048162020201ff0a00fa02b425af188763'),
  list: dumped('12010210100000000300817802070182797903ff0a00477e10cf0e0e0b1e'),
  set: dumped('0202016101620a00fe642125eb033d0d'),
  string: dumped('00c30932017979e025000179790a006c5155832b99782f'),
  // The stream of Redis' own test "Loading from legacy (Redis <= v6.2.x, rdb_ver < 10) persistence": DUMPed
  // from Redis 5 (RDB 9) after six XADDs, an XDEL, two groups, an XREADGROUP of four and XTRIM MAXLEN 2.
  legacyStream: dumped(
    '0f011000000000000000010000000000000000c3404a405716570000002300020104010101846461746105000103010020010381' +
      '610204200a0001400a0062600a0002400a0063600a4022018164200a4039200a0065600a0005400a0066200a00ff020600020267' +
      '31050004000000000000000100000000000000003ef783437a01000001000000000000000200000000000000003ef783437a0100' +
      '0001000000000000000400000000000000003ef783437a01000001000000000000000500000000000000003ef783437a01000001' +
      '01036331313ef783437a010000040000000000000001000000000000000000000000000000020000000000000000000000000000' +
      '00040000000000000000000000000000000500000000000000000267320000000009003d52ef6867521dfa',
  ),
};

const OLD = {
  hashZiplist: payload(
    Buffer.concat([Buffer.of(13), blob(ziplist([zl.str('f'), zl.str14(LONG), zl.str('n'), zl.int16(-300)]))]),
  ),
  zsetZiplist: payload(
    Buffer.concat([Buffer.of(12), blob(ziplist([zl.str('b'), zl.imm(1), zl.str('a'), zl.str('2.5')]))]),
  ),
  listZiplist: payload(
    Buffer.concat([
      Buffer.of(10),
      blob(ziplist([zl.imm(0), zl.imm(12), zl.int8(-7), zl.int16(32767), zl.int24(-8388608), zl.int32(2147483647)])),
    ]),
  ),
  quicklist: payload(
    Buffer.concat([
      Buffer.of(14, 2),
      blob(ziplist([zl.str('a'), zl.int64(-9223372036854775808n)])),
      blob(ziplist([zl.str14(LONG), zl.str('z')])),
    ]),
  ),
  list: payload(Buffer.concat([Buffer.of(1, 2), rdbString('x'), rdbString('y')])),
  set: payload(Buffer.concat([Buffer.of(2, 3), rdbString('30'), rdbString('-4'), rdbString('100')])),
  hash: payload(Buffer.concat([Buffer.of(4, 1), rdbString('f'), rdbString('v')])),
  // Sorted set of text doubles: "1.5", +inf (254), -inf (255).
  zsetText: payload(
    Buffer.concat([
      Buffer.of(3, 3),
      rdbString('a'),
      Buffer.of(3),
      Buffer.from('1.5'),
      rdbString('b'),
      Buffer.of(254),
      rdbString('c'),
      Buffer.of(255),
    ]),
  ),
  stringV9: payload(Buffer.concat([Buffer.of(0), rdbString('old')]), 9),
};

const BROKEN = {
  version11: payload(Buffer.concat([Buffer.of(0), rdbString('new')]), 11),
  module: payload('07' + '00'.repeat(12)),
  truncated: payload('003f616263'), // 63 bytes announced: Redis reads on into the footer, then runs out
  emptyQuicklist: payload('1200'),
  listpackOddHash: payload(
    Buffer.concat([Buffer.of(16), blob(Buffer.from('0a00000001008166 02ff'.replace(' ', ''), 'hex'))]),
  ),
  badIntset: payload(Buffer.concat([Buffer.of(11), blob(Buffer.from('030000000100000005', 'hex'))])),
  badLzf: payload('00c30510ffffffffff'),
  stringType: payload('00c4'),
  badCrc: dumped('0005616263640a000000000000000000'),
};

export const dumpScripts: Script[] = [
  script(
    'RESTORE of payloads redis-server DUMPed, read back',
    ['RESTORE', '{p}h', '0', REDIS.hash],
    ['HGETALL', '{p}h'],
    ['OBJECT', 'ENCODING', '{p}h'],
    ['RESTORE', '{p}z', '0', REDIS.zset],
    ['ZRANGE', '{p}z', '0', '-1', 'WITHSCORES'],
    ['RESTORE', '{p}l', '0', REDIS.list],
    ['LRANGE', '{p}l', '0', '-1'],
    ['RESTORE', '{p}s', '0', REDIS.set],
    ['SCARD', '{p}s'],
    ['SMISMEMBER', '{p}s', 'a', 'b', 'c'],
    ['RESTORE', '{p}str', '0', REDIS.string],
    ['GET', '{p}str'],
    ['RESTORE', '{p}x', '0', REDIS.legacyStream],
    ['XINFO', 'STREAM', '{p}x', 'FULL'],
    ['XRANGE', '{p}x', '-', '+'],
    n(pendingIdle, 'XPENDING', '{p}x', 'g1', '-', '+', '10'),
    ['XINFO', 'GROUPS', '{p}x'],
    ['XADD', '{p}x', '7-0', 'data', 'g'],
    ['XREADGROUP', 'GROUP', 'g2', 'c2', 'STREAMS', '{p}x', '>'],
  ),
  script(
    'RESTORE of the encodings before 7.0: ziplists, quicklists of ziplists, plain collections, text doubles',
    ['RESTORE', '{p}hz', '0', OLD.hashZiplist],
    ['HGETALL', '{p}hz'],
    ['RESTORE', '{p}zz', '0', OLD.zsetZiplist],
    ['ZRANGE', '{p}zz', '0', '-1', 'WITHSCORES'],
    ['RESTORE', '{p}lz', '0', OLD.listZiplist],
    ['LRANGE', '{p}lz', '0', '-1'],
    ['RESTORE', '{p}q', '0', OLD.quicklist],
    ['LRANGE', '{p}q', '0', '-1'],
    ['RESTORE', '{p}l', '0', OLD.list],
    ['LRANGE', '{p}l', '0', '-1'],
    ['RESTORE', '{p}s', '0', OLD.set],
    ['SMEMBERS', '{p}s'],
    ['OBJECT', 'ENCODING', '{p}s'],
    ['RESTORE', '{p}h', '0', OLD.hash],
    ['HGETALL', '{p}h'],
    ['RESTORE', '{p}zt', '0', OLD.zsetText],
    ['ZRANGE', '{p}zt', '0', '-1', 'WITHSCORES'],
    ['RESTORE', '{p}v9', '0', OLD.stringV9],
    ['GET', '{p}v9'],
  ),
  script(
    'RESTORE options, TTLs and errors, in the order Redis checks them',
    ['DUMP', '{p}none'],
    ['RESTORE', '{p}k', '0', REDIS.hash],
    ['RESTORE', '{p}k', '0', REDIS.list],
    ['RESTORE', '{p}k', '-1', REDIS.list],
    ['RESTORE', '{p}k', '0', REDIS.list, 'BOGUS'],
    ['RESTORE', '{p}k', '0', REDIS.list, 'REPLACE'],
    ['TYPE', '{p}k'],
    ['RESTORE', '{p}n', '-1', REDIS.list],
    ['RESTORE', '{p}n', 'soon', REDIS.list],
    ['RESTORE', '{p}n', '0', 'not a payload'],
    ['RESTORE', '{p}n', '0', REDIS.list, 'IDLETIME', '-1'],
    ['RESTORE', '{p}n', '0', REDIS.list, 'IDLETIME', 'x'],
    ['RESTORE', '{p}n', '0', REDIS.list, 'FREQ', '256'],
    ['RESTORE', '{p}n', '0', REDIS.list, 'FREQ', '-1'],
    ['RESTORE', '{p}n', '0', REDIS.list, 'IDLETIME', '5', 'FREQ', '5'],
    ['RESTORE', '{p}n', '0', REDIS.list, 'FREQ', '5', 'IDLETIME', '5'],
    ['RESTORE', '{p}n', '0', REDIS.list, 'IDLETIME'],
    ['RESTORE', '{p}n', '0', REDIS.list, 'IDLETIME', '5'],
    ['RESTORE', '{p}f', '0', REDIS.list, 'FREQ', '7'],
    ['EXISTS', '{p}n', '{p}f'],
    ['RESTORE', '{p}t', '4102444800000', REDIS.string, 'ABSTTL'],
    ['PEXPIRETIME', '{p}t'],
    ['RESTORE', '{p}t', '1', REDIS.string, 'ABSTTL', 'REPLACE'],
    ['EXISTS', '{p}t'],
    ['RESTORE', '{p}u', '100000', REDIS.string],
    n(positive, 'TTL', '{p}u'),
    ['RESTORE', '{p}b', '0', BROKEN.version11],
    ['RESTORE', '{p}b', '0', BROKEN.badCrc],
    ['RESTORE', '{p}b', '0', BROKEN.module],
    ['RESTORE', '{p}b', '0', BROKEN.truncated],
    ['RESTORE', '{p}b', '0', BROKEN.emptyQuicklist],
    ['RESTORE', '{p}b', '0', BROKEN.listpackOddHash],
    ['RESTORE', '{p}b', '0', BROKEN.badIntset],
    ['RESTORE', '{p}b', '0', BROKEN.badLzf],
    ['RESTORE', '{p}b', '0', BROKEN.stringType],
    ['EXISTS', '{p}b'],
    ['RESTORE', '{p}b'],
    ['DUMP'],
  ),
];

/** What DUMP sends, byte for byte: every encoding Redis would pick for values built in this order. */
export const dumpWireScripts: WireScript[] = [
  {
    name: 'DUMP payloads: strings (integer, LZF), quicklists, intsets, listpacks, skiplists, streams',
    steps: [
      ['SET', '{p}s', 'hello'],
      ['DUMP', '{p}s'],
      ['SET', '{p}s', '-2147483648'],
      ['DUMP', '{p}s'],
      ['SET', '{p}s', '12345678901234'],
      ['DUMP', '{p}s'],
      ['SET', '{p}s', 'abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz'],
      ['DUMP', '{p}s'],
      ['SET', '{p}s', Buffer.of(0xff, 0x00, 0xc3)],
      ['DUMP', '{p}s'],
      ['RPUSH', '{p}l', 'a', '1', '-5000', '70000', '9000000000', 'x'.repeat(70), 'y'.repeat(5000)],
      ['DUMP', '{p}l'],
      ['RPUSH', '{p}big', ...Array.from({ length: 3000 }, (_, i) => `item:${i}`)],
      ['RPUSH', '{p}ints', ...Array.from({ length: 3000 }, (_, i) => String(i * 7))],
      ['DUMP', '{p}ints'],
      ['DUMP', '{p}big'],
      ['SADD', '{p}i', '1', '5', '-3', '70000'],
      ['DUMP', '{p}i'],
      ['SADD', '{p}i', '9000000000'],
      ['DUMP', '{p}i'],
      ['ZADD', '{p}z', '1', 'a', '2.5', 'b', '-3', 'c', 'inf', 'd', '1e20', 'e', '0.1', 'f'],
      ['DUMP', '{p}z'],
      ['ZADD', '{p}zs', ...Array.from({ length: 200 }, (_, i) => [String(i * 1.5), `m${i}`]).flat()],
      ['DUMP', '{p}zs'],
      ['HSET', '{p}h', 'f1', 'v1', 'f2', '123', 'f3', 'z'.repeat(40)],
      ['DUMP', '{p}h'],
      ['XADD', '{p}x', '1-1', 'a', '1', 'b', '2'],
      ['XADD', '{p}x', '1-2', 'a', '3'],
      ['XADD', '{p}x', '2-0', 'a', '3', 'b', '5', 'c', 'seven'],
      ['XGROUP', 'CREATE', '{p}x', 'g2', '0'],
      ['XGROUP', 'CREATE', '{p}x', 'g1', '$'],
      ['DUMP', '{p}x'],
      ['CONFIG', 'SET', 'rdbcompression', 'no'],
      ['DUMP', '{p}big'],
      ['CONFIG', 'SET', 'rdbcompression', 'yes'],
    ],
  },
];
