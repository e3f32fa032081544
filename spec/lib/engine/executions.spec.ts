import { afterEach, describe, expect, it } from 'vitest';
import { connect, GearsError, type Gears } from '../../../lib/index.ts';

let gears: Gears;
afterEach(() => gears.close());

/** A gate a gear function can wait on, opened by the test: no timers, no races. */
function gate(): { wait: () => Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { wait: () => opened, open };
}

describe('executions', () => {
  it('unblocking run → id at once; dumpExecutions lists it; getResults once it is done', async () => {
    gears = await connect({ shards: 3 });
    await gears.execute('SET', 'a', '1');
    const g = gate();
    const id = await gears
      .GB()
      .forEach(() => g.wait())
      .map((r) => r.key)
      .run('*', { unblocking: true });
    expect(id).toMatch(/^[0-9a-f]{40}-\d+$/);
    expect(gears.dumpExecutions()).toEqual([
      { executionId: id, status: expect.stringMatching(/^(running|pending_cluster)$/), registered: false },
    ]);
    expect(() => gears.getResults(id)).toThrow(GearsError);
    expect(() => gears.getResults(id)).toThrow('execution is still running');
    g.open();
    expect(await gears.getResultsBlocking(id)).toEqual({ results: ['a'], errors: [] });
    expect(gears.getResults(id)).toEqual({ results: ['a'], errors: [] });
    expect(gears.dumpExecutions()[0]!.status).toBe('done');
  });

  it('does not keep blocking runs', async () => {
    gears = await connect();
    await gears.GB().run();
    expect(gears.dumpExecutions()).toEqual([]);
  });

  it("answers 'execution plan does not exist' for an unknown id, everywhere", async () => {
    gears = await connect();
    const message = 'execution plan does not exist';
    expect(() => gears.getResults('nope')).toThrow(message);
    await expect(gears.getResultsBlocking('nope')).rejects.toThrow(message);
    expect(() => gears.abortExecution('nope')).toThrow(message);
    expect(() => gears.dropExecution('nope')).toThrow(message);
    expect(() => gears.getExecution('nope')).toThrow(message);
  });

  it('abortExecution stops every shard and keeps the results so far; aborting again is fine', async () => {
    gears = await connect({ shards: 3 });
    for (let i = 0; i < 30; i++) await gears.execute('SET', `k${i}`, String(i));
    const g = gate();
    let seen = 0;
    const id = await gears
      .GB()
      .map(async (r) => {
        if (++seen > 3) await g.wait(); // every record after the third waits forever
        return r.key;
      })
      .run('*', { unblocking: true, collect: false });
    await new Promise((resolve) => setImmediate(resolve));
    gears.abortExecution(id);
    const { results } = await gears.getResultsBlocking(id);
    expect(gears.getExecution(id).status).toBe('aborted');
    expect(results.length).toBeLessThanOrEqual(3);
    gears.abortExecution(id); // a second abort: no error
    g.open();
    await new Promise((resolve) => setImmediate(resolve));
    expect(gears.getResults(id).results).toEqual(results); // nothing arrives after the abort
  });

  it("dropExecution forgets a finished execution and refuses a running one with RedisGears' message", async () => {
    gears = await connect();
    await gears.execute('SET', 'a', '1');
    const g = gate();
    const id = await gears
      .GB()
      .forEach(() => g.wait())
      .run('*', { unblocking: true });
    expect(() => gears.dropExecution(id)).toThrow('can not drop a not yet finished execution, abort it first.');
    g.open();
    await gears.getResultsBlocking(id);
    gears.dropExecution(id);
    expect(gears.dumpExecutions()).toEqual([]);
  });

  it('evicts the oldest finished executions beyond MaxExecutions, never a running one', async () => {
    gears = await connect({ config: { MaxExecutions: 3 } });
    const g = gate();
    const running = await gears
      .GB('ShardsIDReader')
      .forEach(() => g.wait())
      .run(undefined, { unblocking: true });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const id = await gears.GB('ShardsIDReader').run(undefined, { unblocking: true });
      await gears.getResultsBlocking(id);
      ids.push(id);
    }
    expect(gears.dumpExecutions().map((e) => e.executionId)).toEqual([running, ids[3], ids[4]]);
    g.open();
  });

  it('getExecution reports status, shards, counts and per-step records in and out', async () => {
    gears = await connect({ shards: 3 });
    for (let i = 0; i < 9; i++) await gears.execute('SET', `n:${i}`, String(i));
    const id = await gears
      .GB()
      .map((r) => Number(r.value))
      .filter((n) => n % 2 === 0)
      .count()
      .run('n:*', { unblocking: true });
    await gears.getResultsBlocking(id);
    const info = gears.getExecution(id);
    expect(info).toMatchObject({
      executionId: id,
      status: 'done',
      registered: false,
      reader: 'KeysReader',
      shardsReceived: 3,
      shardsCompleted: 3,
      results: 1,
      errors: [],
    });
    expect(info.shards.map((s) => s.status)).toEqual(['done', 'done', 'done']);
    expect(info.steps.map((s) => [s.type, s.op, s.recordsIn, s.recordsOut])).toEqual([
      ['map', 'map', 9, 9],
      ['filter', 'filter', 9, 5],
      ['accumulate', 'count', 5, 3], // every shard emits its count
      ['collect', 'count', 3, 3],
      ['accumulate', 'count', 3, 1],
      ['collect', 'run', 1, 1],
    ]);
    expect(info.totalDurationMs).toBeGreaterThanOrEqual(info.readDurationMs);
    expect(info.steps.every((s) => s.durationMs === 0)).toBe(true); // not profiled
  });

  it('measures step durations when ProfileExecutions is 1', async () => {
    gears = await connect();
    gears.configSet({ ProfileExecutions: 1 });
    await gears.execute('SET', 'a', '1');
    const id = await gears
      .GB()
      .map(async (r) => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        return r;
      })
      .run('*', { unblocking: true });
    await gears.getResultsBlocking(id);
    expect(gears.getExecution(id).steps[0]!.durationMs).toBeGreaterThanOrEqual(15);
  });

  it("aborts an execution that waits on a silent shard with 'Execution max idle reached', keeping partial results", async () => {
    gears = await connect({ shards: 3, config: { ExecutionMaxIdleTime: 100 } });
    const silent = gears.shards[1]!.id;
    const never = new Promise<never>(() => undefined);
    const started = Date.now();
    const { results, errors } = await gears
      .GB('ShardsIDReader')
      .map((id) => (id === silent ? never : id))
      .run();
    expect(Date.now() - started).toBeLessThan(5000);
    expect(errors).toEqual(['Execution max idle reached']);
    expect(results.sort()).toEqual([gears.shards[0]!.id, gears.shards[2]!.id].sort());
  });

  it("ends a run whose only shard's callback never settles with 'Execution max idle reached'", async () => {
    gears = await connect({ shards: 1, config: { ExecutionMaxIdleTime: 100 } });
    await gears.execute('SET', 'a', '1');
    await gears.execute('SET', 'b', '2');
    const never = new Promise<never>(() => undefined);
    const { results, errors } = await gears
      .GB()
      .map((r) => (r.key === 'b' ? never : r.key))
      .run('*');
    expect(errors).toEqual(['Execution max idle reached']);
    expect(results).toEqual(['a']);
  });

  it("ends a run in which every shard's callback hangs, listed as aborted when unblocking", async () => {
    gears = await connect({ shards: 3, config: { ExecutionMaxIdleTime: 100 } });
    const never = new Promise<never>(() => undefined);
    const id = (await gears
      .GB('ShardsIDReader')
      .map(() => never)
      .run(undefined, { unblocking: true })) as string;
    const { results, errors } = await gears.getResultsBlocking(id);
    expect(errors).toEqual(['Execution max idle reached']);
    expect(results).toEqual([]);
    expect(gears.getExecution(id).status).toBe('aborted');
  });

  it('never calls a reader that is still reading idle: a slow reader with no records yet is not aborted', async () => {
    gears = await connect({ shards: 1, config: { ExecutionMaxIdleTime: 50 } });
    async function* slow(): AsyncGenerator<number> {
      await new Promise((resolve) => setTimeout(resolve, 300));
      yield 1;
    }
    const { results, errors } = await gears.GB('GeneratorReader').run(slow);
    expect(errors).toEqual([]);
    expect(results).toEqual([1]);
  });
});
