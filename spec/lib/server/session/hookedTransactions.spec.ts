import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { callNext, overrideReply, type Gears } from '../../../../lib/index.ts';
import { createServer, type RxgearsServer } from '../../../../lib/server/Server.ts';
import { clusterBackend, deleteKeys, memoryBackend, redisBackend, uniquePrefix } from '../../../support/backends.ts';
import { until } from '../../../support/until.ts';
import { exchange } from '../helpers.ts';

let gears: Gears | undefined;
let server: RxgearsServer | undefined;
const clients: Redis[] = [];
let prefix = '';

afterEach(async () => {
  for (const redis of clients.splice(0)) redis.disconnect();
  await server?.close();
  if (gears) {
    for (const r of gears.dumpRegistrations()) gears.unregister(r.id);
    await deleteKeys(gears, `${prefix}*`);
    await gears.close();
  }
  gears = server = undefined;
});

/** One slot for every key of a test, so that a Cluster transaction may hold them all. */
const k = (name: string): string => `${prefix}{tx}${name}`;

describe.each([memoryBackend(1), memoryBackend(3), redisBackend(), clusterBackend()])(
  'hooked commands inside MULTI through the server on $name',
  (backend) => {
    async function serve(): Promise<{ g: Gears; client: () => Redis }> {
      gears = await backend.connect();
      server = await createServer(gears, { port: 0, deploymentsKey: false });
      prefix = uniquePrefix('htx');
      const port = server.port;
      const client = (): Redis => {
        const redis = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
        clients.push(redis);
        return redis;
      };
      return { g: gears, client };
    }

    it('a sync override runs at its place in the transaction: commands after it see what it did', async () => {
      const { g, client } = await serve();
      await g
        .GB('CommandReader')
        .map(async ([, key, field, value]) => callNext(key!, field!, `${value}+hooked`))
        .register({ hook: 'hset', mode: 'sync' });
      await g
        .GB('CommandReader')
        .map(() => 'overridden')
        .register({ hook: 'incr', mode: 'sync' });
      const c = client();
      const result = await c
        .multi()
        .set(k('a'), '1')
        .hset(k('h'), 'f', 'v')
        .hget(k('h'), 'f')
        .incr(k('n'))
        .get(k('a'))
        .exec();
      expect(result).toEqual([
        [null, 'OK'],
        [null, 1],
        [null, 'v+hooked'],
        [null, 'overridden'],
        [null, '1'],
      ]);
      expect(await c.exists(k('n'))).toBe(0);
      // A transaction without hooked commands is untouched; the connection is clean after the split one.
      expect(await c.multi().set(k('b'), '2').get(k('b')).exec()).toEqual([
        [null, 'OK'],
        [null, '2'],
      ]);
    });

    it("an override that is not sync answers 'Blocking module command called from transaction'; the rest runs", async () => {
      const { g, client } = await serve();
      await g
        .GB('CommandReader')
        .map(() => 'never the reply')
        .register({ hook: 'incr', mode: 'async_local' });
      const result = await client().multi().set(k('a'), 'x').incr(k('n')).get(k('a')).exec();
      expect(result![0]).toEqual([null, 'OK']);
      expect(String(result![1]![0])).toContain('ERR Blocking module command called from transaction');
      expect(result![2]).toEqual([null, 'x']);
    });

    it('KeysReader commands: a sync registration overrides inside MULTI, an async one runs without holding the reply', async () => {
      const { g, client } = await serve();
      await g
        .GB()
        .foreach(() => overrideReply('sync said so'))
        .register({ prefix: k('s*'), eventTypes: ['keymiss'], commands: ['get'], mode: 'sync' });
      const seen: string[] = [];
      await g
        .GB()
        .foreach((r) => {
          seen.push(r.key);
          overrideReply('async said so');
        })
        .register({ prefix: k('a*'), eventTypes: ['keymiss'], commands: ['get'] });
      const result = await client().multi().get(k('s1')).get(k('a1')).set(k('x'), '1').exec();
      expect(result).toEqual([
        [null, 'sync said so'],
        [null, null],
        [null, 'OK'],
      ]);
      await until(() => seen.includes(k('a1')), 'the async registration ran');
      // Outside MULTI the async registration holds the reply, and overrides it.
      expect(await client().get(k('a2'))).toBe('async said so');
    });

    it('nothing runs, the hook included, when a watched key changed, when queueing failed, or on DISCARD', async () => {
      const { g, client } = await serve();
      let calls = 0;
      await g
        .GB('CommandReader')
        .map(async ([, key]) => {
          calls++;
          return callNext(key!);
        })
        .register({ hook: 'incr', mode: 'sync' });
      const [alice, bob] = [client(), client()];
      await alice.set(k('w'), '1');
      expect(await alice.watch(k('w'))).toBe('OK');
      await bob.set(k('w'), '2');
      expect(await alice.multi().set(k('a'), '1').incr(k('n')).exec()).toBeNull();

      // A bad command after a hooked one is refused while queueing, as Redis does, and EXEC discards all.
      const tx = alice.multi().set(k('a'), '1').incr(k('n'));
      tx.call('NO-SUCH-COMMAND', 'x');
      await expect(tx.exec()).rejects.toThrow('EXECABORT');
      const wrongArity = alice.multi().incr(k('n'));
      wrongArity.call('GET', k('a'), 'extra');
      await expect(wrongArity.exec()).rejects.toThrow('EXECABORT');

      expect(await alice.call('MULTI')).toBe('OK');
      expect(await alice.call('INCR', k('n'))).toBe('QUEUED');
      expect(await alice.call('DISCARD')).toBe('OK');
      expect(await alice.mget(k('a'), k('n'))).toEqual([null, null]);
      expect(calls).toBe(0);

      expect(await alice.multi().incr(k('n')).exec()).toEqual([[null, 1]]);
      expect(calls).toBe(1);
    });

    it('a HELLO switching the protocol after a hooked command: in its place on the embedded store, refused on Redis', async () => {
      const { g } = await serve();
      await g
        .GB('CommandReader')
        .map(() => 'overridden')
        .register({ hook: 'incr', mode: 'sync' });
      const replies = await exchange(server!.port, [
        ['MULTI'],
        ['SET', k('a'), '1'],
        ['INCR', k('n')],
        ['HELLO', '3'],
        ['HGETALL', k('h')],
        ['EXEC'],
      ]);
      const text = replies.toString();
      if (backend.name.startsWith('memory')) {
        // RESP2 up to the HELLO, RESP3 after it (HGETALL's empty map), as Redis itself answers.
        expect(text).toMatch(/^\+OK\r\n(\+QUEUED\r\n){4}\*4\r\n\+OK\r\n\$10\r\noverridden\r\n%7\r\n[\s\S]*%0\r\n$/);
      } else {
        // The hooked command's part runs on a connection of its own after Redis' part: it cannot switch there.
        expect(text).toBe(
          '+OK\r\n+QUEUED\r\n+QUEUED\r\n-ERR HELLO cannot switch the protocol after a hooked command in a transaction\r\n' +
            '+QUEUED\r\n-EXECABORT Transaction discarded because of previous errors.\r\n',
        );
        expect(await g.execute('EXISTS', k('a'))).toBe(0);
      }
    });
  },
);
