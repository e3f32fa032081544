/**
 * A Redis list: an array with free room at the front, so LPUSH/LPOP and RPUSH/RPOP are O(1) amortised and
 * LINDEX/LRANGE index directly.
 */
export class Deque {
  readonly type = 'list';
  private items: (string | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  pushBack(value: string): void {
    this.items.push(value);
  }

  pushFront(value: string): void {
    if (this.head === 0) {
      // Make room in front proportional to the size, so a run of LPUSHes stays amortised O(1).
      const room = Math.max(8, this.items.length);
      const grown = new Array<string | undefined>(room);
      this.items = grown.concat(this.items);
      this.head = room;
    }
    this.items[--this.head] = value;
  }

  popFront(): string | undefined {
    if (this.head >= this.items.length) return undefined;
    const value = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return value;
  }

  popBack(): string | undefined {
    if (this.head >= this.items.length) return undefined;
    const value = this.items.pop();
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    }
    return value;
  }

  at(index: number): string | undefined {
    return index < 0 || index >= this.length ? undefined : this.items[this.head + index];
  }

  set(index: number, value: string): void {
    this.items[this.head + index] = value;
  }

  /** Elements `start..stop` inclusive, indexes already clamped to the list. */
  slice(start: number, stop: number): string[] {
    return this.items.slice(this.head + start, this.head + stop + 1) as string[];
  }

  toArray(): string[] {
    return this.items.slice(this.head) as string[];
  }

  /** Replaces the content (LREM, LTRIM rebuild the list). */
  replace(values: string[]): void {
    this.items = values;
    this.head = 0;
  }
}
