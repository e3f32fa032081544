/**
 * A Redis sorted set: a member → score `Map` plus the members ordered by (score, member) in a chunked sorted
 * list (sorted arrays of at most 2×LOAD items, like Python's sortedcontainers), so inserts, removals, ranks and
 * range reads stay cheap at a million members without a skiplist's pointer chasing.
 */
import { compareBytes } from '../bytes.ts';

export interface ZItem {
  member: string;
  score: number;
}

const LOAD = 512;

function compare(a: ZItem, b: ZItem): number {
  const d = a.score - b.score;
  if (d !== 0) return d;
  return compareBytes(a.member, b.member);
}

export class SortedSet {
  readonly type = 'zset';
  readonly scores = new Map<string, number>();
  private chunks: ZItem[][] = [];
  /** `offsets[i]` = items before chunk i; rebuilt lazily after a change. */
  private offsets: number[] | undefined;

  get size(): number {
    return this.scores.size;
  }

  score(member: string): number | undefined {
    return this.scores.get(member);
  }

  /** Adds or moves `member`; tells whether it was new. */
  set(member: string, score: number): boolean {
    score += 0; // Redis replies 0 for a -0 score
    const old = this.scores.get(member);
    if (old !== undefined) {
      if (old === score) return false;
      this.removeItem({ member, score: old });
    }
    this.scores.set(member, score);
    this.insertItem({ member, score });
    return old === undefined;
  }

  delete(member: string): boolean {
    const old = this.scores.get(member);
    if (old === undefined) return false;
    this.scores.delete(member);
    this.removeItem({ member, score: old });
    return true;
  }

  /** 0-based position in ascending order. */
  rank(member: string): number | undefined {
    const score = this.scores.get(member);
    if (score === undefined) return undefined;
    const item = { member, score };
    const c = this.chunkFor(item);
    const chunk = this.chunks[c] as ZItem[];
    return (this.offsetsTable()[c] as number) + lowerBound(chunk, item);
  }

  /** Items at positions `start..stop` inclusive (already clamped, start ≤ stop). */
  range(start: number, stop: number): ZItem[] {
    const out: ZItem[] = [];
    if (start > stop || start >= this.size) return out;
    const offsets = this.offsetsTable();
    let c = chunkAt(offsets, start);
    let i = start - (offsets[c] as number);
    let left = stop - start + 1;
    while (left > 0 && c < this.chunks.length) {
      const chunk = this.chunks[c] as ZItem[];
      for (; i < chunk.length && left > 0; i++, left--) out.push(chunk[i] as ZItem);
      c++;
      i = 0;
    }
    return out;
  }

  /** Number of items whose score is below `score` (or at most `score` when `orEqual`). */
  countBelow(score: number, orEqual: boolean): number {
    const below = (s: number): boolean => (orEqual ? s <= score : s < score);
    let lo = 0;
    let hi = this.chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const chunk = this.chunks[mid] as ZItem[];
      if (below((chunk[chunk.length - 1] as ZItem).score)) lo = mid + 1;
      else hi = mid;
    }
    if (lo === this.chunks.length) return this.size;
    const chunk = this.chunks[lo] as ZItem[];
    let a = 0;
    let b = chunk.length;
    while (a < b) {
      const mid = (a + b) >> 1;
      if (below((chunk[mid] as ZItem).score)) a = mid + 1;
      else b = mid;
    }
    return (this.offsetsTable()[lo] as number) + a;
  }

  toArray(): ZItem[] {
    return this.chunks.flat();
  }

  private offsetsTable(): number[] {
    if (this.offsets === undefined) {
      const offsets: number[] = [];
      let total = 0;
      for (const chunk of this.chunks) {
        offsets.push(total);
        total += chunk.length;
      }
      this.offsets = offsets;
    }
    return this.offsets;
  }

  /** Index of the first chunk whose last item is ≥ `item` (the last chunk when none is). */
  private chunkFor(item: ZItem): number {
    let lo = 0;
    let hi = this.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const chunk = this.chunks[mid] as ZItem[];
      if (compare(chunk[chunk.length - 1] as ZItem, item) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private insertItem(item: ZItem): void {
    this.offsets = undefined;
    if (this.chunks.length === 0) {
      this.chunks.push([item]);
      return;
    }
    const c = this.chunkFor(item);
    const chunk = this.chunks[c] as ZItem[];
    chunk.splice(lowerBound(chunk, item), 0, item);
    if (chunk.length > 2 * LOAD) this.chunks.splice(c + 1, 0, chunk.splice(LOAD));
  }

  private removeItem(item: ZItem): void {
    this.offsets = undefined;
    const c = this.chunkFor(item);
    const chunk = this.chunks[c] as ZItem[];
    const at = lowerBound(chunk, item);
    chunk.splice(at, 1);
    if (chunk.length === 0) this.chunks.splice(c, 1);
  }
}

function lowerBound(chunk: ZItem[], item: ZItem): number {
  let lo = 0;
  let hi = chunk.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compare(chunk[mid] as ZItem, item) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The chunk holding position `index`, by binary search over the offsets. */
function chunkAt(offsets: number[], index: number): number {
  let lo = 0;
  let hi = offsets.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((offsets[mid] as number) <= index) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
