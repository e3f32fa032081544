import { afterEach, describe, expect, it } from 'vitest';
import { connect, GearsError, type Gears } from '../../lib/index.ts';
import { READERS, READER_NAMES, readerOf } from '../../readers/index.ts';

let gears: Gears | undefined;
afterEach(async () => {
  await gears?.close();
  gears = undefined;
});

describe('READERS', () => {
  it('names each descriptor by its key, and GB() accepts exactly those names', async () => {
    gears = await connect();
    for (const [name, reader] of Object.entries(READERS)) expect(reader.name).toBe(name);
    expect(READER_NAMES).toEqual([
      'KeysReader',
      'KeysOnlyReader',
      'StreamReader',
      'ShardsIDReader',
      'GeneratorReader',
      'CommandReader',
      'TimeEventReader',
    ]);
    for (const name of READER_NAMES) expect(() => gears!.GB(name)).not.toThrow();
    expect(() => gears!.GB('toString' as never)).toThrow('reader does not exists');
    expect(readerOf('constructor')).toBeUndefined();
    expect(() => gears!.GB(1 as never)).toThrow('reader argument must be a string');
  });

  it('takes the default argument from the descriptor', async () => {
    gears = await connect();
    await gears.execute('SET', 'd:1', 'x');
    expect(
      (
        await gears
          .GB()
          .map((r) => r.key)
          .run()
      ).results,
    ).toEqual(['d:1']);
    expect((await gears.GB('KeysOnlyReader').run()).results).toEqual(['d:1']);
  });

  it('tells readers that cannot run or register apart by their descriptor', async () => {
    gears = await connect();
    await expect(gears.GB('CommandReader').run()).rejects.toThrow('reader do not support run');
    await expect(gears.GB('KeysOnlyReader').register()).rejects.toThrow('reader do not support register');
    await expect(gears.GB('GeneratorReader').register()).rejects.toThrow('reader do not support register');
  });
});

describe("RedisGears' validation messages", () => {
  it.each([
    ['register(1)', (g: Gears) => g.GB().register(1 as never), 'regex argument must be a string'],
    ['register([])', (g: Gears) => g.GB().register([] as never), 'regex argument must be a string'],
    [
      'register({ prefix: 1 })',
      (g: Gears) => g.GB().register({ prefix: 1 as never }),
      'regex argument must be a string',
    ],
    ["keyTypes: ['nope']", (g: Gears) => g.GB().register({ keyTypes: ['hash', 'nope'] }), 'unknown key type'],
    [
      "StreamReader sync + 'abort'",
      (g: Gears) => g.GB('StreamReader').register({ mode: 'sync', onFailedPolicy: 'abort' }),
      'ExecutionMode sync can only be combined with OnFailedPolicy Continue',
    ],
    [
      "StreamReader sync + 'retry'",
      (g: Gears) => g.GB('StreamReader').register({ mode: 'sync', onFailedPolicy: 'retry' }),
      'ExecutionMode sync can only be combined with OnFailedPolicy Continue',
    ],
    [
      'trigger: 1',
      (g: Gears) => g.GB('CommandReader').register({ trigger: 1 as never }),
      'trigger argument is not string',
    ],
    ['no trigger', (g: Gears) => g.GB('CommandReader').register('test'), 'no trigger or hook argument was given'],
  ])('%s → "%s"', async (_label, act, message) => {
    gears = await connect();
    await expect(act(gears)).rejects.toThrow(new GearsError(message));
    expect(gears.dumpRegistrations()).toEqual([]);
  });

  it('accepts key types in any case and sync StreamReader registrations with continue', async () => {
    gears = await connect();
    await gears.GB().register({ keyTypes: ['HASH', 'string'] });
    await gears.GB('StreamReader').register({ mode: 'sync', onFailedPolicy: 'continue' });
    expect(gears.dumpRegistrations()).toHaveLength(2);
  });
});
