import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve, type RxgearsServer } from '../../lib/server/Server.ts';
import { startRedisCluster, type RedisClusterHandle } from '../../lib/testing/servers.ts';
import { redisCli } from './helpers.ts';

/**
 * The RedisGears intro tutorial typed into redis-cli, against `rxgears serve --shards 3` and against
 * `rxgears serve --redis <a cluster of our own>` (its own cluster, so `GB().run()` sees only the tutorial's
 * keys). Registrations and the execution commands come later; their steps run once the engine has them.
 */

const AGE = 'Number(r.value.age)';
const MAX = '(a, x) => Math.max(a ?? 0, x)';

interface Target {
  name: string;
  start(): Promise<RxgearsServer>;
  stop?(): Promise<void>;
}

let cluster: RedisClusterHandle | undefined;

const targets: Target[] = [
  { name: 'rxgears serve --shards 3', start: () => serve({ shards: 3, port: 0 }) },
  {
    name: 'rxgears serve --redis <a 3-master Redis Cluster>',
    start: async () => {
      cluster = await startRedisCluster();
      return serve({ redis: cluster.urls[0]!, port: 0 });
    },
    stop: async () => {
      await cluster?.stop();
    },
  },
];

describe.each(targets)('the RedisGears tutorial through redis-cli against $name', (target) => {
  let server: RxgearsServer;
  const cli = (...args: string[]): Promise<string[]> => redisCli(server.port, args);
  /** RG.JSEXECUTE through redis-cli: the results' lines, after checking the errors array is empty. */
  const rg = async (script: string): Promise<string[]> => {
    const lines = await cli('RG.JSEXECUTE', script);
    expect(lines.at(-1), `errors of ${script}: ${lines.join(' | ')}`).toBe('');
    return lines.slice(0, -1);
  };
  const sorted = (lines: string[]): string[] => [...lines].sort();

  beforeAll(async () => {
    server = await target.start();
    const persons = await readFile(new URL('../../examples/persons.txt', import.meta.url), 'utf8');
    expect(await redisCli(server.port, [], persons)).toEqual(['OK', '2', '2', '2', '2', '2']);
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    await target.stop?.();
  });

  it('GB().run() returns every key with its type and value', async () => {
    const records = (await rg('GB().run()')).map((line) => JSON.parse(line) as { key: string; type: string });
    expect(records.map((r) => r.key).sort()).toEqual([
      'foo',
      'person:1',
      'person:2',
      'person:3',
      'person:4',
      'person:5',
    ]);
    expect(records.find((r) => r.key === 'person:1')).toEqual({
      key: 'person:1',
      type: 'hash',
      value: { name: 'Rick Sanchez', age: '70' },
      event: null,
    });
  });

  it("run('person:*') reads only the persons", async () => {
    expect(sorted((await rg("GB().run('person:*')")).map((l) => (JSON.parse(l) as { key: string }).key))).toEqual([
      'person:1',
      'person:2',
      'person:3',
      'person:4',
      'person:5',
    ]);
  });

  it('filter: persons older than 35', async () => {
    expect(sorted(await rg(`GB().filter(r => ${AGE} > 35).map(r => r.key).run('person:*')`))).toEqual([
      'person:1',
      'person:5',
    ]);
  });

  it('map: each person to their age', async () => {
    expect(sorted(await rg(`GB().map(r => ${AGE}).run('person:*')`))).toEqual(['14', '17', '35', '70', '87']);
  });

  it('accumulate after collect: the maximum age is 87', async () => {
    expect(await rg(`GB().map(r => ${AGE}).accumulate(${MAX}).collect().accumulate(${MAX}).run('person:*')`)).toEqual([
      '87',
    ]);
  });

  it('aggregate and avg: the average age is 44.6', async () => {
    const aggregate = `GB().map(r => ${AGE})
      .aggregate({ sum: 0, count: 0 }, (a, x) => ({ sum: a.sum + x, count: a.count + 1 }),
                 (a, b) => ({ sum: a.sum + b.sum, count: a.count + b.count }))
      .map(a => a.sum / a.count).run('person:*')`;
    expect(await rg(aggregate)).toEqual(['44.6']);
    expect(await rg(`GB().map(r => ${AGE}).avg().run('person:*')`)).toEqual(['44.6']);
  });

  it('countBy: persons per family', async () => {
    const lines = await rg("GB().countBy(r => r.value.name.split(' ')[1]).run('person:*')");
    expect(sorted(lines)).toEqual([
      '{"key":"Pibbles","value":1}',
      '{"key":"Sanchez","value":1}',
      '{"key":"Smith","value":3}',
    ]);
  });

  it('UNBLOCKING answers an execution id', async () => {
    expect(await cli('RG.JSEXECUTE', "GB().run('person:*')", 'UNBLOCKING')).toEqual([
      expect.stringMatching(/^[0-9a-f]{40}-\d+$/),
    ]);
  });

  it('UNBLOCKING, then RG.DUMPEXECUTIONS and RG.GETRESULTSBLOCKING', async () => {
    const [id] = await cli('RG.JSEXECUTE', "GB().map(r => r.key).run('person:*')", 'UNBLOCKING');
    const lines = await cli('RG.GETRESULTSBLOCKING', id!);
    expect(sorted(lines.slice(0, -1))).toEqual(['person:1', 'person:2', 'person:3', 'person:4', 'person:5']);
    expect(await cli('RG.DUMPEXECUTIONS')).toContain(id);
  });

  it('repartition: each family name to the shard that owns it, INCR there; GET Smith is 3', async () => {
    const script =
      "GB().map(r => r.value.name.split(' ')[1]).repartition(n => n).forEach(n => execute('INCR', n)).run('person:*')";
    expect(sorted(await rg(script))).toEqual(['Pibbles', 'Sanchez', 'Smith', 'Smith', 'Smith']);
    expect(await cli('GET', 'Smith')).toEqual(['3']);
    expect(await cli('GET', 'Sanchez')).toEqual(['1']);
  });
});
