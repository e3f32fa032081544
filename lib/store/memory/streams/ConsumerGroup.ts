/**
 * A stream consumer group: last delivered id, the 7.0 `entries_read` counter, the group's pending entries list
 * (PEL) and its consumers, each with its own PEL sharing the same pending-entry objects (as Redis' NACKs).
 */
import { compareIds, type StreamId } from './idValues.ts';

/** The counters of a stream that its groups' bookkeeping reads (Stream.ts's `Stream` has them). */
interface StreamCounters {
  readonly length: number;
  readonly firstId: StreamId;
  readonly lastId: StreamId;
  readonly maxDeletedId: StreamId;
  readonly entriesAdded: number;
}

/** Redis' `SCG_INVALID_ENTRIES_READ`. */
export const INVALID_ENTRIES_READ = -1;

export interface PendingEntry {
  ms: number;
  seq: number;
  id: string;
  consumer: Consumer;
  deliveryTime: number;
  deliveryCount: number;
}

/**
 * Pending entries by id string, kept in id order: appends are in order almost always (deliveries of new
 * entries), and the rare out-of-order insert (XCLAIM) marks the map for a re-sort before the next ordered read.
 */
export class PendingList {
  private map = new Map<string, PendingEntry>();
  private max: StreamId | undefined;
  private sorted = true;

  get size(): number {
    return this.map.size;
  }

  get(id: string): PendingEntry | undefined {
    return this.map.get(id);
  }

  add(entry: PendingEntry): void {
    if (this.max !== undefined && compareIds(entry, this.max) < 0) this.sorted = false;
    else this.max = entry;
    this.map.set(entry.id, entry);
  }

  delete(id: string): boolean {
    return this.map.delete(id);
  }

  /** Entries in id order. */
  ordered(): Iterable<PendingEntry> {
    if (!this.sorted) {
      const all = [...this.map.values()].sort(compareIds);
      this.map = new Map(all.map((e) => [e.id, e]));
      this.sorted = true;
    }
    return this.map.values();
  }

  first(): PendingEntry | undefined {
    for (const e of this.ordered()) return e;
    return undefined;
  }

  last(): PendingEntry | undefined {
    // The highest id ever added is the last one unless it was acked since: then walk the list once.
    const max = this.max as PendingEntry | undefined;
    if (max !== undefined && this.map.get(max.id) === max) return max;
    let last: PendingEntry | undefined;
    for (const e of this.ordered()) last = e;
    this.max = last;
    return last;
  }
}

export class Consumer {
  readonly pel = new PendingList();
  constructor(
    readonly name: string,
    /** Last time the consumer was seen (any read or claim), for XINFO/XPENDING idle. */
    public seenTime: number,
  ) {}
}

export class ConsumerGroup {
  readonly pel = new PendingList();
  readonly consumers = new Map<string, Consumer>();

  constructor(
    readonly name: string,
    public lastId: StreamId,
    public entriesRead: number,
  ) {}

  /** Removes a pending entry from the group and from its consumer. */
  ack(id: string): boolean {
    const entry = this.pel.get(id);
    if (entry === undefined) return false;
    this.pel.delete(id);
    entry.consumer.pel.delete(id);
    return true;
  }
}

/** `streamRangeHasTombstones`: may an entry between `start` and `end` (default: the end) have been deleted? */
export function rangeHasTombstones(s: StreamCounters, start: StreamId, end?: StreamId): boolean {
  const maxDeleted = s.maxDeletedId;
  if (s.length === 0 || (maxDeleted.ms === 0 && maxDeleted.seq === 0)) return false;
  if (compareIds(s.firstId, maxDeleted) > 0) return false;
  return compareIds(start, maxDeleted) <= 0 && (end === undefined || compareIds(maxDeleted, end) <= 0);
}

/** `streamEstimateDistanceFromFirstEverEntry`: the logical read counter of `id`, or INVALID_ENTRIES_READ. */
export function estimateEntriesRead(s: StreamCounters, id: StreamId): number {
  if (s.entriesAdded === 0) return 0;
  if (s.length === 0 && compareIds(id, s.lastId) < 1) return s.entriesAdded;
  const cmpLast = compareIds(id, s.lastId);
  if (cmpLast === 0) return s.entriesAdded;
  if (cmpLast > 0) return INVALID_ENTRIES_READ;
  const maxDeleted = s.maxDeletedId;
  const cmpFirst = compareIds(id, s.firstId);
  if ((maxDeleted.ms === 0 && maxDeleted.seq === 0) || compareIds(maxDeleted, s.firstId) < 0) {
    if (cmpFirst < 0) return s.entriesAdded - s.length;
    if (cmpFirst === 0) return s.entriesAdded - s.length + 1;
  }
  return INVALID_ENTRIES_READ;
}

/** The group's lag as XINFO GROUPS reports it, or null when fragmentation makes it unknown. */
export function groupLag(s: StreamCounters, group: ConsumerGroup): number | null {
  if (s.entriesAdded === 0) return 0;
  if (group.entriesRead !== INVALID_ENTRIES_READ && !rangeHasTombstones(s, group.lastId)) {
    return s.entriesAdded - group.entriesRead;
  }
  const read = estimateEntriesRead(s, group.lastId);
  return read === INVALID_ENTRIES_READ ? null : s.entriesAdded - read;
}

/** A deep copy of a group: its consumers and pending entries (each shared by the group's and the consumer's list). */
export function cloneGroup(group: ConsumerGroup): ConsumerGroup {
  const copy = new ConsumerGroup(group.name, group.lastId, group.entriesRead);
  const consumers = new Map<Consumer, Consumer>();
  for (const c of group.consumers.values()) {
    const cc = new Consumer(c.name, c.seenTime);
    consumers.set(c, cc);
    copy.consumers.set(c.name, cc);
  }
  for (const e of group.pel.ordered()) {
    const consumer = consumers.get(e.consumer)!;
    const ce = { ...e, consumer };
    copy.pel.add(ce);
    consumer.pel.add(ce);
  }
  return copy;
}
