import { afterEach, describe, expect, it } from 'vitest';
import { configGet, connect, DEFAULT_CONFIG, GearsError, type Gears } from '../../../lib/index.ts';

let gears: Gears;
afterEach(() => gears.close());

describe('configuration', () => {
  it('starts from RedisGears-like defaults and lists every built-in without keys', async () => {
    gears = await connect();
    expect(
      gears.configGet('MaxExecutions', 'MaxExecutionsPerRegistration', 'ExecutionMaxIdleTime', 'ProfileExecutions'),
    ).toEqual([1000, 100, 5000, 0]);
    expect(gears.configGet()).toEqual(Object.values({ ...DEFAULT_CONFIG }));
  });

  it('takes initial values from connect()', async () => {
    gears = await connect({ config: { MaxExecutions: 7 } });
    expect(gears.configGet('MaxExecutions')).toEqual([7]);
  });

  it('sets built-ins and extra keys; an extra key gets RedisGears’ reply and is readable', async () => {
    gears = await connect();
    expect(gears.configSet({ ExecutionMaxIdleTime: 250, Threshold: 'high' })).toEqual([
      'OK',
      'OK - value was saved in extra config dictionary',
    ]);
    expect(gears.configGet('ExecutionMaxIdleTime', 'Threshold', 'NeverSet')).toEqual([250, 'high', null]);
  });

  it.each([
    [{ MaxExecutions: 0 }, 'MaxExecutions must be a positive integer'],
    [{ MaxExecutionsPerRegistration: -3 }, 'MaxExecutionsPerRegistration must be a positive integer'],
    [{ ExecutionMaxIdleTime: 1.5 }, 'ExecutionMaxIdleTime must be a positive integer'],
    [{ ProfileExecutions: 2 }, 'ProfileExecutions must be 0 or 1'],
    [{ LogLevel: 'loud' }, 'LogLevel must be one of debug, verbose, notice, warning'],
    [{ CloneRecords: 1 }, 'CloneRecords: not modifiable at runtime'],
    [{ Extra: { nested: true } }, 'Extra: value must be a string or a number'],
  ])('rejects %o with %s, changing nothing', async (pairs, message) => {
    gears = await connect();
    expect(() => gears.configSet({ ...pairs, MaxPendingCallbacks: 5 } as never)).toThrow(new GearsError(message));
    expect(gears.configGet('MaxPendingCallbacks')).toEqual([64]);
  });

  it('accepts numbers given as strings, as RG.CONFIGSET sends them', async () => {
    gears = await connect();
    gears.configSet({ MaxExecutions: '12' });
    expect(gears.configGet('MaxExecutions')).toEqual([12]);
  });

  it('lets gear functions read settings with configGet()', async () => {
    gears = await connect({ shards: 3 });
    gears.configSet({ Greeting: 'hello' });
    const { results } = await gears
      .GB('ShardsIDReader')
      .map(
        () => `${String(configGet('Greeting'))} ${String(configGet('MaxExecutions'))} ${String(configGet('Missing'))}`,
      )
      .run();
    expect(results).toEqual(['hello 1000 null', 'hello 1000 null', 'hello 1000 null']);
  });
});
