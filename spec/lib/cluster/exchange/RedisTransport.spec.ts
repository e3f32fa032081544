import { firstValueFrom, of, toArray, type Observable } from 'rxjs';
import { randomBytes } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { RedisTransport } from '../../../../lib/cluster/exchange/RedisTransport.ts';
import type { RedisTransportOptions } from '../../../../lib/cluster/exchange/options.ts';
import { sender } from '../../../../lib/cluster/transport.ts';
import { ExecutionAbortedError, GearsError } from '../../../../lib/errors.ts';
import { MemoryStore } from '../../../../lib/store/memory/index.ts';
import { RedisStore } from '../../../../lib/store/redis/RedisStore.ts';
import type { ShardStore } from '../../../../lib/store/ShardStore.ts';
import { until } from '../../../support/until.ts';

const all = <T>(inbox: Observable<T>) => firstValueFrom(inbox.pipe(toArray()));
const ignore = () => undefined;

/** The embedded store with a hook on every command (to drop, count or observe writes). */
function hooked(store: ShardStore, before: (command: string, args: unknown[]) => 'skip' | void): ShardStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'transaction')
        // Writes go through transactions too (XADD with its PEXPIRE): each write is offered to `before`.
        return async () => {
          const tx = await target.transaction();
          return {
            read: tx.read.bind(tx),
            discard: tx.discard.bind(tx),
            commit: (writes: readonly (readonly [string, ...never[]])[]) =>
              tx.commit(writes.filter(([command, ...args]) => before(command, args) !== 'skip')),
          };
        };
      if (property !== 'call') return Reflect.get(target, property, receiver) as unknown;
      return (command: string, ...args: never[]) =>
        before(command, args) === 'skip' ? Promise.resolve(null) : target.call(command, ...args);
    },
  });
}

function transport(store: ShardStore, options: Partial<RedisTransportOptions> = {}) {
  return new RedisTransport({ storeFor: () => store, blockMs: 20, ...options });
}

