import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InProcessTransport } from '../../../lib/cluster/InProcessTransport.ts';
import { connect, GearsError, type Gears } from '../../../lib/index.ts';
import { runPart } from '../../../lib/worker/runPart.ts';

describe('runPart', () => {
  let gears: Gears;
  beforeAll(async () => {
    gears = await connect({ shards: 3 });
    for (let i = 0; i < 30; i++) await gears.execute('SET', `k:${i}`, String(i));
  });
  afterAll(() => gears.close());

  const part = (plan: Parameters<typeof runPart>[0]['plan'], owned: number[]) =>
    runPart({
      executionId: 'x-1',
      plan,
      topology: gears.topology,
      engine: gears,
      owned,
      transport: new InProcessTransport(),
    });

  it('running every shard in one part equals run()', async () => {
    const builder = gears
      .GB()
      .map((r) => Number(r.value))
      .aggregate(
        0,
        (a: number, n: number) => a + n,
        (a, b) => a + b,
      );
    const execution = part(builder.plan, [0, 1, 2]);
    await execution.done;
    expect(execution.result()).toEqual(await builder.run('k:*'));
  });

  it('refuses a shard index outside the topology and a reader that cannot run, with a GearsError', () => {
    expect(() => part(gears.GB().plan, [0, 3])).toThrow(
      new GearsError('shard index 3 is not in the topology (3 shards)'),
    );
    expect(() => part(gears.GB('CommandReader').plan, [0])).toThrow(new GearsError('reader do not support run'));
  });
});
