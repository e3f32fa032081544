import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, GearsError } from '../../../lib/index.ts';
import { startRedis, type RedisServerHandle } from '../../../lib/testing/index.ts';

/** A Redis where the user may not run CONFIG and keyspace notifications are off: register() must say so. */
describe('register() on a Redis that refuses CONFIG', () => {
  let server: RedisServerHandle;
  beforeAll(async () => {
    server = await startRedis({
      args: ['--user', 'noconfig', 'on', '>secret', '~*', '&*', '+@all', '-config', '--notify-keyspace-events', ''],
    });
  });
  afterAll(() => server.stop());

  it('rejects with a GearsError naming notify-keyspace-events, and leaves no registration behind', async () => {
    const gears = await connect(`redis://noconfig:secret@127.0.0.1:${server.port}`);
    try {
      const registering = gears.GB().register('person:*');
      await expect(registering).rejects.toThrow(GearsError);
      await expect(registering).rejects.toThrow(/notify-keyspace-events KEA/);
      expect(gears.dumpRegistrations()).toEqual([]);
      // The engine keeps working for everything else.
      expect(await gears.execute('SET', 'still', 'ok')).toBe('OK');
    } finally {
      await gears.close();
    }
  });
});
