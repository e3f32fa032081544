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
];
