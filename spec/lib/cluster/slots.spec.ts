import fc from 'fast-check';
import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { hashSlot, slotOfBytes, splitSlots, SLOT_COUNT } from '../../../lib/cluster/slots.ts';

describe('hashSlot', () => {
  it('gives the slots the tutorial data lands on', () => {
    expect([hashSlot('Smith'), hashSlot('Sanchez'), hashSlot('Pibbles')]).toEqual([14205, 9503, 169]);
  });

  it('honours {hashtags} as Redis does', () => {
    expect(hashSlot('{user1}:a')).toBe(hashSlot('user1'));
    expect(hashSlot('a{}b')).toBe(hashSlot('a{}b')); // empty tag: the whole key
    expect(hashSlot('{a}{b}')).toBe(hashSlot('a'));
  });

  it("gives Redis' CLUSTER KEYSLOT for braces anywhere, empty tags followed by another } included", async () => {
    const node = new Redis(inject('clusterUrls')[0]!);
    try {
      // Found by the workers' shard-invariance property: cluster-key-slot gave slot 0 to 'eq-…:{}} '.
      const edges = ['eq-5bd0032e:2:249:{}} ', '{}}', 'a{}}b', '{}', '{{a}}', '}{a}', '{a', 'a}', '', 'ü{é}', '{}{a}'];
      const keys = [...edges, ...fc.sample(fc.string({ unit: fc.constantFrom('{', '}', 'a', 'b', 'é') }), 300)];
      const pipeline = node.pipeline();
      for (const key of keys) pipeline.cluster('KEYSLOT', key);
      const slots = ((await pipeline.exec()) ?? []).map(([error, slot]) => (error ? error : slot));
      expect(keys.map((key) => hashSlot(key))).toEqual(slots);
      expect(keys.map((key) => slotOfBytes(Buffer.from(key)))).toEqual(slots);
    } finally {
      node.disconnect();
    }
  });
});

describe('splitSlots', () => {
  it('splits like redis-cli --cluster create: 0-5460, 5461-10922, 10923-16383', () => {
    expect(splitSlots(3)).toEqual([
      [0, 5460],
      [5461, 10922],
      [10923, 16383],
    ]);
  });

  it.each([1, 2, 5, 7, 16384])('covers every slot exactly once with %i shards', (n) => {
    const ranges = splitSlots(n);
    expect(ranges).toHaveLength(n);
    expect(ranges[0]![0]).toBe(0);
    expect(ranges[n - 1]![1]).toBe(SLOT_COUNT - 1);
    for (let i = 1; i < n; i++) expect(ranges[i]![0]).toBe(ranges[i - 1]![1] + 1);
  });
});
