import { describe, expect, it } from 'vitest';
import {
  Consumer,
  ConsumerGroup,
  estimateEntriesRead,
  groupLag,
  INVALID_ENTRIES_READ,
  PendingList,
  rangeHasTombstones,
  type PendingEntry,
} from '../../../../lib/store/memory/streams/ConsumerGroup.ts';
import { Stream } from '../../../../lib/store/memory/streams/Stream.ts';

const consumer = new Consumer('c', 0);
const pending = (ms: number): PendingEntry => ({
  ms,
  seq: 0,
  id: `${ms}-0`,
  consumer,
  deliveryTime: 0,
  deliveryCount: 1,
});

function stream(n: number): Stream {
  const s = new Stream();
  for (let i = 1; i <= n; i++) s.append({ ms: i, seq: 0 }, ['f', 'v']);
  return s;
}

describe('PendingList', () => {
  it('iterates in id order even after an out-of-order insert', () => {
    const list = new PendingList();
    for (const ms of [1, 5, 3, 9, 2]) list.add(pending(ms));
    expect([...list.ordered()].map((p) => p.ms)).toEqual([1, 2, 3, 5, 9]);
    expect(list.first()?.ms).toBe(1);
    expect(list.last()?.ms).toBe(9);
    list.delete('1-0');
    expect(list.first()?.ms).toBe(2);
    expect(list.size).toBe(4);
  });
});

describe('ConsumerGroup', () => {
  it('acks an entry out of the group and its consumer', () => {
    const group = new ConsumerGroup('g', { ms: 0, seq: 0 }, 0);
    const c = new Consumer('c', 0);
    const p = { ...pending(1), consumer: c };
    group.pel.add(p);
    c.pel.add(p);
    expect(group.ack('1-0')).toBe(true);
    expect(group.ack('1-0')).toBe(false);
    expect(c.pel.size).toBe(0);
  });
});

describe('entries-read and lag (Redis 7.0 estimates)', () => {
  it('knows the counter of the first and last entries and of ids before the first', () => {
    const s = stream(5);
    expect(estimateEntriesRead(s, { ms: 5, seq: 0 })).toBe(5);
    expect(estimateEntriesRead(s, { ms: 1, seq: 0 })).toBe(1);
    expect(estimateEntriesRead(s, { ms: 0, seq: 0 })).toBe(0);
    expect(estimateEntriesRead(s, { ms: 3, seq: 0 })).toBe(INVALID_ENTRIES_READ);
    expect(estimateEntriesRead(s, { ms: 9, seq: 0 })).toBe(INVALID_ENTRIES_READ);
  });

  it('reports a null lag when a deletion makes the counter unknown', () => {
    const s = stream(5);
    const group = new ConsumerGroup('g', { ms: 2, seq: 0 }, 2);
    expect(groupLag(s, group)).toBe(3);
    s.delete({ ms: 4, seq: 0 });
    expect(rangeHasTombstones(s, group.lastId)).toBe(true);
    expect(groupLag(s, new ConsumerGroup('h', { ms: 2, seq: 0 }, INVALID_ENTRIES_READ))).toBeNull();
  });
});
