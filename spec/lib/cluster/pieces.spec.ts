import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isLaterPiece, splitShards, splitTopology } from '../../../lib/cluster/pieces.ts';
import { createMemoryTopology } from '../../../lib/cluster/memoryTopology.ts';
import { hashSlot, SLOT_COUNT } from '../../../lib/cluster/slots.ts';
import type { Shard } from '../../../lib/cluster/topology.ts';
import { GearsError } from '../../../lib/errors.ts';

const slotsOf = (shard: Shard): number[] =>
  shard.slots.flatMap(([s, e]) => Array.from({ length: e - s + 1 }, (_, i) => s + i));

describe('splitShards (tasksPerMaster)', () => {
  it('splits every master into parts of nearly equal size that cover its slots once, in order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 64 }), async (masters, k) => {
        const topology = createMemoryTopology(masters);
        try {
          const parts = splitShards(topology.shards, k);
          expect(parts).toHaveLength(masters * k);
          topology.shards.forEach((master, m) => {
            const mine = parts.slice(m * k, (m + 1) * k);
            expect(mine.every((p) => p.id === master.id && p.store.kind === master.store.kind)).toBe(true);
            expect(mine.map((p) => isLaterPiece(p))).toEqual(mine.map((_, i) => i > 0));
            expect(mine.flatMap(slotsOf)).toEqual(slotsOf(master));
            const sizes = mine.map((p) => slotsOf(p).length);
            expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
          });
        } finally {
          await topology.close();
        }
      }),
    );
  });

  it('keeps a master whole when it has fewer slots than parts, and returns the shards themselves for 1', async () => {
    const topology = createMemoryTopology(3);
    const tiny: Shard = { ...topology.shards[0]!, slots: [[5, 6]] };
    expect(splitShards([tiny], 4)).toEqual([tiny]);
    expect(splitShards(topology.shards, 1)).toBe(topology.shards);
    expect(splitTopology(topology, 1)).toBe(topology);
    await topology.close();
  });

  it('splits masters with several slot ranges across range boundaries', () => {
    const master = createMemoryTopology(1).shards[0]!;
    const shard: Shard = {
      ...master,
      slots: [
        [0, 2],
        [10, 10],
        [20, 23],
      ],
    };
    expect(splitShards([shard], 2).map((p) => p.slots)).toEqual([
      [
        [0, 2],
        [10, 10],
      ],
      [[20, 23]],
    ]);
    expect(splitShards([shard], 3).map((p) => p.slots)).toEqual([
      [[0, 2]],
      [
        [10, 10],
        [20, 20],
      ],
      [[21, 23]],
    ]);
  });

  it('gives each part the SCAN pages of its own slots only, and the master store for everything else', async () => {
    const topology = createMemoryTopology(1);
    try {
      const master = topology.shards[0]!;
      for (let i = 0; i < 200; i++) await master.store.call('SET', `k${i}`, String(i));
      const parts = splitTopology(topology, 3).shards;
      expect(splitTopology(topology, 3).shards).toHaveLength(3);
      const seen: string[][] = [];
      for (const part of parts) {
        const keys: string[] = [];
        let cursor = '0';
        do {
          const page = await part.store.scan(cursor, { match: 'k*', count: 50 });
          keys.push(...page.keys);
          cursor = page.cursor;
        } while (cursor !== '0');
        const [[first]] = part.slots as [[number, number]];
        const last = part.slots.at(-1)![1];
        expect(keys.every((k) => hashSlot(k) >= first && hashSlot(k) <= last)).toBe(true);
        seen.push(keys);
        expect(await part.store.call('GET', 'k7')).toBe('7');
      }
      expect(seen.flat().sort()).toEqual(Array.from({ length: 200 }, (_, i) => `k${i}`).sort());
      await parts[1]!.store.close(); // the master's store stays open: the topology closes it
      expect(await master.store.call('GET', 'k1')).toBe('1');
    } finally {
      await topology.close();
    }
  });

  it('lists keys of slots the master does not own (a slot it is importing) on its first part only, so once', async () => {
    const topology = createMemoryTopology(1);
    try {
      const master: Shard = { ...topology.shards[0]!, slots: [[0, 8191]] };
      const keys = Array.from({ length: 100 }, (_, i) => `k${i}`);
      for (const key of keys) await master.store.call('SET', key, '1');
      const imported = keys.filter((k) => hashSlot(k) > 8191);
      expect(imported.length).toBeGreaterThan(10);
      const listed = await Promise.all(
        splitShards([master], 3).map(async (part) => (await part.store.scan('0', { count: 1000 })).keys.sort()),
      );
      expect(listed.flat().sort()).toEqual([...keys].sort());
      expect(imported.every((k) => listed[0]!.includes(k))).toBe(true);
    } finally {
      await topology.close();
    }
  });

  it('refuses a count that is not an integer from 1 to 64 with a GearsError', () => {
    const shards = createMemoryTopology(1).shards;
    for (const bad of [0, -1, 1.5, 65, Number.NaN])
      expect(() => splitShards(shards, bad)).toThrow(
        new GearsError(`tasksPerMaster must be an integer from 1 to 64, got ${bad}`),
      );
    expect(SLOT_COUNT).toBe(16_384);
  });
});
