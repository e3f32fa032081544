/**
 * Wire contract scripts: requests whose replies are compared as bytes (see wire.spec.ts). `{p}` in a string
 * argument is the run's key prefix; a Buffer argument is a key or value of raw bytes, sent after the prefix.
 */
export type WireArg = string | Buffer;

export interface WireScript {
  name: string;
  /** Send `HELLO 3` first (its reply is not compared). */
  resp3?: boolean;
  steps: WireArg[][];
}

/** Bytes that are not UTF-8: a stray continuation byte, a lone lead byte, an encoded surrogate, a NUL. */
const BIN = Buffer.of(0x61, 0xff, 0xc3, 0xa9, 0xc3, 0x00, 0xed, 0xa0, 0x80, 0xf0, 0x9f, 0x98, 0x80, 0x80);

export const wireScripts: WireScript[] = [
  {
    name: 'nil as a null array: pops with a count, the MPOP family, blocking pops timing out, XREAD',
    steps: [
      ['LPOP', '{p}none', '2'],
      ['RPOP', '{p}none', '1'],
      ['LPOP', '{p}none', '0'],
      ['LPOP', '{p}none'],
      ['LMPOP', '1', '{p}none', 'LEFT'],
      ['ZMPOP', '2', '{p}none', '{p}none2', 'MIN', 'COUNT', '3'],
      ['BLPOP', '{p}none', '0.01'],
      ['BLMOVE', '{p}none', '{p}dst', 'LEFT', 'RIGHT', '0.01'],
      ['BRPOPLPUSH', '{p}none', '{p}dst', '0.01'],
      ['BLMPOP', '0.01', '1', '{p}none', 'RIGHT'],
      ['BZPOPMIN', '{p}none', '0.01'],
      ['BZMPOP', '0.01', '1', '{p}none', 'MAX'],
      ['XREAD', 'STREAMS', '{p}none', '0'],
      ['ZPOPMIN', '{p}none'],
      ['SPOP', '{p}none', '2'],
      ['MULTI'],
      ['LPOP', '{p}none', '2'],
      ['LPOP', '{p}none'],
      ['ZMPOP', '1', '{p}none', 'MIN'],
      ['EXEC'],
    ],
  },
  {
    name: 'nil as a null array in RESP3',
    resp3: true,
    steps: [
      ['LPOP', '{p}none', '2'],
      ['ZMPOP', '1', '{p}none', 'MIN'],
      ['BLMPOP', '0.01', '1', '{p}none', 'RIGHT'],
      ['MULTI'],
      ['LPOP', '{p}none', '2'],
      ['EXEC'],
    ],
  },
  {
    name: 'sorted-set pops and scores as RESP3 doubles and pairs',
    resp3: true,
    steps: [
      ['ZADD', '{p}z', '0', 'a', '1.5', 'b', '2', 'c', '3', 'd', '4', 'e', '5', 'f', 'inf', 'g'],
      ['ZSCORE', '{p}z', 'b'],
      ['ZMSCORE', '{p}z', 'a', 'nope'],
      ['ZINCRBY', '{p}z', '1', 'a'],
      ['ZADD', '{p}z', 'INCR', '1', 'a'],
      ['ZADD', '{p}z', 'NX', 'INCR', '1', 'a'],
      ['ZRANGE', '{p}z', '0', '1', 'WITHSCORES'],
      ['ZPOPMIN', '{p}z'],
      ['ZPOPMAX', '{p}z', '1'],
      ['ZMPOP', '1', '{p}z', 'MIN'],
      ['ZMPOP', '1', '{p}z', 'MAX', 'COUNT', '2'],
      ['BZMPOP', '0', '1', '{p}z', 'MIN'],
      ['BZPOPMIN', '{p}z', '0'],
      ['ZPOPMIN', '{p}z'],
    ],
  },
  {
    name: 'int64 integer replies beyond 2^53, exact, and the overflow errors',
    steps: [
      ['SET', '{p}n', '9223372036854775806'],
      ['INCR', '{p}n'],
      ['INCR', '{p}n'],
      ['INCRBY', '{p}n', '-1'],
      ['DECRBY', '{p}n', '9223372036854775807'],
      ['DECR', '{p}n'],
      ['DECR', '{p}n'],
      ['INCRBY', '{p}m', '9007199254740993'],
      ['GET', '{p}m'],
      ['HSET', '{p}h', 'f', '-9223372036854775484'],
      ['HINCRBY', '{p}h', 'f', '-1'],
      ['HINCRBY', '{p}h', 'f', '-324'],
      ['HINCRBY', '{p}h', 'f', '-1'],
      ['HINCRBY', '{p}h', 'g', '9007199254740993'],
      ['MULTI'],
      ['INCRBY', '{p}m', '2'],
      ['EXEC'],
    ],
  },
  {
    name: 'PING arity and the commands a transaction refuses',
    steps: [
      ['PING'],
      ['PING', 'x'],
      ['PING', 'x', 'y', 'z'],
      ['MULTI'],
      ['SET', '{p}k', 'v'],
      ['SAVE'],
      ['EXEC'],
      ['MULTI'],
      ['SHUTDOWN'],
      ['EXEC'],
      ['EXISTS', '{p}k'],
    ],
  },
  {
    name: 'binary keys, fields, members and values byte for byte (not UTF-8)',
    steps: [
      ['SET', BIN, BIN],
      ['GET', BIN],
      ['STRLEN', BIN],
      ['APPEND', BIN, Buffer.of(0xc3)],
      ['APPEND', BIN, Buffer.of(0xa9)],
      ['GETRANGE', BIN, '1', '3'],
      ['SETRANGE', BIN, '1', Buffer.of(0xfe, 0x80)],
      ['GET', BIN],
      ['EXISTS', BIN],
      ['KEYS', Buffer.of(0x61, 0xff, 0x2a)],
      ['HSET', '{p}h', BIN, BIN, 'f', Buffer.of(0x80)],
      ['HGET', '{p}h', BIN],
      ['HSTRLEN', '{p}h', BIN],
      ['HMGET', '{p}h', 'f', BIN],
      ['RPUSH', '{p}l', BIN, Buffer.of(0xff, 0xfe)],
      ['LRANGE', '{p}l', '0', '-1'],
      ['SADD', '{p}s', BIN],
      ['SMEMBERS', '{p}s'],
      ['SISMEMBER', '{p}s', BIN],
      ['ZADD', '{p}z', '1', BIN, '2', Buffer.of(0xc0)],
      ['ZRANGE', '{p}z', '0', '-1', 'WITHSCORES'],
      ['ZSCORE', '{p}z', Buffer.of(0xc0)],
      ['XADD', '{p}x', '1-1', BIN, BIN],
      ['XRANGE', '{p}x', '-', '+'],
      ['MULTI'],
      ['GET', BIN],
      ['LPOP', '{p}l'],
      ['EXEC'],
    ],
  },
  {
    name: 'status replies inside EXEC stay statuses',
    steps: [
      ['MULTI'],
      ['SET', '{p}k', 'v'],
      ['SET', '{p}k', 'w', 'GET'],
      ['TYPE', '{p}k'],
      ['RPUSH', '{p}l', 'a', 'b'],
      ['LSET', '{p}l', '0', 'x'],
      ['LTRIM', '{p}l', '0', '0'],
      ['RENAME', '{p}l', '{p}m'],
      ['MSET', '{p}a', '1', '{p}b', '2'],
      ['GET', '{p}k'],
      ['EXEC'],
    ],
  },
];
