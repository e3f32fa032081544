/**
 * The SCAN index of a keyspace: a chained, power-of-two hash table of key names iterated with Redis'
 * reverse-binary cursor (`dictScan`). That cursor is what gives SCAN its guarantee — every key present for the
 * whole iteration is returned at least once, even when the table grows or shrinks between calls — without
 * copying the keyspace per step. Lookups by key go through the keyspace's `Map`; this table only serves SCAN.
 *
 * Chains live in typed arrays (entry → next entry, entry → hash) rather than one small array per bucket, so a
 * million keys cost a few flat arrays instead of a million objects for the garbage collector, and a resize
 * relinks entries with their stored hashes instead of rehashing every name.
 */

const MIN_SIZE = 4;
const NONE = -1;

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
  /** bucket → first entry of its chain. */
  private head = new Int32Array(MIN_SIZE).fill(NONE);
  private mask = MIN_SIZE - 1;
  /** entry → next entry in its chain (or in the free list). */
  private next = new Int32Array(MIN_SIZE);
  /** entry → hash of its key. */
  private hashes = new Uint32Array(MIN_SIZE);
  /** entry → key, undefined for a free entry. */
  private keys: (string | undefined)[] = [];
  private freeHead = NONE;
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(key: string): void {
    const h = hashKey(key);
    let e = this.freeHead;
    if (e !== NONE) {
      this.freeHead = this.next[e]!;
      this.keys[e] = key;
    } else {
      e = this.keys.length;
      if (e === this.hashes.length) this.growEntries(e * 2);
      this.keys.push(key);
    }
    this.hashes[e] = h;
    const b = h & this.mask;
    this.next[e] = this.head[b]!;
    this.head[b] = e;
    if (++this.count > this.head.length) this.resize(this.head.length * 2);
  }

  remove(key: string): void {
    const b = hashKey(key) & this.mask;
    let prev = NONE;
    for (let e = this.head[b]!; e !== NONE; prev = e, e = this.next[e]!) {
      if (this.keys[e] !== key) continue;
      if (prev === NONE) this.head[b] = this.next[e]!;
      else this.next[prev] = this.next[e]!;
      this.keys[e] = undefined;
      this.next[e] = this.freeHead;
      this.freeHead = e;
      this.count--;
      // Shrink like Redis (fill under 10%), to the smallest power of two that holds every key.
      if (this.head.length > MIN_SIZE && this.count * 10 < this.head.length) {
        let size = MIN_SIZE;
        while (size < this.count) size *= 2;
        this.resize(size);
      }
      return;
    }
  }

  clear(): void {
    this.head = new Int32Array(MIN_SIZE).fill(NONE);
    this.mask = MIN_SIZE - 1;
    this.next = new Int32Array(MIN_SIZE);
    this.hashes = new Uint32Array(MIN_SIZE);
    this.keys = [];
    this.freeHead = NONE;
    this.count = 0;
  }

  /**
   * Visits the bucket the cursor points at and returns the next cursor (0 when the iteration is complete),
   * exactly as `dictScan` does on a single table.
   */
  scanStep(cursor: number, visit: (key: string) => void): number {
    if (this.count === 0) return 0;
    for (let e = this.head[cursor & this.mask]!; e !== NONE; e = this.next[e]!) visit(this.keys[e]!);
    let v = (cursor | ~this.mask) >>> 0;
    v = rev32(v);
    v = (v + 1) >>> 0;
    return rev32(v);
  }

  private growEntries(capacity: number): void {
    const next = new Int32Array(capacity);
    next.set(this.next);
    this.next = next;
    const hashes = new Uint32Array(capacity);
    hashes.set(this.hashes);
    this.hashes = hashes;
  }

  /** Relinks every entry into `size` buckets; compacts the entry arrays when most entries are free. */
  private resize(size: number): void {
    if (this.keys.length > 2 * this.count + MIN_SIZE) this.compact();
    this.head = new Int32Array(size).fill(NONE);
    this.mask = size - 1;
    const keys = this.keys;
    for (let e = 0; e < keys.length; e++) {
      if (keys[e] === undefined) continue;
      const b = this.hashes[e]! & this.mask;
      this.next[e] = this.head[b]!;
      this.head[b] = e;
    }
  }

  private compact(): void {
    const keys: string[] = [];
    const hashes = new Uint32Array(Math.max(MIN_SIZE, this.count * 2));
    for (let e = 0; e < this.keys.length; e++) {
      const key = this.keys[e];
      if (key === undefined) continue;
      hashes[keys.length] = this.hashes[e]!;
      keys.push(key);
    }
    this.keys = keys;
    this.hashes = hashes;
    this.next = new Int32Array(hashes.length);
    this.freeHead = NONE;
  }
}
