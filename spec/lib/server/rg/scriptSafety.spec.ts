import { describe, expect, it } from 'vitest';
import { useServerWithTwoClients } from '../helpers.ts';
import { connect } from '../../../../lib/index.ts';
import { runScript, ScriptTimeoutError } from '../../../../lib/server/rg/sandbox.ts';
import { until } from '../../../support/until.ts';

const start = useServerWithTwoClients();

describe.each([1, 3])('a runaway script on %i shard(s)', (shards) => {
  it('fails with a clear error after ScriptMaxBlockTime; other clients are answered; data and registrations stay', async () => {
    const { a, b } = await start(shards, { ScriptMaxBlockTime: 300 });
    await b.set('kept', 'yes');
    await b.call('RG.JSEXECUTE', "GB('CommandReader').map(() => 'alive').register({ trigger: 'alive' })");
    const runaway = a.call('RG.JSEXECUTE', 'while (true) {}');
    const pong = b.ping();
    await expect(runaway).rejects.toThrow(
      /^ScriptTimeoutError: Execution timed out: the script ran longer than ScriptMaxBlockTime \(300 ms\)/,
    );
    expect(await pong).toBe('PONG');
    expect(await b.ping()).toBe('PONG');
    expect(await b.get('kept')).toBe('yes');
    expect(await b.call('RG.TRIGGER', 'alive')).toEqual(Array.from({ length: shards }, () => 'alive'));
    // The same client goes on too.
    expect(await a.call('RG.JSEXECUTE', "GB('ShardsIDReader').count().run()")).toEqual([[shards], []]);
  });
});

describe('a script that allocates without bound', () => {
  it('is stopped by the same limit; the server goes on', async () => {
    const { a, b } = await start(1, { ScriptMaxBlockTime: 300 });
    const runaway = a.call(
      'RG.JSEXECUTE',
      'const kept = []; for (;;) kept.push({ n: kept.length, s: `x${kept.length}` })',
    );
    const pong = b.ping();
    await expect(runaway).rejects.toThrow('ScriptMaxBlockTime (300 ms)');
    expect(await pong).toBe('PONG');
    expect(await a.call('RG.JSEXECUTE', "GB('ShardsIDReader').count().run()")).toEqual([[1], []]);
  });
});

describe('ScriptMaxBlockTime', () => {
  it('is set with RG.CONFIGSET and stops a loop in a script that registered first, rolling it back', async () => {
    const { a } = await start(1, {});
    expect(await a.call('RG.CONFIGSET', 'ScriptMaxBlockTime', '200')).toEqual(['OK']);
    expect(await a.call('RG.CONFIGGET', 'ScriptMaxBlockTime')).toEqual([200]);
    await expect(
      a.call('RG.JSEXECUTE', "GB().register({ prefix: 'loop:*' }); for (;;) { Math.random() }"),
    ).rejects.toThrow('ScriptMaxBlockTime (200 ms)');
    expect(await a.call('RG.DUMPREGISTRATIONS')).toEqual([]);
    await expect(a.call('RG.CONFIGSET', 'ScriptMaxBlockTime', '0')).rejects.toThrow(
      'ScriptMaxBlockTime must be a positive integer',
    );
  });

  it('is a ScriptTimeoutError for runScript callers (rxgears exec, embedders)', async () => {
    const gears = await connect({ shards: 1, config: { ScriptMaxBlockTime: 100 } });
    try {
      await expect(runScript(gears, 'let x = 0; while (true) { x++ }')).rejects.toBeInstanceOf(ScriptTimeoutError);
    } finally {
      await gears.close();
    }
  });
});

describe.each([1, 3])('a callback that never settles, on %i shard(s)', (shards) => {
  it("ends the run with 'Execution max idle reached' after ExecutionMaxIdleTime", async () => {
    const { a } = await start(shards, { ExecutionMaxIdleTime: 200 });
    const reply = await a.call('RG.JSEXECUTE', "GB('ShardsIDReader').map(() => new Promise(() => {})).run()");
    expect(reply).toEqual([[], ['Execution max idle reached']]);
    expect(await a.call('RG.DUMPEXECUTIONS')).toEqual([]);
  });

  it('is listed by RG.DUMPEXECUTIONS while it blocks, and RG.ABORTEXECUTION from another client ends it', async () => {
    const { a, b } = await start(shards, { ExecutionMaxIdleTime: 600_000 });
    const reply = a.call('RG.JSEXECUTE', "GB('ShardsIDReader').map(() => new Promise(() => {})).run()");
    let listed: unknown[][] = [];
    await until(async () => {
      listed = (await b.call('RG.DUMPEXECUTIONS')) as unknown[][];
      return listed.length === 1;
    }, 'the blocking run listed');
    const id = listed[0]![1] as string;
    expect(listed[0]).toEqual([
      'executionId',
      id,
      'status',
      expect.stringMatching(/running|pending_cluster/),
      'registered',
      0,
    ]);
    expect(await b.call('RG.ABORTEXECUTION', id)).toBe('OK');
    expect(await reply).toEqual([[], []]);
    // Answered, then freed: a blocking run is not kept once it replied.
    expect(await b.call('RG.DUMPEXECUTIONS')).toEqual([]);
  });
});
