import { describe, expect, it } from 'vitest';
import { useEmbeddedServer } from '../helpers.ts';

/** A gear that holds every shard's record until `gate` is set: a running execution we control. */
const gated = (gate: string): string =>
  `GB('ShardsIDReader').map(async (id) => {
     while ((await execute('GET', '${gate}')) === null) await new Promise((r) => setTimeout(r, 5));
     return id;
   }).run()`;

describe('RG commands over the engine facade', () => {
  const env = useEmbeddedServer();
  const call = env.call;

  it('UNBLOCKING, RG.GETRESULTS, RG.GETRESULTSBLOCKING, RG.DROPEXECUTION and RG.DUMPEXECUTIONS, with RedisGears’ errors', async () => {
    const id = (await call('RG.JSEXECUTE', gated('gate:1'), 'UNBLOCKING')) as string;
    expect(id).toMatch(/^[0-9a-f]{40}-\d+$/);
    await expect(call('RG.GETRESULTS', id)).rejects.toThrow('execution is still running');
    await expect(call('RG.DROPEXECUTION', id)).rejects.toThrow(
      'can not drop a not yet finished execution, abort it first.',
    );
    expect(await call('RG.DUMPEXECUTIONS')).toContainEqual(['executionId', id, 'status', 'running', 'registered', 0]);
    const blocking = call('RG.GETRESULTSBLOCKING', id);
    await env.gears.execute('SET', 'gate:1', '1'); // not through `redis`: its connection waits on GETRESULTSBLOCKING, as in Redis
    const [results, errors] = (await blocking) as [string[], string[]];
    expect([...results].sort()).toEqual(env.gears.shards.map((s) => s.id).sort());
    expect(errors).toEqual([]);
    expect(await call('RG.GETRESULTS', id)).toEqual([results, []]);
    expect(await call('RG.DUMPEXECUTIONS')).toContainEqual(['executionId', id, 'status', 'done', 'registered', 0]);
    expect(await call('RG.DROPEXECUTION', id)).toBe('OK');
    await expect(call('RG.GETRESULTS', id)).rejects.toThrow('execution plan does not exist');
  });

  it('RG.ABORTEXECUTION stops a running execution, keeping it listed as aborted', async () => {
    const id = (await call('RG.JSEXECUTE', gated('gate:2'), 'UNBLOCKING')) as string;
    expect(await call('RG.ABORTEXECUTION', id)).toBe('OK');
    expect(await call('RG.DUMPEXECUTIONS')).toContainEqual(['executionId', id, 'status', 'aborted', 'registered', 0]);
    await env.gears.execute('SET', 'gate:2', '1'); // let the waiting callbacks end
    expect(await call('RG.DROPEXECUTION', id)).toBe('OK');
  });

  it('RG.GETEXECUTION answers in RedisGears’ shape', async () => {
    const id = (await call('RG.JSEXECUTE', "GB().map(r => r.key).run('nothing:*')", 'UNBLOCKING')) as string;
    await call('RG.GETRESULTSBLOCKING', id);
    const [[label, shardId, planLabel, plan]] = (await call('RG.GETEXECUTION', id)) as [
      [string, string, string, unknown[]],
    ];
    expect([label, shardId, planLabel]).toEqual(['shard_id', id.split('-')[0], 'execution_plan']);
    expect(plan.slice(0, 2)).toEqual(['status', 'done']);
    expect(plan).toContain('steps');
  });

  it('RG.CONFIGSET and RG.CONFIGGET', async () => {
    expect(await call('RG.CONFIGSET', 'MaxExecutions', '500', 'MyThreshold', '7')).toEqual([
      'OK',
      'OK - value was saved in extra config dictionary',
    ]);
    expect(await call('RG.CONFIGGET', 'MaxExecutions', 'MyThreshold', 'Unset')).toEqual([500, '7', null]);
    await expect(call('RG.CONFIGSET', 'MaxExecutions')).rejects.toThrow(/wrong number of arguments/);
    await expect(call('RG.CONFIGSET', 'MaxExecutions', '-1')).rejects.toThrow(/MaxExecutions/);
  });

  it('RG.INFOCLUSTER lists the shards and their slots; RG.REFRESHCLUSTER answers OK', async () => {
    const [myId, id, runId, , shards] = (await call('RG.INFOCLUSTER')) as [string, string, string, string, unknown[][]];
    expect([myId, runId]).toEqual(['MyId', 'MyRunId']);
    expect(id).toBe(env.gears.shards[0]!.id);
    expect(shards.map((s) => s.slice(0, 6))).toEqual([
      ['id', env.gears.shards[0]!.id, 'minHslot', 0, 'maxHslot', 5460],
      ['id', env.gears.shards[1]!.id, 'minHslot', 5461, 'maxHslot', 10922],
      ['id', env.gears.shards[2]!.id, 'minHslot', 10923, 'maxHslot', 16383],
    ]);
    expect(await call('RG.REFRESHCLUSTER')).toBe('OK');
  });

  it('gives scripts the runtime helpers bound to this engine, at top level and in callbacks', async () => {
    const script = `await atomic(async () => {
  const n = Number((await execute('GET', 'helpers:n')) ?? 0);
  await execute('SET', 'helpers:n', n + 1);
});
log('a script says hello', 'debug');
const threshold = configGet('MyThreshold');
GB('ShardsIDReader').map(() => hashtag() + ':' + threshold).run()`;
    const [results] = (await call('RG.JSEXECUTE', script)) as [string[]];
    expect(results).toHaveLength(3);
    expect(new Set(results).size).toBe(3);
    for (const result of results) expect(result).toMatch(/^[0-9a-z]+:7$/);
    expect(await env.redis.get('helpers:n')).toBe('1');
  });
});
