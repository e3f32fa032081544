import { describe, expect, it } from 'vitest';
import { Deque } from '../../../../lib/store/memory/lists/Deque.ts';
import { keyData } from '../../../../lib/store/memory/keyData.ts';
import { SortedSet } from '../../../../lib/store/memory/zsets/SortedSet.ts';
import { Stream } from '../../../../lib/store/memory/streams/Stream.ts';
import { Hash, RSet } from '../../../../lib/store/memory/values.ts';

describe('keyData', () => {
  it('publishes plain copies of each type, zsets ascending by score', () => {
    const hash = new Hash([['f', 'v']]);
    const list = new Deque();
    list.pushBack('x');
    const set = new RSet();
    set.members.add('m');
    const zset = new SortedSet();
    zset.set('b', 2);
    zset.set('a', 1);
    expect(keyData('h', hash, true)).toEqual({ key: 'h', type: 'hash', value: { f: 'v' } });
    expect(keyData('l', list, true)).toEqual({ key: 'l', type: 'list', value: ['x'] });
    expect(keyData('s', set, true)).toEqual({ key: 's', type: 'set', value: ['m'] });
    expect(keyData('z', zset, true)).toEqual({
      key: 'z',
      type: 'zset',
      value: [
        { member: 'a', score: 1 },
        { member: 'b', score: 2 },
      ],
    });
    expect(keyData('x', new Stream(), true)).toEqual({ key: 'x', type: 'stream', value: null });
    (keyData('l', list, true).value as string[]).push('changed');
    expect(list.toArray()).toEqual(['x']);
  });

  it('gives the type alone without values, and none for a missing key', () => {
    expect(keyData('s', 'v', false)).toEqual({ key: 's', type: 'string', value: null });
    expect(keyData('n', undefined, true)).toEqual({ key: 'n', type: 'none', value: null });
  });

  it('keeps a field named __proto__ as an ordinary field', () => {
    const value = keyData('h', new Hash([['__proto__', 'x']]), true).value as Record<string, string>;
    expect(Object.keys(value)).toEqual(['__proto__']);
  });
});
