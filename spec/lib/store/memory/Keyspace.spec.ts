import { describe, expect, it } from 'vitest';
import { Keyspace } from '../../../../lib/store/memory/Keyspace.ts';
import { Hash } from '../../../../lib/store/memory/values.ts';

function keyspace(start = 0): { ks: Keyspace; at: (t: number) => void } {
  let now = start;
  const ks = new Keyspace(() => now);
  return {
    ks,
    at: (t) => {
      now = t;
      ks.tick();
    },
  };
}

describe('Keyspace', () => {
  it('throws WRONGTYPE when a key holds another type', () => {
    const { ks } = keyspace();
    ks.set('h', new Hash());
    expect(() => ks.get('h', 'string')).toThrow('WRONGTYPE Operation against a key holding the wrong kind of value');
    expect(ks.get('h', 'hash')).toBeInstanceOf(Hash);
    expect(ks.get('none', 'hash')).toBeUndefined();
  });

  it('drops the TTL on overwrite unless asked to keep it', () => {
    const { ks } = keyspace();
    ks.set('k', 'a');
    ks.setExpire('k', 100);
    ks.set('k', 'b', true);
    expect(ks.getExpire('k')).toBe(100);
    ks.set('k', 'c');
    expect(ks.getExpire('k')).toBeUndefined();
  });

  it('records events only while somebody listens', () => {
    const { ks } = keyspace();
    ks.notify('set', 'a');
    ks.eventsWanted = true;
    ks.notify('set', 'b');
    expect(ks.events).toEqual([{ key: 'b', event: 'set' }]);
  });

  it('expires on lookup and on sweep, telling expired keys apart without touching them', () => {
    const { ks, at } = keyspace();
    ks.eventsWanted = true;
    ks.set('a', '1');
    ks.setExpire('a', 10);
    ks.set('b', '1');
    ks.setExpire('b', 20);
    at(10);
    expect(ks.isExpired('a')).toBe(true);
    expect(ks.size).toBe(2);
    expect(ks.lookup('a')).toBeUndefined();
    at(30);
    expect(ks.sweep()).toBe(1);
    expect(ks.size).toBe(0);
    expect(ks.events.map((e) => `${e.event} ${e.key}`)).toEqual(['expired a', 'expired b']);
  });

  it('signals keys with blocked readers when they change or go away', () => {
    const { ks } = keyspace();
    ks.watched.add('s');
    ks.set('s', 'v');
    ks.signal('other');
    ks.remove('s');
    expect([...ks.ready]).toEqual(['s']);
  });

  it('scans in steps of up to count keys', () => {
    const { ks } = keyspace();
    for (let i = 0; i < 50; i++) ks.set(`k${i}`, 'v');
    const first = ks.scanKeys(0, 5);
    expect(first.keys.length).toBeGreaterThanOrEqual(5);
    expect(first.cursor).not.toBe(0);
    expect(ks.scanKeys(0, 1000)).toEqual({ cursor: 0, keys: expect.any(Array) as unknown });
  });
});
