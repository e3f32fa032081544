import { setTimeout as sleep } from 'node:timers/promises';
import { of } from 'rxjs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { hashSlot, type Gears } from '../../lib/index.ts';
import { allBackends, deleteKeys, uniquePrefix } from '../support/backends.ts';
import { addressOf, byKey, ownsSlot, redisCli, sorted } from './helpers.ts';

/**
 * Every batch reader on every backend — embedded ×1 and ×3, real standalone Redis, the real 3-master cluster —
 * with the same expectations. Keys live under a prefix of their own (the Redis servers are shared with other
 * spec files) and are deleted afterwards.
 */
describe.each(allBackends())('batch readers on $name', (backend) => {
  let gears: Gears;
  const p = uniquePrefix('rd');
  const glob = ['a1', 'a2', 'ab', 'b1', 'c1'].map((name) => `${p}g:${name}`);

  beforeAll(async () => {
    gears = await backend.connect();
    const { execute } = gears;
    await execute('SET', `${p}t:string`, 'hello');
    await execute('HSET', `${p}t:hash`, 'a', '1', 'b', '2');
    await execute('RPUSH', `${p}t:list`, 'x', 'y', 'x');
    await execute('SADD', `${p}t:set`, 'c', 'a', 'b');
    await execute('ZADD', `${p}t:zset`, 2, 'two', 1, 'one', 1.5, 'mid', 1, 'another');
    await execute('XADD', `${p}t:stream`, '*', 'f', 'v');
    for (const key of glob) await execute('SET', key, key);
    for (let i = 1; i <= 5; i++) await execute('XADD', `${p}events`, `${i}-0`, 'n', String(i), 'sq', String(i * i));
  });
  afterAll(async () => {
    if (!gears) return;
    await deleteKeys(gears, `${p}*`);
    await gears.close();
  });

  /** Keys owned by the shard at `index` of `gears.shards`. */
  const ownedBy = (index: number, keys: readonly string[]): string[] =>
    keys.filter((key) => ownsSlot(gears.shards[index]!, hashSlot(key)));

  describe('KeysReader', () => {
    it('reads every value type: sets sorted, zsets ascending by score, streams without a value', async () => {
      const { results, errors } = await gears.GB().run(`${p}t:*`);
      expect(errors).toEqual([]);
      expect(sorted(results, byKey)).toEqual([
        { key: `${p}t:hash`, type: 'hash', value: { a: '1', b: '2' }, event: null },
        { key: `${p}t:list`, type: 'list', value: ['x', 'y', 'x'], event: null },
        { key: `${p}t:set`, type: 'set', value: ['a', 'b', 'c'], event: null },
        { key: `${p}t:stream`, type: 'stream', value: null, event: null },
        { key: `${p}t:string`, type: 'string', value: 'hello', event: null },
        {
          key: `${p}t:zset`,
          type: 'zset',
          value: [
            { member: 'another', score: 1 },
            { member: 'one', score: 1 },
            { member: 'mid', score: 1.5 },
            { member: 'two', score: 2 },
          ],
          event: null,
        },
      ]);
    });

    it.each([
      ['?', 'g:a?', ['a1', 'a2', 'ab']],
      ['[ab]', 'g:[ab]1', ['a1', 'b1']],
      ['[^a]', 'g:[^a]1', ['b1', 'c1']],
      ['[a-b]', 'g:[a-b]?', ['a1', 'a2', 'ab', 'b1']],
    ])('matches Redis globs: %s', async (_, pattern, names) => {
      const { results, errors } = await gears
        .GB()
        .map((r) => r.key)
        .run(`${p}${pattern}`);
      expect(errors).toEqual([]);
      expect(sorted(results)).toEqual(names.map((name) => `${p}g:${name}`));
    });

    it('matches Redis globs: \\ escapes a glob character', async () => {
      await gears.execute('SET', `${p}e:a?`, '1');
      await gears.execute('SET', `${p}e:ab`, '1');
      const { results, errors } = await gears
        .GB()
        .map((r) => r.key)
        .run(`${p}e:a\\?`);
      expect(errors).toEqual([]);
      expect(results).toEqual([`${p}e:a?`]);
    });

    it('noScan reads one key by name; a missing key has type empty', async () => {
      expect(await gears.GB().run(`${p}t:hash`, { noScan: true })).toEqual({
        results: [{ key: `${p}t:hash`, type: 'hash', value: { a: '1', b: '2' }, event: null }],
        errors: [],
      });
      // A glob character is just a character with noScan.
      expect(await gears.GB().run(`${p}missing*`, { noScan: true })).toEqual({
        results: [{ key: `${p}missing*`, type: 'empty', value: null, event: null }],
        errors: [],
      });
    });

    it('readValue: false gives { key, event: null }', async () => {
      const { results, errors } = await gears.GB().run(`${p}t:*`, { readValue: false });
      expect(errors).toEqual([]);
      expect(sorted(results, byKey)).toEqual(
        ['hash', 'list', 'set', 'stream', 'string', 'zset'].map((t) => ({ key: `${p}t:${t}`, event: null })),
      );
    });
  });

  describe('KeysOnlyReader', () => {
    it('gives key names, whatever the SCAN count', async () => {
      for (const count of [1, 2, 1000]) {
        const { results, errors } = await gears.GB('KeysOnlyReader').run(`${p}g:*`, { count });
        expect(errors).toEqual([]);
        expect(sorted(results)).toEqual(glob);
      }
    });

    it('noScan emits the name from its owner, existing or not', async () => {
      expect(await gears.GB('KeysOnlyReader').run(`${p}g:a1`, { noScan: true })).toEqual({
        results: [`${p}g:a1`],
        errors: [],
      });
      expect(await gears.GB('KeysOnlyReader').run(`${p}nope`, { noScan: true })).toEqual({
        results: [`${p}nope`],
        errors: [],
      });
    });

    it('patternGenerator makes each shard’s pattern, called once per shard with its id', async () => {
      const calls: string[] = [];
      const first = gears.shards[0]!.id;
      const { results, errors } = await gears.GB('KeysOnlyReader').run('ignored', {
        patternGenerator: (shardId) => {
          calls.push(shardId);
          return shardId === first ? `${p}g:a*` : `${p}g:[bc]*`;
        },
      });
      expect(errors).toEqual([]);
      expect(sorted(calls)).toEqual(sorted(gears.shards.map((s) => s.id)));
      const a = glob.filter((key) => key.startsWith(`${p}g:a`));
      const bc = glob.filter((key) => !key.startsWith(`${p}g:a`));
      const expected = [...ownedBy(0, a), ...gears.shards.slice(1).flatMap((_, i) => ownedBy(i + 1, bc))];
      expect(sorted(results)).toEqual(sorted(expected));
    });
  });

  describe('StreamReader', () => {
    const entry = (i: number) => ({ key: `${p}events`, id: `${i}-0`, value: { n: String(i), sq: String(i * i) } });

    it('reads every entry in order by default', async () => {
      expect(await gears.GB('StreamReader').run(`${p}events`)).toEqual({
        results: [1, 2, 3, 4, 5].map(entry),
        errors: [],
      });
    });

    it('reads after fromId (exclusive), over several pages with batch: 2', async () => {
      expect(await gears.GB('StreamReader').run(`${p}events`, { fromId: '2-0' })).toEqual({
        results: [3, 4, 5].map(entry),
        errors: [],
      });
      expect(await gears.GB('StreamReader').run(`${p}events`, { batch: 2 })).toEqual({
        results: [1, 2, 3, 4, 5].map(entry),
        errors: [],
      });
      expect(await gears.GB('StreamReader').run(`${p}events`, { fromId: '1-0', batch: 2 })).toEqual({
        results: [2, 3, 4, 5].map(entry),
        errors: [],
      });
      expect(await gears.GB('StreamReader').run(`${p}events`, { fromId: '5' })).toEqual({ results: [], errors: [] });
    });

    it('a missing stream is empty', async () => {
      expect(await gears.GB('StreamReader').run(`${p}nostream`)).toEqual({ results: [], errors: [] });
    });
  });

  describe('ShardsIDReader', () => {
    it('gives one 40-hex id per shard (all zeros on standalone Redis)', async () => {
      const { results, errors } = await gears.GB('ShardsIDReader').run();
      expect(errors).toEqual([]);
      expect(results).toHaveLength(backend.shards);
      for (const id of results) expect(id).toMatch(/^[0-9a-f]{40}$/);
      expect(sorted(results)).toEqual(sorted(gears.shards.map((s) => s.id)));
      if (backend.name === 'redis') expect(results).toEqual(['0'.repeat(40)]);
      else expect(new Set(results).size).toBe(backend.shards);
    });
  });

  describe('GeneratorReader', () => {
    const times = <T>(values: T[]): T[] => sorted(Array.from({ length: backend.shards }, () => values).flat());

    it('runs a function returning a sync iterable on every shard', async () => {
      let calls = 0;
      const { results, errors } = await gears.GB('GeneratorReader').run(() => {
        calls++;
        return [1, 2, 3];
      });
      expect(errors).toEqual([]);
      expect(calls).toBe(backend.shards);
      expect(sorted(results as number[])).toEqual(times([1, 2, 3]));
    });

    it('takes an async generator and an Observable', async () => {
      const generated = await gears.GB('GeneratorReader').run(async function* () {
        yield 'a';
        await sleep(1);
        yield 'b';
      });
      expect(generated.errors).toEqual([]);
      expect(sorted(generated.results as string[])).toEqual(times(['a', 'b']));
      const observed = await gears.GB('GeneratorReader').run(() => of('x', 'y'));
      expect(observed.errors).toEqual([]);
      expect(sorted(observed.results as string[])).toEqual(times(['x', 'y']));
    });

    it('in async_local mode calls it once', async () => {
      let calls = 0;
      const { results, errors } = await gears.GB('GeneratorReader').run(
        function* () {
          calls++;
          yield* [1, 2, 3];
        },
        { mode: 'async_local' },
      );
      expect(errors).toEqual([]);
      expect(calls).toBe(1);
      expect(results).toEqual([1, 2, 3]);
    });
  });

  describe('gears.execute', () => {
    it('rejects multi-key commands across slots on several shards (CROSSSLOT), runs them with a {hashtag}', async () => {
      const [a, b] = [`${p}m:a`, `${p}m:b`];
      expect(hashSlot(a)).not.toBe(hashSlot(b));
      if (backend.shards > 1) {
        await expect(gears.execute('MSET', a, '1', b, '2')).rejects.toThrow(
          "CROSSSLOT Keys in request don't hash to the same slot",
        );
      } else {
        expect(await gears.execute('MSET', a, '1', b, '2')).toBe('OK');
      }
      const [x, y] = [`${p}{m}x`, `${p}{m}y`];
      expect(await gears.execute('MSET', x, '1', y, '2')).toBe('OK');
      expect(await gears.execute('MGET', x, y)).toEqual(['1', '2']);
    });
  });
});

