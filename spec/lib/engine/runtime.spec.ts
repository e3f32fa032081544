import { afterEach, describe, expect, it } from 'vitest';
import {
  atomic,
  connect,
  execute,
  GearsError,
  hashSlot,
  hashtag,
  log,
  type Gears,
  type LogLevel,
} from '../../../lib/index.ts';
import { allBackends, uniquePrefix, deleteKeys } from '../../support/backends.ts';
import { recordingLogger } from '../../support/logger.ts';

let gears: Gears | undefined;
afterEach(async () => {
  await gears?.close();
  gears = undefined;
});

const owns = (g: Gears, shardId: string, key: string) =>
  g.shards.find((s) => s.id === shardId)!.slots.some(([a, b]) => hashSlot(key) >= a && hashSlot(key) <= b);

describe.each(allBackends())('runtime helpers on $name', (backend) => {
  it('atomic(): 50 parallel read-modify-write blocks on one counter end exactly at 50', async () => {
    gears = await backend.connect();
    const key = `${uniquePrefix('atomic')}counter`;
    const bump = () =>
      atomic(async () => {
        const value = Number((await execute('GET', key)) ?? 0);
        await execute('SET', key, value + 1);
      });
    await Promise.all(Array.from({ length: 50 }, bump));
    expect(await gears.execute('GET', key)).toBe('50');
    await gears.execute('DEL', key);
  });

  it('atomic() inside gear functions keeps a running maximum race-free', async () => {
    gears = await backend.connect();
    const prefix = uniquePrefix('max');
    const maxKey = `${prefix}maximum`;
    for (let i = 1; i <= 40; i++) await gears.execute('HSET', `${prefix}p:${i}`, 'age', (i * 37) % 101);
    const { errors } = await gears
      .GB()
      .filter((r) => r.type === 'hash')
      .map((r) => Number((r.value as Record<string, string>).age))
      .forEach((age) =>
        atomic(async () => {
          const current = Number((await execute('GET', maxKey)) ?? 0);
          if (age > current) await execute('SET', maxKey, age);
        }),
      )
      .run(`${prefix}p:*`);
    expect(errors).toEqual([]);
    const ages = Array.from({ length: 40 }, (_, i) => ((i + 1) * 37) % 101);
    expect(await gears.execute('GET', maxKey)).toBe(String(Math.max(...ages)));
    await deleteKeys(gears, `${prefix}*`);
  });

  it('atomic() resolves with the block’s value, and writes read as QUEUED inside it', async () => {
    gears = await backend.connect();
    const key = `${uniquePrefix('q')}k`;
    const inside = await atomic(async () => execute('SET', key, 'v'));
    expect(inside).toBe('QUEUED');
    expect(await gears.execute('GET', key)).toBe('v');
    await gears.execute('DEL', key);
  });

  it('atomic() with keys in two slots rejects with CROSSSLOT and writes nothing', async () => {
    gears = await backend.connect();
    const prefix = uniquePrefix('x');
    await expect(
      atomic(async () => {
        await execute('SET', `${prefix}{a}`, '1');
        await execute('SET', `${prefix}{b}`, '1');
      }),
    ).rejects.toThrow("CROSSSLOT Keys in request don't hash to the same slot");
    expect(await gears.execute('EXISTS', `${prefix}{a}`)).toBe(0);
  });

  it('atomic() that throws writes nothing and rethrows', async () => {
    gears = await backend.connect();
    const key = `${uniquePrefix('t')}k`;
    await expect(
      atomic(async () => {
        await execute('SET', key, 'v');
        throw new RangeError('changed my mind');
      }),
    ).rejects.toThrow(new RangeError('changed my mind'));
    expect(await gears.execute('EXISTS', key)).toBe(0);
  });

  it('hashtag() names a slot the current shard owns, so {hashtag}-keys written there land there', async () => {
    gears = await backend.connect();
    const g = gears;
    const prefix = uniquePrefix('h');
    const { results, errors } = await g
      .GB('ShardsIDReader')
      .map(async (shardId) => {
        const key = `{${hashtag()}}${prefix}`;
        await execute('SET', key, shardId);
        return { shardId, key };
      })
      .run();
    expect(errors).toEqual([]);
    expect(results).toHaveLength(backend.shards);
    for (const { shardId, key } of results) {
      expect(owns(g, shardId, key)).toBe(true);
      const shard = g.shards.find((s) => s.id === shardId)!;
      expect(await shard.store.call('GET', key)).toBe(shardId); // asked on that shard's own store
      await g.execute('DEL', key);
    }
  });
});

describe('log()', () => {
  it('writes at Redis’ levels (as debug, info, warn) with the shard id, below LogLevel nothing', async () => {
    const recorded = recordingLogger();
    const lines = recorded.entries;
    gears = await connect({ shards: 3, logger: recorded.logger });
    await gears
      .GB('ShardsIDReader')
      .forEach((id) => {
        log(`hello from ${id}`);
        log('details', 'debug');
        log('careful', 'warning');
      })
      .run();
    expect(lines.filter((e) => e.level === 'debug')).toEqual([]);
    expect(
      lines.filter((e) => e.level === 'info').map((e) => e.message === `hello from ${String(e.fields['shardId'])}`),
    ).toEqual([true, true, true]);
    expect(lines.filter((e) => e.level === 'warn')).toHaveLength(3);
    gears.configSet({ LogLevel: 'debug' });
    await gears
      .GB('ShardsIDReader')
      .forEach(() => log('details', 'debug'))
      .run();
    expect(lines.filter((e) => e.level === 'debug')).toHaveLength(3);
  });

  it('reports an unknown level in errors', async () => {
    gears = await connect();
    const { errors } = await gears
      .GB('ShardsIDReader')
      .forEach(() => log('x', 'loud' as LogLevel))
      .run();
    expect(errors).toEqual(['GearsError: log level must be one of debug, verbose, notice, warning']);
  });
});

describe('helpers outside gear functions', () => {
  it('use the one open engine, and refuse to guess between several', async () => {
    gears = await connect();
    expect(await execute('SET', 'solo', '1')).toBe('OK');
    expect(typeof hashtag()).toBe('string');
    const second = await connect();
    try {
      await expect(execute('GET', 'solo')).rejects.toThrow(GearsError);
      await expect(execute('GET', 'solo')).rejects.toThrow('ambiguous with several engines open');
    } finally {
      await second.close();
    }
  });
});
