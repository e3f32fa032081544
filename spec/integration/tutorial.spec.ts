import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connect, hashSlot, type Gears } from '../../lib/index.ts';
import {
  startRedis,
  startRedisCluster,
  type RedisClusterHandle,
  type RedisServerHandle,
} from '../../lib/testing/index.ts';
import { loadPersons, tutorial } from '../../examples/intro.ts';
import { addressOf, byKey, redisCli, sorted, type NodeAddress } from './helpers.ts';

/**
 * The RedisGears intro tutorial (examples/intro.ts, data examples/persons.txt) on a real 3-master Redis Cluster
 * and a real standalone Redis — servers of this file's own, because the tutorial's key names (person:*, foo,
 * Smith, …) would collide with other spec files on the shared ones. It mirrors spec/examples/intro.spec.ts
 * (the embedded store) and adds the data placement checks, made from outside the engine with redis-cli.
 *
 * `redis-cli --cluster create` gives node 0 slots 0-5460, node 1 5461-10922 and node 2 10923-16383, so the
 * data lands as: node 0 person:1, person:5; node 1 person:3, person:4; node 2 foo, person:2.
 */
let cluster: RedisClusterHandle;
let standalone: RedisServerHandle;

beforeAll(async () => {
  [cluster, standalone] = await Promise.all([startRedisCluster(), startRedis()]);
});
afterAll(async () => {
  await Promise.all([cluster?.stop(), standalone?.stop()]);
});

type Person = Record<string, string>;
const age = (r: { value: unknown }): number => Number((r.value as Person).age);
const family = (r: { value: unknown }): string => (r.value as Person).name!.split(' ')[1]!;
const maximum = (a: number | undefined, x: number): number => Math.max(a ?? 0, x);

const PERSONS = {
  'person:1': { name: 'Rick Sanchez', age: '70' },
  'person:2': { name: 'Morty Smith', age: '14' },
  'person:3': { name: 'Summer Smith', age: '17' },
  'person:4': { name: 'Beth Smith', age: '35' },
  'person:5': { name: 'Shrimply Pibbles', age: '87' },
};

interface Target {
  name: 'cluster' | 'standalone';
  url: () => string;
  nodes: () => NodeAddress[];
}

const targets: Target[] = [
  { name: 'cluster', url: () => cluster.urls[0]!, nodes: () => cluster.urls.map(addressOf) },
  { name: 'standalone', url: () => standalone.url, nodes: () => [addressOf(standalone.url)] },
];

