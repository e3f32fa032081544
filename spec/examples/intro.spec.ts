import { afterEach, describe, expect, it } from 'vitest';
import { connect, hashSlot, type Gears } from '../../lib/index.ts';
import { loadPersons, tutorial } from '../../examples/intro.ts';

/**
 * The RedisGears intro tutorial on the embedded store, 1 and 3 shards. With 3 shards the data lands as on a
 * `redis-cli --cluster create` cluster: A person:1, person:5; B person:3, person:4; C foo, person:2.
 */
const byKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : 1);

describe.each([1, 3])('the intro tutorial on %i embedded shard(s)', (shards) => {
  let gears: Gears;
  afterEach(() => gears.close());

  async function setUp(): Promise<Gears> {
    gears = await connect({ shards, cloneRecords: true });
    await loadPersons(gears);
    return gears;
  }

  it('reads every key with its type and value', async () => {
    const { GB } = await setUp();
    const { results, errors } = await GB().run();
    expect(errors).toEqual([]);
    expect(results.map((r) => r.key).sort()).toEqual([
      'foo',
      'person:1',
      'person:2',
      'person:3',
      'person:4',
      'person:5',
    ]);
    expect(results.find((r) => r.key === 'foo')).toEqual({ key: 'foo', type: 'string', value: 'bar', event: null });
    expect(results.find((r) => r.key === 'person:1')).toEqual({
      key: 'person:1',
      type: 'hash',
      value: { name: 'Rick Sanchez', age: '70' },
      event: null,
    });
  });

  it('finds the maximum age, 87, after collect', async () => {
    const { GB } = await setUp();
    const age = (r: { value: unknown }) => Number((r.value as Record<string, string>).age);
    const max = (a: number | undefined, x: number) => Math.max(a ?? 0, x);
    const { results } = await GB().map(age).accumulate(max).collect().accumulate(max).run('person:*');
    expect(results).toEqual([87]);
  });

  it('returns one local maximum per shard when accumulate is not followed by collect', async () => {
    const { GB } = await setUp();
    const age = (r: { value: unknown }) => Number((r.value as Record<string, string>).age);
    const { results } = await GB()
      .map(age)
      .accumulate((a: number | undefined, x: number) => Math.max(a ?? 0, x))
      .run('person:*');
    // 3 shards: A has 70 and 87, B 17 and 35, C 14.
    expect(results.sort((a, b) => a - b)).toEqual(shards === 3 ? [14, 35, 87] : [87]);
  });

  it('averages the ages to 44.6', async () => {
    const { GB } = await setUp();
    const { results } = await GB()
      .map((r) => (r.value as Record<string, string>).age)
      .avg()
      .run('person:*');
    expect(results).toEqual([44.6]);
  });

  it('counts families: Smith 3, Sanchez 1, Pibbles 1', async () => {
    const { GB } = await setUp();
    const { results } = await GB()
      .countBy((r) => (r.value as Record<string, string>).name!.split(' ')[1])
      .run('person:*');
    expect(results.sort(byKey)).toEqual([
      { key: 'Pibbles', value: 1 },
      { key: 'Sanchez', value: 1 },
      { key: 'Smith', value: 3 },
    ]);
  });

  it('with collect: false returns only the initiator shard’s own records', async () => {
    const { GB } = await setUp();
    const { results } = await GB()
      .map((r) => r.key)
      .run('person:*', { collect: false });
    expect(results.sort()).toEqual(
      shards === 3 ? ['person:1', 'person:5'] : ['person:1', 'person:2', 'person:3', 'person:4', 'person:5'],
    );
  });

  it('repartitions family names to the shard that owns them, which INCRs them there', async () => {
    const { GB, execute } = await setUp();
    const { errors } = await GB()
      .map((r) => (r.value as Record<string, string>).name!.split(' ')[1]!)
      .repartition((name) => name)
      .forEach(async (name) => {
        // The shard running this step owns the name's slot: a local write, as in RedisGears.
        await execute('INCR', name);
      })
      .run('person:*');
    expect(errors).toEqual([]);
    expect(await execute('GET', 'Smith')).toBe('3');
    expect(await execute('GET', 'Sanchez')).toBe('1');
    expect(await execute('GET', 'Pibbles')).toBe('1');
    if (shards === 3) {
      const owner = (key: string) =>
        gears.shards.findIndex((s) => s.slots.some(([a, b]) => hashSlot(key) >= a && hashSlot(key) <= b));
      expect([owner('Smith'), owner('Sanchez'), owner('Pibbles')]).toEqual([2, 1, 0]);
      expect(await gears.shards[2]!.store.call('GET', 'Smith')).toBe('3');
    }
  });

  it('runs every step of examples/intro.ts without errors', async () => {
    await setUp();
    for (const step of tutorial(gears)) {
      const result = (await step.run()) as { errors: string[] };
      expect(result.errors, step.title).toEqual([]);
    }
  });
});
