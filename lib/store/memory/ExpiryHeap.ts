/**
 * A min-heap of (deadline, key) for the active expiry sweep. Entries are never removed when a TTL changes:
 * the sweep checks each popped entry against the keyspace's current deadline and skips stale ones, and the heap
 * is rebuilt when stale entries outnumber live ones.
 */
export class ExpiryHeap {
  private at: number[] = [];
  private keys: string[] = [];

  get size(): number {
    return this.at.length;
  }

  push(deadline: number, key: string): void {
    const at = this.at;
    const keys = this.keys;
    let i = at.length;
    at.push(deadline);
    keys.push(key);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pAt = at[parent] as number;
      if (pAt <= deadline) break;
      at[i] = pAt;
      keys[i] = keys[parent] as string;
      i = parent;
    }
    at[i] = deadline;
    keys[i] = key;
  }

  /** The earliest deadline, or `Infinity` when empty. */
  peek(): number {
    return this.at.length === 0 ? Infinity : (this.at[0] as number);
  }

  /** Removes and returns the earliest entry's key (call only when `size > 0`). */
  pop(): string {
    const at = this.at;
    const keys = this.keys;
    const top = keys[0] as string;
    const lastAt = at.pop() as number;
    const lastKey = keys.pop() as string;
    const n = at.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && (at[r] as number) < (at[l] as number) ? r : l;
        if ((at[c] as number) >= lastAt) break;
        at[i] = at[c] as number;
        keys[i] = keys[c] as string;
        i = c;
      }
      at[i] = lastAt;
      keys[i] = lastKey;
    }
    return top;
  }

  /** Rebuilds from the live deadlines, dropping stale entries. */
  rebuild(live: ReadonlyMap<string, number>): void {
    this.at = [];
    this.keys = [];
    for (const [key, deadline] of live) this.push(deadline, key);
  }

  clear(): void {
    this.at = [];
    this.keys = [];
  }
}