describe.each(targets)('the intro tutorial on a real $name', (target) => {
  let gears: Gears;
  const onCluster = target.name === 'cluster';

  beforeAll(async () => {
    gears = await connect({ redis: target.url(), cloneRecords: true });
  });
  afterAll(() => gears?.close());
  beforeEach(async () => {
    // Every test starts from the tutorial data alone (the repartition example adds counters).
    await Promise.all(target.nodes().map((node) => redisCli(node, 'FLUSHALL')));
    await loadPersons(gears);
  });

  it('reads every key with its type and value', async () => {
    const { results, errors } = await gears.GB().run();
    expect(errors).toEqual([]);
    expect(sorted(results, byKey)).toEqual([
      { key: 'foo', type: 'string', value: 'bar', event: null },
      ...Object.entries(PERSONS).map(([key, value]) => ({ key, type: 'hash', value, event: null })),
    ]);
  });

  it('places the keys on the masters that own their slots (asked with redis-cli, not through the engine)', async () => {
    const keysOn = await Promise.all(
      target.nodes().map(async (node) => sorted((await redisCli(node, 'KEYS', '*')).split('\n').filter(Boolean))),
    );
    expect(keysOn).toEqual(
      onCluster
        ? [
            ['person:1', 'person:5'],
            ['person:3', 'person:4'],
            ['foo', 'person:2'],
          ]
        : [['foo', 'person:1', 'person:2', 'person:3', 'person:4', 'person:5']],
    );
  });

  it('finds the maximum age, 87, after collect', async () => {
    const { results, errors } = await gears
      .GB()
      .map(age)
      .accumulate(maximum)
      .collect()
      .accumulate(maximum)
      .run('person:*');
    expect(errors).toEqual([]);
    expect(results).toEqual([87]);
  });

  it('returns one local maximum per shard when accumulate is not followed by collect', async () => {
    const { results, errors } = await gears.GB().map(age).accumulate(maximum).run('person:*');
    expect(errors).toEqual([]);
    // Cluster: node 0 has 70 and 87, node 1 17 and 35, node 2 14.
    expect(sorted(results, (a, b) => a - b)).toEqual(onCluster ? [14, 35, 87] : [87]);
  });

  it('averages the ages to 44.6, with aggregate and with avg', async () => {
    const aggregated = await gears
      .GB()
      .map(age)
      .aggregate(
        { sum: 0, count: 0 },
        (a, x) => ({ sum: a.sum + x, count: a.count + 1 }),
        (a, b) => ({ sum: a.sum + b.sum, count: a.count + b.count }),
      )
      .map((a) => a.sum / a.count)
      .run('person:*');
    expect(aggregated).toEqual({ results: [44.6], errors: [] });
    expect(await gears.GB().map(age).avg().run('person:*')).toEqual({ results: [44.6], errors: [] });
  });

  it('counts families: Smith 3, Sanchez 1, Pibbles 1; and 5 persons', async () => {
    const { results, errors } = await gears.GB().countBy(family).run('person:*');
    expect(errors).toEqual([]);
    expect(sorted(results, byKey)).toEqual([
      { key: 'Pibbles', value: 1 },
      { key: 'Sanchez', value: 1 },
      { key: 'Smith', value: 3 },
    ]);
    expect(await gears.GB().count().run('person:*')).toEqual({ results: [5], errors: [] });
  });

  it('with collect: false returns only the initiator’s own records: the owner of slot 0 has person:1 and person:5', async () => {
    const { results, errors } = await gears
      .GB()
      .map((r) => r.key)
      .run('person:*', { collect: false });
    expect(errors).toEqual([]);
    expect(sorted(results)).toEqual(
      onCluster ? ['person:1', 'person:5'] : ['person:1', 'person:2', 'person:3', 'person:4', 'person:5'],
    );
    if (onCluster) {
      // Another initiator: the master of slots 5461-10922 has person:3 and person:4.
      const [, second] = gears.shards;
      const other = await gears
        .GB()
        .map((r) => r.key)
        .run('person:*', { collect: false, initiator: second!.id });
      expect(sorted(other.results)).toEqual(['person:3', 'person:4']);
    }
  });

  it('ShardsIDReader gives one record per master: the cluster node ids (CLUSTER MYID), or 40 zeros', async () => {
    const { results, errors } = await gears.GB('ShardsIDReader').run();
    expect(errors).toEqual([]);
    const expected = onCluster
      ? await Promise.all(target.nodes().map((node) => redisCli(node, 'CLUSTER', 'MYID')))
      : ['0'.repeat(40)];
    expect(sorted(results)).toEqual(sorted(expected));
    for (const id of results) expect(id).toMatch(/^[0-9a-f]{40}$/);
    // And the engine's shards are the masters in slot order.
    expect(gears.shards.map((s) => s.id)).toEqual(expected);
  });

  it('repartitions family names to the master that owns them, which INCRs them there', async () => {
    const { errors } = await gears
      .GB()
      .map(family)
      .repartition((name) => name)
      .forEach((name) => gears.execute('INCR', name))
      .run('person:*');
    expect(errors).toEqual([]);
    const counters = { Smith: ['3', 14205], Sanchez: ['1', 9503], Pibbles: ['1', 169] } as const;
    const nodes = target.nodes();
    for (const [name, [value, slot]] of Object.entries(counters)) {
      expect(hashSlot(name)).toBe(slot);
      if (!onCluster) {
        expect(await redisCli(nodes[0]!, 'GET', name)).toBe(value);
        continue;
      }
      expect(await redisCli(nodes[0]!, 'CLUSTER', 'KEYSLOT', name)).toBe(String(slot));
      // Asked directly: the owner answers the value, the two others redirect.
      const owner = slot <= 5460 ? 0 : slot <= 10922 ? 1 : 2;
      const replies = await Promise.all(nodes.map((node) => redisCli(node, 'GET', name)));
      replies.forEach((reply, i) => {
        if (i === owner) expect(reply, `GET ${name} on node ${i}`).toBe(value);
        else expect(reply, `GET ${name} on node ${i}`).toMatch(new RegExp(`^MOVED ${slot} `));
      });
    }
  });

  it('runs every step of examples/intro.ts without errors', async () => {
    for (const step of tutorial(gears)) {
      const result = (await step.run()) as { errors: string[] };
      expect(result.errors, step.title).toEqual([]);
    }
  });
});