describe('gears.execute on the real cluster', () => {
  it('sends a keyed command to the master that owns its slot (checked with redis-cli on each node)', async () => {
    const { clusterBackend } = await import('../support/backends.ts');
    const gears = await clusterBackend().connect();
    const p = uniquePrefix('route');
    try {
      const nodes = inject('clusterUrls').map(addressOf);
      const ids = await Promise.all(nodes.map((node) => redisCli(node, 'CLUSTER', 'MYID')));
      const keys = Array.from({ length: 6 }, (_, i) => `${p}${i}`);
      for (const key of keys) expect(await gears.execute('SET', key, `v${key}`)).toBe('OK');
      const owners = new Set<number>();
      for (const key of keys) {
        const owner = gears.shards.find((s) => ownsSlot(s, hashSlot(key)))!;
        const replies = await Promise.all(nodes.map((node) => redisCli(node, 'GET', key)));
        replies.forEach((reply, i) => {
          if (ids[i] === owner.id) {
            expect(reply).toBe(`v${key}`);
            owners.add(i);
          } else expect(reply).toMatch(new RegExp(`^MOVED ${hashSlot(key)} `));
        });
      }
      expect(owners.size).toBeGreaterThan(1);
    } finally {
      await deleteKeys(gears, `${p}*`);
      await gears.close();
    }
  });
});
