import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RedisReplyError } from '../../../../lib/errors.ts';
import { fromBytes } from '../../../../lib/store/bytes.ts';
import { readGroupEntries } from '../../../../lib/store/groupEntries.ts';
import { RedisConnectionError, RedisStore } from '../../../../lib/store/redis/index.ts';
import type { GroupReadRequest } from '../../../../lib/store/ShardStore.ts';
import { deletePrefix, uniquePrefix } from './helpers.ts';

let store: RedisStore;
const prefix = uniquePrefix('groupread');
let n = 0;

beforeAll(() => {
  store = new RedisStore(inject('redisUrl'));
});

afterAll(async () => {
  await deletePrefix(store, prefix);
  await store.close();
});

/** A fresh stream holding `entries` (field/value lists), with groups `raw` and `ref` created at 0. */
async function streamOf(entries: readonly (readonly string[])[]): Promise<{ key: string; ids: string[] }> {
  const key = `${prefix}${n++}`;
  const ids: string[] = [];
  for (const fields of entries) ids.push(String(await store.call('XADD', key, '*', ...fields)));
  for (const group of ['raw', 'ref']) await store.call('XGROUP', 'CREATE', key, group, '0');
  return { key, ids };
}

/** The same read through `call` (ioredis, RESP2 shapes) on group `ref`: what `readGroup` must decode to. */
async function reference(request: Omit<GroupReadRequest, 'group'>) {
  const { key, consumer, count, id } = request;
  const reply = await store.call('XREADGROUP', 'GROUP', 'ref', consumer, 'COUNT', count, 'STREAMS', key, id);
  return readGroupEntries(key, reply);
}

const binary = fromBytes(Buffer.from([0x61, 0xff, 0xc3]));