describe('RedisTransport', () => {
  it('drops entries from a sender under an epoch the receiver does not accept (a zombie owner)', async () => {
    const store = new MemoryStore();
    const receiver = transport(store, { acceptEpoch: (s) => (s === 1 ? 2 : undefined) });
    const zombie = transport(store, { epochOf: () => 1 });
    const owner = transport(store, { epochOf: () => 2 });
    const self = receiver.open<string>({ id: 'e', self: 0, shards: 2 });
    const stale = zombie.open<string>({ id: 'e', self: 1, shards: 2 });
    const current = owner.open<string>({ id: 'e', self: 1, shards: 2 });
    stale.run(sender(stale, of('stale'), () => 0, ignore));
    stale.inbox.subscribe({ error: ignore });
    const received = all(self.inbox);
    self.run(sender(self, of('own'), () => 0, ignore));
    current.run(sender(current, of('fresh'), () => 0, ignore));
    current.inbox.subscribe({ error: ignore });
    expect((await received).sort()).toEqual(['fresh', 'own']);
  });

  it('errors the inbox when a sender’s end-of-stage count does not match what arrived', async () => {
    let dropped = false;
    const store = hooked(new MemoryStore(), (command, args) => {
      if (command !== 'XADD' || !args.includes('b') || dropped) return undefined;
      dropped = true;
      return 'skip';
    });
    const link = transport(store).open<number>({ id: 'lost', self: 0, shards: 1 });
    const received = all(link.inbox);
    link.run(sender(link, of(1, 2, 3), () => 0, ignore));
    await expect(received).rejects.toThrow(
      new GearsError('exchange lost lost records from shard 0: 3 sent, 0 received'),
    );
  });

  it('errors every receiver’s inbox with the reason when a sender aborts', async () => {
    const store = new MemoryStore();
    const [a, b] = [0, 1].map((self) => transport(store).open<number>({ id: 'ab', self, shards: 2 }));
    const received = all(a!.inbox);
    b!.inbox.subscribe({ error: ignore });
    b!.abort('worker w2 lost shard 1');
    const error = await received.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExecutionAbortedError);
    expect((error as Error).message).toBe('shard 1 aborted: worker w2 lost shard 1');
  });

  it('reports a record that cannot be serialized and still delivers the others', async () => {
    const errors: unknown[] = [];
    const link = transport(new MemoryStore()).open<unknown>({ id: 'c', self: 0, shards: 1 });
    const received = all(link.inbox);
    link.run(
      sender(
        link,
        of<unknown[]>(1, () => 2, 3),
        () => 0,
        (e) => errors.push(e),
      ),
    );
    expect(await received).toEqual([1, 3]);
    expect((errors[0] as Error).name).toBe('DataCloneError');
  });

  it('sends records as they were when sent, and keeps a batch whole past a record that fails half-written', async () => {
    const errors: unknown[] = [];
    const link = transport(new MemoryStore()).open<unknown>({ id: 'half', self: 0, shards: 1 });
    const received = all(link.inbox);
    const first = { n: 1, tags: new Map([['a', [1n, new Date(0)]]]), bytes: Buffer.from('xy') };
    link.run(
      sender(
        link,
        // The second record fails after its first field was written into the batch's bytes.
        of<unknown[]>(first, { ok: 'written', f: () => 2 }, [3, undefined]),
        () => 0,
        (e) => errors.push(e),
      ),
    );
    first.n = 99; // after the send: does not travel
    expect(await received).toEqual([
      { n: 1, tags: new Map([['a', [1n, new Date(0)]]]), bytes: Buffer.from('xy') },
      [3, undefined],
    ]);
    expect(errors.map((e) => (e as Error).name)).toEqual(['DataCloneError']);
  });

  it('holds a sender at the high-water mark until the receiver reads, and the streams expire', async () => {
    const memory = new MemoryStore();
    let xlens = 0;
    const store = hooked(memory, (command) => void (command === 'XLEN' && xlens++));
    const options = { batchSize: 1, highWater: 4 };
    const [a, b] = [0, 1].map((self) => transport(store, options).open<number>({ id: 'hw', self, shards: 2 }));
    const records = Array.from({ length: 50 }, (_, i) => i);
    // a sends everything to b; b's inbox is not read yet.
    a!.run(sender(a!, of(...records), () => 1, ignore));
    const aReceived = all(a!.inbox);
    const key = 'rxg:{x:hw:1}';
    await until(async () => Number(await memory.call('XLEN', key)) === 4, 'the stream to reach the mark');
    const polls = xlens;
    await until(() => xlens >= polls + 3, 'the sender to poll the backlog while it waits');
    expect(Number(await memory.call('XLEN', key))).toBe(4);
    expect(Number(await memory.call('PTTL', key))).toBeGreaterThan(0);
    const bReceived = all(b!.inbox);
    b!.run(sender(b!, of<number>(), () => 0, ignore));
    expect(await bReceived).toEqual(records);
    expect(await aReceived).toEqual([]);
    expect(await memory.call('EXISTS', key)).toBe(0);
  });

  it('waits for entries in XREAD BLOCK on Redis (no polling), and is woken by the XADD', async () => {
    const redis = new RedisStore(inject('redisUrl'));
    try {
      const reads: string[][] = [];
      const store = hooked(redis, (command, args) => void (command === 'XREAD' && reads.push(args.map(String))));
      const id = `blk-${randomBytes(4).toString('hex')}`;
      // The defaults, as a worker's transport has them.
      const [a, b] = [0, 1].map((self) => new RedisTransport({ storeFor: () => store }).open<number>({ id, self, shards: 2 }));
      const received = all(b!.inbox);
      b!.run(sender(b!, of<number>(), () => 0, ignore));
      // b's stream has nothing from a yet: its inbox waits in Redis, 500 ms at a time.
      await until(() => reads.some((args) => args.includes('BLOCK')), 'the inbox to wait in XREAD BLOCK');
      const blocking = reads.filter((args) => args.includes('BLOCK'));
      expect(blocking.every((args) => args[args.indexOf('BLOCK') + 1] === '500')).toBe(true);
      // a's records wake it.
      a!.run(sender(a!, of(1, 2, 3), () => 1, ignore));
      a!.inbox.subscribe({ error: ignore });
      expect(await received).toEqual([1, 2, 3]);
    } finally {
      await redis.close();
    }
  });

  it('refuses a blockMs that is not a positive integer (XREAD BLOCK 0 would wait for ever)', () => {
    const store = new MemoryStore();
    for (const blockMs of [0, -5, 1.5, Number.NaN])
      expect(() => transport(store, { blockMs })).toThrow(
        new GearsError(`RedisTransport: blockMs must be a positive integer (ms), got ${blockMs}`),
      );
  });
});
