import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { GearsError } from '../../../../lib/errors.ts';
import { keyspaceFlagsMissing, mergeKeyspaceFlags } from '../../../../lib/store/redis/keyspace.ts';
import { RedisStore } from '../../../../lib/store/redis/index.ts';
import type { KeyspaceEvent } from '../../../../lib/store/ShardStore.ts';
import { startRedis, type RedisServerHandle } from '../../../../lib/testing/servers.ts';
import { untilSubscribed, uniquePrefix } from './helpers.ts';

// CONFIG SET is server-wide and other spec files share inject('redisUrl') in parallel, so these tests run on a
// server of their own; they still put back the notify-keyspace-events they found.
let server: RedisServerHandle;
let store: RedisStore;
let found: string;
const prefix = uniquePrefix('keyspace');

async function notifyFlags(): Promise<string> {
  const reply = await store.call('CONFIG', 'GET', 'notify-keyspace-events');
  return String((reply as string[])[1]);
}

/** Number of connections subscribed to a pattern. */
async function patternSubscribers(): Promise<number> {
  const list = String(await store.call('CLIENT', 'LIST'));
  return list.split('\n').filter((line) => / psub=[1-9]/.test(line)).length;
}

beforeAll(async () => {
  server = await startRedis();
  store = new RedisStore(server.url);
  found = await notifyFlags();
});

afterAll(async () => {
  await store.call('CONFIG', 'SET', 'notify-keyspace-events', found);
  await store.close();
  await server.stop();
});

describe('keyspaceEvents', () => {
  it('emits hset, del and expired events with the key and the event name', async () => {
    const events: KeyspaceEvent[] = [];
    const subscription = store.keyspaceEvents().subscribe((e) => events.push(e));
    try {
      await untilSubscribed(store, events, `${prefix}probe`);
      await store.call('HSET', `${prefix}h`, 'f', 'v');
      await store.call('DEL', `${prefix}h`);
      await store.call('SET', `${prefix}ttl`, 'v', 'PX', 20);
      await vi.waitFor(
        async () => {
          await store.call('EXISTS', `${prefix}ttl`); // an access expires the key even if active expiry is late
          expect(events).toContainEqual({ key: `${prefix}ttl`, event: 'expired' });
        },
        { timeout: 10_000, interval: 50 },
      );
      const mine = events.filter((e) => e.key.startsWith(prefix) && e.key !== `${prefix}probe`);
      expect(mine.slice(0, 4)).toEqual([
        { key: `${prefix}h`, event: 'hset' },
        { key: `${prefix}h`, event: 'del' },
        { key: `${prefix}ttl`, event: 'set' },
        { key: `${prefix}ttl`, event: 'expire' },
      ]);
    } finally {
      subscription.unsubscribe();
    }
  });

  it('adds KEA to notify-keyspace-events and keeps the flags already set', async () => {
    await store.call('CONFIG', 'SET', 'notify-keyspace-events', 'Em');
    const events: KeyspaceEvent[] = [];
    const subscription = store.keyspaceEvents().subscribe((e) => events.push(e));
    try {
      await untilSubscribed(store, events, `${prefix}probe2`);
      const flags = await notifyFlags();
      expect([...flags].sort()).toEqual([...'AKEm'].sort());
    } finally {
      subscription.unsubscribe();
    }
  });

  it('shares one subscriber connection and closes it when the last subscriber leaves', async () => {
    const first: KeyspaceEvent[] = [];
    const second: KeyspaceEvent[] = [];
    const a = store.keyspaceEvents().subscribe((e) => first.push(e));
    const b = store.keyspaceEvents().subscribe((e) => second.push(e));
    await untilSubscribed(store, first, `${prefix}probe3`);
    expect(await patternSubscribers()).toBe(1);
    await store.call('SET', `${prefix}shared`, '1');
    await vi.waitFor(() => expect(second).toContainEqual({ key: `${prefix}shared`, event: 'set' }), {
      timeout: 10_000,
    });
    a.unsubscribe();
    expect(await patternSubscribers()).toBe(1);
    b.unsubscribe();
    await vi.waitFor(async () => expect(await patternSubscribers()).toBe(0), { timeout: 10_000 });
  });

  it('completes for its subscribers when the store closes', async () => {
    const own = new RedisStore(server.url);
    const events: KeyspaceEvent[] = [];
    let completed = false;
    own.keyspaceEvents().subscribe({ next: (e) => events.push(e), complete: () => (completed = true) });
    await untilSubscribed(own, events, `${prefix}probe4`);
    await own.close();
    expect(completed).toBe(true);
    await vi.waitFor(async () => expect(await patternSubscribers()).toBe(0), { timeout: 10_000 });
    const late = await new Promise<unknown>((resolve) => own.keyspaceEvents().subscribe({ error: resolve }));
    expect(late).toBeInstanceOf(GearsError);
  });
});

describe('notify-keyspace-events flags', () => {
  it('are missing unless K and every event class are on', () => {
    expect(keyspaceFlagsMissing('')).toBe(true);
    expect(keyspaceFlagsMissing('Ex')).toBe(true);
    expect(keyspaceFlagsMissing('KA')).toBe(false);
    expect(keyspaceFlagsMissing('AKE')).toBe(false);
    expect(keyspaceFlagsMissing('Kg$lshzxetd')).toBe(false);
    expect(keyspaceFlagsMissing('Kg$lshzxet')).toBe(true);
  });

  it('merge with KEA, keeping the others once each', () => {
    expect(mergeKeyspaceFlags('')).toBe('KEA');
    expect(mergeKeyspaceFlags('Em')).toBe('EmKA');
    expect(mergeKeyspaceFlags('nK')).toBe('nKEA');
  });
});
