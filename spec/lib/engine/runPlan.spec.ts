import { afterEach, describe, expect, it } from 'vitest';
import { connect, hashSlot, type Gears } from '../../../lib/index.ts';
import { currentContext } from '../../../lib/engine/runtime.ts';

let gears: Gears;
afterEach(() => gears.close());

const shardIndexOf = (g: Gears, key: string) =>
  g.shards.findIndex((s) => s.slots.some(([a, b]) => hashSlot(key) >= a && hashSlot(key) <= b));
const here = () => currentContext()!.shard.id;

describe('runPlan on 3 embedded shards', () => {
  it('runs stage 0 on every shard, on its own data', async () => {
    gears = await connect({ shards: 3, cloneRecords: true });
    for (const key of ['person:1', 'person:2', 'person:3', 'person:4', 'person:5'])
      await gears.execute('SET', key, 'x');
    const { results } = await gears
      .GB()
      .map((r) => ({ key: r.key, shard: here() }))
      .run();
    expect(results).toHaveLength(5);
    for (const { key, shard } of results) expect(shard).toBe(gears.shards[shardIndexOf(gears, key)]!.id);
  });

  it('moves each record to the owner of hashSlot(extractor(record)) at a repartition', async () => {
    gears = await connect({ shards: 3, cloneRecords: true });
    const names = Array.from({ length: 60 }, (_, i) => `name-${i}`);
    const { results, errors } = await gears
      .GB('ShardsIDReader')
      .flatMap(() => names)
      .repartition((name) => name)
      .map((name) => ({ name, shard: here() }))
      .run();
    expect(errors).toEqual([]);
    expect(results).toHaveLength(names.length * 3); // every shard sent every name
    for (const { name, shard } of results) expect(shard).toBe(gears.shards[shardIndexOf(gears, name)]!.id);
  });

  it('gathers every shard’s records on the initiator at a collect, and only there', async () => {
    gears = await connect({ shards: 3, cloneRecords: true });
    const { results } = await gears
      .GB('ShardsIDReader')
      .collect()
      .map((id) => ({ from: id, at: here() }))
      .run();
    expect(results.map((r) => r.from).sort()).toEqual(gears.shards.map((s) => s.id).sort());
    expect(new Set(results.map((r) => r.at))).toEqual(new Set([gears.shards[0]!.id])); // slot 0's owner
  });

  it('uses the shard named by the initiator option', async () => {
    gears = await connect({ shards: 3 });
    const initiator = gears.shards[2]!.id;
    const collected = await gears.GB('ShardsIDReader').collect().map(here).run(undefined, { initiator });
    expect(new Set(collected.results)).toEqual(new Set([initiator]));
    const local = await gears.GB('ShardsIDReader').run(undefined, { initiator, collect: false });
    expect(local.results).toEqual([initiator]);
  });

  it('runs on the initiator alone in async_local mode, where global steps are no-ops', async () => {
    gears = await connect({ shards: 3 });
    let calls = 0;
    const { results } = await gears
      .GB('GeneratorReader')
      .repartition((n) => String(n))
      .map((n) => ({ n, at: here() }))
      .run(
        () => {
          calls++;
          return [1, 2, 3];
        },
        { mode: 'async_local' },
      );
    expect(calls).toBe(1);
    expect(results.map((r) => r.n)).toEqual([1, 2, 3]);
    expect(new Set(results.map((r) => r.at))).toEqual(new Set([gears.shards[0]!.id]));
  });

  it('calls a GeneratorReader function on every shard in async mode', async () => {
    gears = await connect({ shards: 3 });
    const { results } = await gears.GB('GeneratorReader').run(function* () {
      yield here();
    });
    expect(results.sort()).toEqual(gears.shards.map((s) => s.id).sort());
  });

  it('drops a record whose callback throws, reports "<Name>: <message>" and goes on', async () => {
    gears = await connect({ shards: 3 });
    const { results, errors } = await gears
      .GB('GeneratorReader')
      .map((n: unknown) => {
        if (n === 2) throw new RangeError('two is not allowed');
        return n;
      })
      .run(() => [1, 2, 3]);
    expect(results.sort()).toEqual([1, 1, 1, 3, 3, 3]);
    expect(errors).toEqual(Array(3).fill('RangeError: two is not allowed'));
  });

  it('reports a rejected async callback the same way', async () => {
    gears = await connect({ shards: 1 });
    const { results, errors } = await gears
      .GB('GeneratorReader')
      .forEach(async (n) => {
        if (n === 'b') throw new Error('no b');
      })
      .run(() => ['a', 'b', 'c']);
    expect(results).toEqual(['a', 'c']);
    expect(errors).toEqual(['Error: no b']);
  });

  it('reports a reader error (a Redis error reply) in errors and still finishes the other shards', async () => {
    gears = await connect({ shards: 3 });
    await gears.execute('HSET', 'not-a-stream', 'f', 'v');
    const { results, errors } = await gears.GB('StreamReader').run('not-a-stream');
    expect(results).toEqual([]);
    expect(errors).toEqual(['RedisReplyError: WRONGTYPE Operation against a key holding the wrong kind of value']);
  });

  it('in cloning mode, reports a record that could not cross a process boundary', async () => {
    gears = await connect({ shards: 3, cloneRecords: true });
    const { results, errors } = await gears
      .GB('ShardsIDReader')
      .map((id) => ({ id, callback: () => id }))
      .collect()
      .run();
    expect(results).toEqual([]);
    expect(errors).toHaveLength(3);
    expect(errors[0]).toMatch(/^DataCloneError: /);
  });

  it('counts 0 on empty input, on every shard count', async () => {
    gears = await connect({ shards: 3 });
    expect((await gears.GB().count().run('nothing:*')).results).toEqual([0]);
    expect((await gears.GB().count().run('nothing:*', { mode: 'async_local' })).results).toEqual([0]);
  });

  it('rejects bad run options with a GearsError naming the option', async () => {
    gears = await connect();
    await expect(gears.GB().run('*', { collect: 'yes' as never })).rejects.toThrow(
      "option 'collect' must be a boolean",
    );
    await expect(gears.GB().run('*', { mode: 'sync' as never })).rejects.toThrow(
      "option 'mode' must be 'async' or 'async_local'",
    );
    await expect(gears.GB().run('*', { noScan: 1 as never })).rejects.toThrow("option 'noScan' must be a boolean");
    await expect(gears.GB().run('*', { bogus: true } as never)).rejects.toThrow(
      "unknown option 'bogus' for KeysReader.run()",
    );
    await expect(gears.GB().run(42 as never)).rejects.toThrow('KeysReader argument must be a string');
    await expect(gears.GB().run('*', { initiator: 'f'.repeat(40) })).rejects.toThrow(
      `unknown initiator shard '${'f'.repeat(40)}'`,
    );
    await expect(gears.GB('StreamReader').run('s', { fromId: 'x' })).rejects.toThrow(
      "option 'fromId' must be a stream id",
    );
    await expect(gears.GB('GeneratorReader').run('x' as never)).rejects.toThrow(
      'GeneratorReader argument must be a function',
    );
  });

  it("rejects run() of the CommandReader with RedisGears' 'reader do not support run'", async () => {
    gears = await connect();
    await expect(gears.GB('CommandReader').run()).rejects.toThrow('reader do not support run');
  });

  it('gives an execution id made of the initiator shard id and a sequence', async () => {
    gears = await connect({ shards: 3 });
    const id = await gears.GB().run('*', { unblocking: true });
    expect(id).toMatch(new RegExp(`^${gears.shards[0]!.id}-\\d+$`));
  });
});
