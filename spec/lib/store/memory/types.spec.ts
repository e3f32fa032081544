import { describe, expect, it } from 'vitest';
import { Deque } from '../../../../lib/store/memory/lists/Deque.ts';
import { SortedSet } from '../../../../lib/store/memory/zsets/SortedSet.ts';
import { Stream } from '../../../../lib/store/memory/streams/Stream.ts';
import { BlockRequest } from '../../../../lib/store/memory/types.ts';
import { Hash, RSet, typeOf } from '../../../../lib/store/memory/values.ts';

describe('stored values', () => {
  it('tell their Redis type', () => {
    expect(['s', new Hash(), new Deque(), new RSet(), new SortedSet(), new Stream()].map(typeOf)).toEqual([
      'string',
      'hash',
      'list',
      'set',
      'zset',
      'stream',
    ]);
  });

  it('block requests reply null on timeout unless told otherwise', () => {
    expect(new BlockRequest(['k'], 0, () => undefined).onTimeout).toBeNull();
  });
});
