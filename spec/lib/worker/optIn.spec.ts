import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Gears } from '../../../lib/index.ts';
import { startRedis, type RedisServerHandle } from '../../../lib/testing/servers.ts';

/**
 * Scaling out is opt-in: the default engine on Redis — runs with exchanges, a registration — writes no
 * control or exchange keys (`rxg:*`). A server of its own, so no other spec's keys are counted.
 */
describe('one process stays the default', () => {
  let server: RedisServerHandle;
  let gears: Gears;
  beforeAll(async () => {
    server = await startRedis();
    gears = await connect(server.url);
  });
  afterAll(async () => {
    await gears?.close();
    await server?.stop();
  });

  it('connect(url) runs repartitions and collects and registers without writing a control key', async () => {
    for (let i = 0; i < 20; i++) await gears.execute('HSET', `p:${i}`, 'n', i);
    const { results, errors } = await gears
      .GB()
      .repartition((r) => r.key)
      .countBy((r) => Number((r.value as Record<string, string>).n) % 3)
      .run('p:*');
    expect(errors).toEqual([]);
    expect(results).toHaveLength(3);
    const id = await gears
      .GB()
      .forEach(() => undefined)
      .register({ prefix: 'q:*' });
    await gears.execute('SET', 'q:1', 'x');
    gears.unregister(id);
    expect(await gears.execute('KEYS', 'rxg:*')).toEqual([]);
  });
});
