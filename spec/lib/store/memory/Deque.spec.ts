import { describe, expect, it } from 'vitest';
import { Deque } from '../../../../lib/store/memory/lists/Deque.ts';

describe('Deque', () => {
  it('pushes and pops at both ends', () => {
    const d = new Deque();
    d.pushBack('b');
    d.pushFront('a');
    d.pushBack('c');
    expect(d.toArray()).toEqual(['a', 'b', 'c']);
    expect(d.popFront()).toBe('a');
    expect(d.popBack()).toBe('c');
    expect(d.popBack()).toBe('b');
    expect(d.popFront()).toBeUndefined();
    expect(d.popBack()).toBeUndefined();
    expect(d.length).toBe(0);
  });

  it('indexes, slices and sets after many front pushes and pops', () => {
    const d = new Deque();
    for (let i = 0; i < 5000; i++) d.pushFront(String(i));
    for (let i = 0; i < 3000; i++) d.popFront();
    expect(d.length).toBe(2000);
    expect(d.at(0)).toBe('1999');
    expect(d.at(-1)).toBeUndefined();
    expect(d.at(2000)).toBeUndefined();
    expect(d.slice(0, 2)).toEqual(['1999', '1998', '1997']);
    d.set(1, 'x');
    expect(d.at(1)).toBe('x');
    d.replace(['only']);
    expect(d.toArray()).toEqual(['only']);
  });
});