describe('RedisStore.readGroup', () => {
  it('decodes entries as the RESP2 reply of call() does: names that change, binary bytes, __proto__, digits', async () => {
    const { key } = await streamOf([
      ['a', '1', 'b', 'x'],
      ['a', '2', 'c', 'y'], // same length, other name
      ['a', '', 'bb', binary], // an empty value, a longer name
      ['__proto__', 'p', '2', 'two', '1', 'one'],
      [binary, 'v', 'a', 'é'],
      ['a', '1', 'a', '2'], // a repeated field: the last value
    ]);
    const request = { key, consumer: 'c', count: 100, id: '>' };
    const raw = await store.readGroup({ ...request, group: 'raw' });
    expect(raw.ackError).toBeUndefined();
    const expected = await reference(request);
    expect(raw.entries).toEqual(expected);
    expect(raw.entries.map((e) => Object.keys(e.value!))).toEqual(expected.map((e) => Object.keys(e.value!)));
    expect(Object.getPrototypeOf(raw.entries[3]!.value)).toBe(Object.prototype);
    expect(raw.entries[3]!.value!['__proto__']).toBe('p');
    expect(raw.entries[4]!.value![binary]).toBe('v');
  });

  it('matches call() on random streams, read in random counts', async () => {
    const name = fc.constantFrom('a', 'b', 'ab', 'ba', '1', '10', binary, 'ü');
    const entry = fc.array(fc.tuple(name, fc.string({ maxLength: 4 })), { minLength: 1, maxLength: 4 });
    await fc.assert(
      fc.asyncProperty(
        fc.array(entry, { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 5 }),
        async (entries, count) => {
          const { key } = await streamOf(entries.map((fields) => fields.flat()));
          for (;;) {
            const request = { key, consumer: 'c', count, id: '>' };
            const raw = await store.readGroup({ ...request, group: 'raw' });
            expect(raw.entries).toEqual(await reference(request));
            if (raw.entries.length === 0) break;
          }
        },
      ),
      { numRuns: 15 },
    );
  });

  it('sends the XACK before the read: a history read after it no longer has the acknowledged entries', async () => {
    const { key, ids } = await streamOf([
      ['i', '1'],
      ['i', '2'],
      ['i', '3'],
    ]);
    await store.readGroup({ key, group: 'raw', consumer: 'c', count: 3, id: '>' });
    const history = await store.readGroup({
      key,
      group: 'raw',
      consumer: 'c',
      count: 10,
      id: '0',
      ack: ids.slice(0, 2),
    });
    expect(history.ackError).toBeUndefined();
    expect(history.entries.map((e) => e.id)).toEqual([ids[2]]);
    expect(await store.call('XPENDING', key, 'raw')).toEqual([1, ids[2], ids[2], [['c', '1']]]);
  });

  it('gives a deleted entry of the history as value null', async () => {
    const { key, ids } = await streamOf([
      ['i', '1'],
      ['i', '2'],
    ]);
    await store.readGroup({ key, group: 'raw', consumer: 'c', count: 2, id: '>' });
    await store.call('XDEL', key, ids[0]!);
    const history = await store.readGroup({ key, group: 'raw', consumer: 'c', count: 10, id: '0' });
    expect(history.entries).toEqual([
      { key, id: ids[0], value: null },
      { key, id: ids[1], value: { i: '2' } },
    ]);
  });

  it("reports a failed XACK as ackError and still reads; a failed read rejects with Redis' error", async () => {
    const { key, ids } = await streamOf([['i', '1']]);
    const read = await store.readGroup({ key, group: 'raw', consumer: 'c', count: 5, id: '>', ack: ['not-an-id'] });
    expect(read.ackError).toBeInstanceOf(RedisReplyError);
    expect(read.ackError?.message).toBe('ERR Invalid stream ID specified as stream command argument');
    expect(read.entries.map((e) => e.id)).toEqual(ids);
    const missing = store.readGroup({ key, group: 'nope', consumer: 'c', count: 5, id: '>', ack: ids });
    await expect(missing).rejects.toThrow(RedisReplyError);
    await expect(missing).rejects.toThrow(/^NOGROUP /);
  });

  it("acknowledges alone on the reads' connection, in order after a read still out, and rejects with Redis' error", async () => {
    const { key, ids } = await streamOf([
      ['i', '1'],
      ['i', '2'],
    ]);
    await store.readGroup({ key, group: 'raw', consumer: 'c', count: 1, id: '>' });
    // Sent in one turn: the read goes first, the XACK right after it, without waiting for the read's reply.
    const order: string[] = [];
    const read = store.readGroup({ key, group: 'raw', consumer: 'c', count: 1, id: '>' }).then((r) => {
      order.push('read');
      return r;
    });
    const acked = store.acknowledgeGroup(key, 'raw', [ids[0]!]).then(() => void order.push('ack'));
    await Promise.all([read, acked]);
    expect(order).toEqual(['read', 'ack']);
    expect((await read).entries.map((e) => e.id)).toEqual([ids[1]]);
    expect(await store.call('XPENDING', key, 'raw')).toEqual([1, ids[1], ids[1], [['c', '1']]]);
    const refused = store.acknowledgeGroup(key, 'raw', ['not-an-id']);
    await expect(refused).rejects.toThrow(RedisReplyError);
    await expect(refused).rejects.toThrow('ERR Invalid stream ID specified as stream command argument');
  });

  it("puts a client's keyPrefix before the stream's key of XACK and XREADGROUP, as ioredis does", async () => {
    const client = new Redis(inject('redisUrl'), { keyPrefix: `${prefix}kp:` });
    const prefixed = new RedisStore(client);
    try {
      await prefixed.call('XADD', 's', '1-1', 'f', 'v');
      await prefixed.call('XADD', 's', '1-2', 'f', 'w');
      await store.call('XGROUP', 'CREATE', `${prefix}kp:s`, 'g', '0'); // ioredis does not prefix XGROUP's key
      const first = await prefixed.readGroup({ key: 's', group: 'g', consumer: 'c', count: 1, id: '>' });
      expect(first).toEqual({ ackError: undefined, entries: [{ key: 's', id: '1-1', value: { f: 'v' } }] });
      const next = await prefixed.readGroup({ key: 's', group: 'g', consumer: 'c', count: 5, id: '0', ack: ['1-1'] });
      expect(next.entries).toEqual([]);
      expect(await store.call('XPENDING', `${prefix}kp:s`, 'g')).toEqual([0, null, null, null]);
    } finally {
      await prefixed.close();
      client.disconnect();
    }
  });

  it('rejects once the store is closed', async () => {
    const closing = new RedisStore(inject('redisUrl'));
    await closing.close();
    await expect(closing.readGroup({ key: 'k', group: 'g', consumer: 'c', count: 1, id: '>' })).rejects.toThrow(
      RedisConnectionError,
    );
  });
});
