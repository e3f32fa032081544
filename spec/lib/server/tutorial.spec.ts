import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { splitCommandLine, parseCommandFile } from '../../../lib/server/protocol/commandLine.ts';
import { serve, type RxgearsServer, type ServeOptions } from '../../../lib/server/Server.ts';
import { startRedisCluster, type RedisClusterHandle } from '../../../lib/testing/servers.ts';
import { redisCli } from './helpers.ts';

/**
 * The RedisGears intro tutorial typed into redis-cli, against `rxgears serve --shards 3` and against
 * `rxgears serve --redis <a cluster of our own>` (its own cluster, so `GB().run()` sees only the tutorial's
 * keys). README's "Quick start" shows these same commands: the last test checks that every command there was
 * sent here, so the README cannot drift from what is tested.
 */

/** The scripts, as README's quick start types them (one line each: redis-cli's prompt takes one line). */
const AGE = 'Number(r.value.age)';
const MAX = '(a, x) => Math.max(a ?? 0, x)';
const SCRIPTS = {
  everything: 'GB().run()',
  persons: "GB().run('person:*')",
  filter: `GB().filter(r => ${AGE} > 35).map(r => r.key).run('person:*')`,
  map: `GB().map(r => ${AGE}).run('person:*')`,
  maximum: `GB().map(r => ${AGE}).accumulate(${MAX}).collect().accumulate(${MAX}).run('person:*')`,
  aggregate:
    `GB().map(r => ${AGE}).aggregate({ sum: 0, count: 0 }, (a, x) => ({ sum: a.sum + x, count: a.count + 1 }), ` +
    "(a, b) => ({ sum: a.sum + b.sum, count: a.count + b.count })).map(a => a.sum / a.count).run('person:*')",
  avg: `GB().map(r => ${AGE}).avg().run('person:*')`,
  countBy: "GB().countBy(r => r.value.name.split(' ')[1]).run('person:*')",
  keys: "GB().map(r => r.key).run('person:*')",
  repartition:
    "GB().map(r => r.value.name.split(' ')[1]).repartition(n => n).forEach(n => execute('INCR', n)).run('person:*')",
  register:
    `GB().map(r => ${AGE}).forEach(age => atomic(async () => { ` +
    "const max = Number(await execute('GET', 'age:maximum') ?? 0); if (age > max) await execute('SET', 'age:maximum', age) }))" +
    ".register({ prefix: 'person:*', eventTypes: ['hset'], mode: 'sync' })",
};

const EXECUTION_ID = /^[0-9a-f]{40}-\d+$/;

interface Target {
  name: string;
  /** Whether registrations come back when a new server starts on the same data. */
  persistent: boolean;
  /** Starts what the server is backed by; resolves with `serve()`'s options for it. */
  setup(): Promise<ServeOptions>;
  teardown(): Promise<void>;
}

let cluster: RedisClusterHandle | undefined;

const targets: Target[] = [
  {
    name: 'rxgears serve --shards 3',
    persistent: false,
    setup: () => Promise.resolve({ shards: 3 }),
    teardown: () => Promise.resolve(),
  },
  {
    name: 'rxgears serve --redis <a 3-master Redis Cluster>',
    persistent: true,
    setup: async () => {
      cluster = await startRedisCluster();
      return { redis: cluster.urls[0]! };
    },
    teardown: async () => {
      await cluster?.stop();
    },
  },
];

/** The commands of README's quick start: the lines typed at its `127.0.0.1:6380>` prompt. */
async function quickStartCommands(): Promise<string[][]> {
  const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
  const section = /^## Quick start$([\s\S]*?)^## /m.exec(readme)?.[1] ?? '';
  return [...section.matchAll(/^127\.0\.0\.1:6380> (.*)$/gm)].map((m) => splitCommandLine(m[1]!));
}

