/**
 * Transactions and blocking commands on an embedded store of several shards (`serve --shards 3`), as Redis
 * Cluster answers them: keys of one slot run atomically on that slot's shard, keys of several slots get
 * `CROSSSLOT` (and the transaction `EXECABORT`, nothing of it run).
 */
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { hashSlot } from '../../../../lib/index.ts';
import { exchange, useServerWithTwoClients } from '../helpers.ts';
import { until } from '../../../support/until.ts';

/** A hash tag whose slot lies in `[from, to]` (3 shards: 0-5460, 5461-10922, 10923-16383). */
function tagIn(from: number, to: number): string {
  for (let i = 0; ; i++) {
    const slot = hashSlot(`t${i}`);
    if (slot >= from && slot <= to) return `{t${i}}`;
  }
}
const FIRST = tagIn(0, 5460); // the default shard's
const LAST = tagIn(10923, 16383); // another shard's

describe('MULTI and blocking commands on the embedded store of 3 shards', () => {
  const serve = useServerWithTwoClients();

  const blocked = async (redis: Redis): Promise<number> =>
    Number(/blocked_clients:(\d+)/.exec(String(await redis.call('INFO')))?.[1]);

  it('runs a transaction in one slot atomically on its shard, keyless commands before the keys included', async () => {
    const { a: c, b: other } = await serve(3, {});
    await c.mset(`${LAST}a`, '100', `${LAST}b`, '0');
    expect(await c.multi().ping().decrby(`${LAST}a`, 30).incrby(`${LAST}b`, 30).mget(`${LAST}a`, `${LAST}b`).exec()).toEqual([
      [null, 'PONG'],
      [null, 70],
      [null, 30],
      [null, ['70', '30']],
    ]);
    // The data is on the slot's shard, where every other command (routed by slot) finds it.
    expect(await other.mget(`${LAST}a`, `${LAST}b`)).toEqual(['70', '30']);
    expect(await c.multi().set(`${FIRST}x`, '1').incr(`${FIRST}x`).exec()).toEqual([
      [null, 'OK'],
      [null, 2],
    ]);
    expect(await c.multi().ping().exec()).toEqual([[null, 'PONG']]);
  });

  it('answers CROSSSLOT for a second slot and EXECABORT at EXEC: nothing of the transaction runs', async () => {
    const { a: c } = await serve(3, {});
    await c.mset(`${LAST}a`, '100');
    await expect(c.multi().decrby(`${LAST}a`, 30).incrby(`${FIRST}b`, 30).exec()).rejects.toThrow('EXECABORT');
    expect(await c.get(`${LAST}a`)).toBe('100');
    expect(await c.exists(`${FIRST}b`)).toBe(0);
    const replies = await exchange(c.options.port!, [
      ['MULTI'],
      ['MSET', `${LAST}a`, '1', `${FIRST}b`, '2'],
      ['EXEC'],
      ['MULTI'],
      ['SET', `${FIRST}b`, '3'],
      ['DISCARD'],
      ['EXEC'],
      ['GET', `${LAST}a`],
    ]);
    expect(replies.toString()).toBe(
      [
        '+OK',
        "-CROSSSLOT Keys in request don't hash to the same slot",
        '-EXECABORT Transaction discarded because of previous errors.',
        '+OK',
        '+QUEUED',
        '+OK',
        '-ERR EXEC without MULTI',
        '$3\r\n100',
        '',
      ].join('\r\n'),
    );
  });

  it('gives a null EXEC when a WATCHed key changed, on the transaction shard or another', async () => {
    const { a: alice, b: bob } = await serve(3, {});
    await alice.watch(`${LAST}w`);
    await bob.set(`${LAST}w`, 'bob');
    expect(await alice.multi().set(`${LAST}w`, 'alice').exec()).toBeNull();
    await alice.watch(`${FIRST}w`);
    await bob.set(`${FIRST}w`, 'bob');
    expect(await alice.multi().set(`${LAST}w`, 'alice').exec()).toBeNull();
    expect(await alice.get(`${LAST}w`)).toBe('bob');
    // Unchanged watches let it run, and EXEC forgets them.
    await alice.watch(`${FIRST}w`, `${FIRST}v`);
    expect(await alice.multi().set(`${LAST}w`, 'alice').exec()).toEqual([[null, 'OK']]);
    await bob.set(`${FIRST}w`, 'again');
    expect(await alice.multi().set(`${LAST}w`, 'later').exec()).toEqual([[null, 'OK']]);
  });

  it('blocks BLPOP and XREAD BLOCK on the shard of their slot while others are answered; CROSSSLOT over two slots', async () => {
    const { a: waiter, b: other } = await serve(3, {});
    const popped = waiter.blpop(`${LAST}q`, `${LAST}r`, 0);
    await until(async () => (await blocked(other)) === 1, 'BLPOP is blocked');
    expect(await other.ping()).toBe('PONG');
    expect(await other.rpush(`${LAST}r`, 'x')).toBe(1);
    expect(await popped).toEqual([`${LAST}r`, 'x']);

    const read = waiter.xread('BLOCK', 0, 'STREAMS', `${LAST}s`, '$');
    await until(async () => (await blocked(other)) === 1, 'XREAD is blocked');
    await other.xadd(`${LAST}s`, '1-1', 'f', 'v');
    expect(await read).toEqual([[`${LAST}s`, [['1-1', ['f', 'v']]]]]);

    await expect(waiter.blpop(`${LAST}q`, `${FIRST}q`, 0)).rejects.toThrow(/^CROSSSLOT/);
    expect(await blocked(other)).toBe(0);
  });
});
