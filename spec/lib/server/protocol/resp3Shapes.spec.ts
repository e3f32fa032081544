import { describe, expect, it } from 'vitest';
import { resp3Shape } from '../../../../lib/server/protocol/resp3Shapes.ts';
import { DoubleReply } from '../../../../lib/server/protocol/replies.ts';
import { connect } from '../../../../lib/index.ts';
import { createServer } from '../../../../lib/server/Server.ts';
import { exchange } from '../helpers.ts';

describe('resp3Shape (the embedded store after HELLO 3)', () => {
  it('gives ZPOPMIN/ZPOPMAX Redis 7 shapes: one [member, score] without a count, pairs with one', () => {
    expect(resp3Shape('ZPOPMIN', ['z'], ['a', '1'])).toEqual(['a', new DoubleReply('1')]);
    expect(resp3Shape('ZPOPMAX', ['z', '2'], ['b', '2', 'a', '1'])).toEqual([
      ['b', new DoubleReply('2')],
      ['a', new DoubleReply('1')],
    ]);
    expect(resp3Shape('ZPOPMIN', ['z'], [])).toEqual([]);
  });

  it('pairs ZRANDMEMBER WITHSCORES and gives BZPOPMIN/BZPOPMAX a double score', () => {
    expect(resp3Shape('ZRANDMEMBER', ['z', '1', 'withscores'], ['a', '1.5'])).toEqual([['a', new DoubleReply('1.5')]]);
    expect(resp3Shape('ZRANDMEMBER', ['z', '1'], ['a'])).toEqual(['a']);
    expect(resp3Shape('BZPOPMAX', ['z', '0'], ['z', 'a', 'inf'])).toEqual(['z', 'a', new DoubleReply('inf')]);
  });

  it('gives ZMPOP/BZMPOP double scores inside their [key, pairs] reply, and ZADD INCR a double', () => {
    const popped = [
      'z',
      [
        ['a', '0'],
        ['b', '1.5'],
      ],
    ];
    expect(resp3Shape('ZMPOP', ['1', 'z', 'MIN', 'COUNT', '2'], popped)).toEqual([
      'z',
      [
        ['a', new DoubleReply('0')],
        ['b', new DoubleReply('1.5')],
      ],
    ]);
    expect(resp3Shape('BZMPOP', ['0', '1', 'z', 'MAX'], ['z', [['a', '-inf']]])).toEqual([
      'z',
      [['a', new DoubleReply('-inf')]],
    ]);
    expect(resp3Shape('ZMPOP', ['1', 'z', 'MIN'], null)).toBe(null);
    expect(resp3Shape('ZADD', ['z', 'INCR', '2', 'a'], '3.5')).toEqual(new DoubleReply('3.5'));
    expect(resp3Shape('ZADD', ['z', 'NX', 'INCR', '2', 'a'], null)).toBe(null);
    expect(resp3Shape('ZADD', ['z', '2', 'a'], 1)).toBe(1);
  });
});

describe('RESP3 shapes through the server on the embedded store', () => {
  it('answers BZPOPMIN (a blocking pop, on the client session) and ZPOPMAX with double scores after HELLO 3', async () => {
    const gears = await connect({ shards: 1 });
    const server = await createServer(gears, { port: 0, deploymentsKey: false });
    try {
      const replies = await exchange(server.port, [
        ['HELLO', '3'],
        ['ZADD', 'z', '1.5', 'a', '2', 'b'],
        ['BZPOPMIN', 'z', '0'],
        ['ZPOPMAX', 'z'],
        ['ZADD', 'z', '1', 'c', '2', 'd'],
        ['ZMPOP', '1', 'z', 'MIN', 'COUNT', '2'],
      ]);
      expect(replies.toString()).toMatch(
        /:2\r\n\*3\r\n\$1\r\nz\r\n\$1\r\na\r\n,1\.5\r\n\*2\r\n\$1\r\nb\r\n,2\r\n:2\r\n\*2\r\n\$1\r\nz\r\n\*2\r\n\*2\r\n\$1\r\nc\r\n,1\r\n\*2\r\n\$1\r\nd\r\n,2\r\n$/,
      );
    } finally {
      await server.close();
      await gears.close();
    }
  });
});