describe.each(targets)('the RedisGears tutorial through redis-cli against $name', (target) => {
  let options: ServeOptions;
  let server: RxgearsServer;
  /** Every command sent, to compare README's quick start with. */
  const sent: string[][] = [];
  const cli = (...args: string[]): Promise<string[]> => {
    sent.push(args);
    return redisCli(server.port, args);
  };
  /** RG.JSEXECUTE through redis-cli: the results' lines, after checking the errors array is empty. */
  const rg = async (script: string): Promise<string[]> => {
    const lines = await cli('RG.JSEXECUTE', script);
    expect(lines.at(-1), `errors of ${script}: ${lines.join(' | ')}`).toBe('');
    return lines.slice(0, -1);
  };
  const sorted = (lines: string[]): string[] => [...lines].sort();

  beforeAll(async () => {
    options = await target.setup();
    server = await serve({ ...options, port: 0 });
    const persons = await readFile(new URL('../../../examples/persons.txt', import.meta.url), 'utf8');
    sent.push(...parseCommandFile(persons));
    expect(await redisCli(server.port, [], persons)).toEqual(['OK', '2', '2', '2', '2', '2']);
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    await target.teardown();
  });

  it('GB().run() returns every key with its type and value', async () => {
    const records = (await rg(SCRIPTS.everything)).map((line) => JSON.parse(line) as { key: string; type: string });
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
    expect(sorted((await rg(SCRIPTS.persons)).map((l) => (JSON.parse(l) as { key: string }).key))).toEqual([
      'person:1',
      'person:2',
      'person:3',
      'person:4',
      'person:5',
    ]);
  });

  it('filter: persons older than 35', async () => {
    expect(sorted(await rg(SCRIPTS.filter))).toEqual(['person:1', 'person:5']);
  });

  it('map: each person to their age', async () => {
    expect(sorted(await rg(SCRIPTS.map))).toEqual(['14', '17', '35', '70', '87']);
  });

  it('accumulate after collect: the maximum age is 87', async () => {
    expect(await rg(SCRIPTS.maximum)).toEqual(['87']);
  });

  it('aggregate and avg: the average age is 44.6', async () => {
    expect(await rg(SCRIPTS.aggregate)).toEqual(['44.6']);
    expect(await rg(SCRIPTS.avg)).toEqual(['44.6']);
  });

  it('countBy: persons per family', async () => {
    expect(sorted(await rg(SCRIPTS.countBy))).toEqual([
      '{"key":"Pibbles","value":1}',
      '{"key":"Sanchez","value":1}',
      '{"key":"Smith","value":3}',
    ]);
  });

  it('UNBLOCKING answers an execution id; RG.DUMPEXECUTIONS shows it done; RG.GETRESULTS gives its results', async () => {
    const [id, ...rest] = await cli('RG.JSEXECUTE', SCRIPTS.keys, 'UNBLOCKING');
    expect(rest).toEqual([]);
    expect(id).toMatch(EXECUTION_ID);
    // Poll the listing (bounded): RG.GETRESULTS answers "execution is still running" until it is done.
    await vi.waitFor(
      async () => {
        const lines = await cli('RG.DUMPEXECUTIONS');
        const at = lines.indexOf(id!);
        expect(lines.slice(at - 1, at + 5)).toEqual(['executionId', id, 'status', 'done', 'registered', '0']);
      },
      { timeout: 20_000, interval: 50 },
    );
    const lines = await cli('RG.GETRESULTS', id!);
    expect(lines.at(-1)).toBe('');
    expect(sorted(lines.slice(0, -1))).toEqual(['person:1', 'person:2', 'person:3', 'person:4', 'person:5']);
  });

  it('UNBLOCKING, then RG.GETRESULTSBLOCKING waits for the results', async () => {
    const [id] = await cli('RG.JSEXECUTE', SCRIPTS.keys, 'UNBLOCKING');
    const lines = await cli('RG.GETRESULTSBLOCKING', id!);
    expect(sorted(lines.slice(0, -1))).toEqual(['person:1', 'person:2', 'person:3', 'person:4', 'person:5']);
  });

  it('repartition: each family name to the shard that owns it, INCR there; GET Smith is 3', async () => {
    expect(sorted(await rg(SCRIPTS.repartition))).toEqual(['Pibbles', 'Sanchez', 'Smith', 'Smith', 'Smith']);
    expect(await cli('GET', 'Smith')).toEqual(['3']);
    expect(await cli('GET', 'Sanchez')).toEqual(['1']);
  });

  it('the registered event-driven maximum: HSET a person, GET age:maximum', async () => {
    expect(await cli('RG.JSEXECUTE', SCRIPTS.register, 'ID', 'maximum')).toEqual(['OK']);
    const registrations = await cli('RG.DUMPREGISTRATIONS');
    expect(registrations.slice(0, 4)).toEqual(['id', expect.stringMatching(EXECUTION_ID), 'reader', 'KeysReader']);
    expect(await cli('HSET', 'person:6', 'name', 'Abradolf Lincler', 'age', '99')).toEqual(['2']);
    // mode 'sync': the HSET was answered after the gear ran, so no waiting here.
    expect(await cli('GET', 'age:maximum')).toEqual(['99']);
    expect(await cli('HSET', 'person:7', 'name', 'Squanchy', 'age', '42')).toEqual(['2']);
    expect(await cli('GET', 'age:maximum')).toEqual(['99']);
  });

  it(
    target.persistent
      ? 'a new server on the same Redis runs the registration again'
      : 'a new server starts empty: the embedded store keeps nothing',
    async () => {
      await server.close();
      server = await serve({ ...options, port: 0 });
      if (target.persistent) {
        expect((await cli('RG.DUMPREGISTRATIONS')).slice(2, 4)).toEqual(['reader', 'KeysReader']);
        expect(await cli('HSET', 'person:8', 'name', 'Old Timer', 'age', '100')).toEqual(['2']);
        expect(await cli('GET', 'age:maximum')).toEqual(['100']);
      } else {
        expect(await cli('RG.DUMPREGISTRATIONS')).toEqual(['']);
        expect(await cli('GET', 'age:maximum')).toEqual(['']);
      }
    },
  );

  it("README's quick start shows only commands sent here", async () => {
    const commands = await quickStartCommands();
    expect(commands.length).toBeGreaterThan(10);
    // An execution id differs from run to run: any id matches any id.
    const normal = (args: string[]): string => JSON.stringify(args.map((a) => (EXECUTION_ID.test(a) ? '<id>' : a)));
    const tested = new Set(sent.map(normal));
    for (const command of commands) expect(tested, `not tested: ${command.join(' ')}`).toContain(normal(command));
  });
});
