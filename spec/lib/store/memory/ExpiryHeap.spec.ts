import { describe, expect, it } from 'vitest';
import { ExpiryHeap } from '../../../../lib/store/memory/ExpiryHeap.ts';

describe('ExpiryHeap', () => {
  it('pops keys in deadline order', () => {
    const heap = new ExpiryHeap();
    const deadlines = [50, 10, 40, 30, 20, 60, 5];
    deadlines.forEach((d, i) => heap.push(d, `k${i}`));
    const order: number[] = [];
    while (heap.size > 0) {
      order.push(heap.peek());
      heap.pop();
    }
    expect(order).toEqual([...deadlines].sort((a, b) => a - b));
    expect(heap.peek()).toBe(Infinity);
  });

  it('rebuilds from the live deadlines, dropping stale entries', () => {
    const heap = new ExpiryHeap();
    heap.push(1, 'a');
    heap.push(2, 'b');
    heap.push(3, 'a');
    heap.rebuild(new Map([['a', 3]]));
    expect(heap.size).toBe(1);
    expect(heap.pop()).toBe('a');
  });
});
