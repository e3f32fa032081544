/**
 * The SCAN index of a keyspace: a power-of-two hash table of key names iterated with Redis' reverse-binary
 * cursor (`dictScan`). That cursor is what gives SCAN its guarantee — every key present for the whole iteration
 * is returned at least once, even when the table grows or shrinks between calls — without copying the keyspace
 * per step. Lookups by key go through the keyspace's `Map`; this table only serves SCAN, so it stores names.
 */

const MIN_SIZE = 4;

/** FNV-1a over UTF-16 code units: cheap and well spread for key names. */
export function hashKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Bit-reverses a 32-bit unsigned integer. */
function rev32(v: number): number {
  v = ((v >>> 1) & 0x55555555) | ((v & 0x55555555) << 1);
  v = ((v >>> 2) & 0x33333333) | ((v & 0x33333333) << 2);
  v = ((v >>> 4) & 0x0f0f0f0f) | ((v & 0x0f0f0f0f) << 4);
  v = ((v >>> 8) & 0x00ff00ff) | ((v & 0x00ff00ff) << 8);
  return ((v >>> 16) | (v << 16)) >>> 0;
}

export class ScanTable {
  private buckets: (string[] | undefined)[] = new Array<string[] | undefined>(MIN_SIZE);
  private mask = MIN_SIZE - 1;
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(key: string): void {
    const i = hashKey(key) & this.mask;
    const bucket = this.buckets[i];
    if (bucket === undefined) this.buckets[i] = [key];
    else bucket.push(key);
    if (++this.count > this.buckets.length) this.resize(this.buckets.length * 2);
  }

  remove(key: string): void {
    const bucket = this.buckets[hashKey(key) & this.mask];
    if (bucket === undefined) return;
    const at = bucket.indexOf(key);
    if (at === -1) return;
    const last = bucket.pop() as string;
    if (at < bucket.length) bucket[at] = last;
    this.count--;
    // Shrink like Redis (fill under 10%), to the smallest power of two that holds every key.
    if (this.buckets.length > MIN_SIZE && this.count * 10 < this.buckets.length) {
      let size = MIN_SIZE;
      while (size < this.count) size *= 2;
      this.resize(size);
    }
  }

  clear(): void {
    this.buckets = new Array<string[] | undefined>(MIN_SIZE);
    this.mask = MIN_SIZE - 1;
    this.count = 0;
  }

  /**
   * Visits the bucket the cursor points at and returns the next cursor (0 when the iteration is complete),
   * exactly as `dictScan` does on a single table.
   */
  scanStep(cursor: number, visit: (key: string) => void): number {
    if (this.count === 0) return 0;
    const bucket = this.buckets[cursor & this.mask];
    if (bucket !== undefined) for (const key of bucket) visit(key);
    let v = (cursor | ~this.mask) >>> 0;
    v = rev32(v);
    v = (v + 1) >>> 0;
    return rev32(v);
  }

  private resize(size: number): void {
    const old = this.buckets;
    this.buckets = new Array<string[] | undefined>(size);
    this.mask = size - 1;
    for (const bucket of old) {
      if (bucket === undefined) continue;
      for (const key of bucket) {
        const i = hashKey(key) & this.mask;
        const target = this.buckets[i];
        if (target === undefined) this.buckets[i] = [key];
        else target.push(key);
      }
    }
  }
}
