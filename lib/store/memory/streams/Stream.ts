/**
 * A Redis stream: entries ordered by id, the counters Redis 7.0 keeps (`entries_added`, `max_deleted_entry_id`,
 * `first_id`, `last_id`) and consumer groups. Redis stores entries in radix-tree nodes of up to 100 entries /
 * 4096 bytes; approximate trimming (`MAXLEN ~`, `MINID ~`) only ever drops whole nodes, so the node boundaries
 * are simulated here (entry counts exactly, listpack bytes estimated) to trim the same entries Redis would.
 */
import type { ConsumerGroup } from './ConsumerGroup.ts';
import { compareIds, formatId, ZERO_ID, type StreamId } from './idValues.ts';

export { compareIds, formatId, formatU64, MAX_ID, U64_MAX, U64_MAX_MINUS_1, ZERO_ID, type StreamId } from './idValues.ts';

/** One radix-tree node as far as trimming sees it. */
interface StreamNode {
  live: number;
  /** Live and deleted entries: a new node starts when this reaches `NODE_MAX_ENTRIES`. */
  total: number;
  masterFields: string[];
  /** Listpack bytes of the entries (without the header and master entry). */
  bytes: number;
  masterMs: number;
  masterSeq: number;
}

export interface StreamRecord {
  ms: number;
  seq: number;
  id: string;
  /** field, value, field, value … in XADD order. */
  fields: string[];
  node: StreamNode;
}

export const NODE_MAX_ENTRIES = 100;
export const NODE_MAX_BYTES = 4096;
/** Redis' `STREAM_LISTPACK_MAX_SIZE`: a node never grows beyond 1 GB, whatever `stream-node-max-bytes` says. */
const NODE_LISTPACK_MAX = 1 << 30;

export interface TrimSpec {
  strategy: 'maxlen' | 'minid';
  maxlen: number;
  minid: StreamId;
  approx: boolean;
  /** 0 = no limit. */
  limit: number;
}

export class Stream {
  readonly type = 'stream';
  /** Live entries in id order from `head` on (trimming advances `head` instead of shifting the array). */
  private items: StreamRecord[] = [];
  private head = 0;
  lastId: StreamId = ZERO_ID;
  firstId: StreamId = ZERO_ID;
  maxDeletedId: StreamId = ZERO_ID;
  entriesAdded = 0;
  readonly groups = new Map<string, ConsumerGroup>();
  private tail: StreamNode | undefined;

  get length(): number {
    return this.items.length - this.head;
  }

  /** The entry at position `index` (0 = oldest). */
  at(index: number): StreamRecord | undefined {
    return index < 0 ? undefined : this.items[this.head + index];
  }

  /** The newest entry (Redis' last valid id, unlike `lastId` which survives deletions). */
  last(): StreamRecord | undefined {
    return this.length === 0 ? undefined : this.items[this.items.length - 1];
  }

  /** Adds an entry; a new node starts at `maxEntries` entries or `maxBytes` bytes (0: unbounded, as in Redis). */
  append(id: StreamId, fields: string[], maxEntries = NODE_MAX_ENTRIES, maxBytes = NODE_MAX_BYTES): StreamRecord {
    let node = this.tail;
    let entryLen = 0;
    for (const f of fields) entryLen += Buffer.byteLength(f);
    const bytesLimit = maxBytes === 0 || maxBytes > NODE_LISTPACK_MAX ? NODE_LISTPACK_MAX : maxBytes;
    if (
      node === undefined ||
      nodeBytes(node) + entryLen >= bytesLimit ||
      (maxEntries > 0 && node.total >= maxEntries)
    ) {
      node = { live: 0, total: 0, masterFields: fieldNames(fields), bytes: 0, masterMs: id.ms, masterSeq: id.seq };
      this.tail = node;
    }
    node.live++;
    node.total++;
    node.bytes += entryBytes(node, id, fields);
    const record: StreamRecord = { ms: id.ms, seq: id.seq, id: formatId(id), fields, node };
    this.items.push(record);
    this.lastId = id;
    this.entriesAdded++;
    if (this.length === 1) this.firstId = id;
    return record;
  }

  /** Position of the first entry with id ≥ `id`. */
  lowerBound(id: StreamId): number {
    const items = this.items;
    let lo = this.head;
    let hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareIds(items[mid] as StreamRecord, id) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo - this.head;
  }

  find(id: StreamId): StreamRecord | undefined {
    const e = this.at(this.lowerBound(id));
    return e !== undefined && e.ms === id.ms && e.seq === id.seq ? e : undefined;
  }

  /** XDEL of one id; true when it existed. */
  delete(id: StreamId): boolean {
    const at = this.lowerBound(id);
    const e = this.at(at);
    if (e === undefined || e.ms !== id.ms || e.seq !== id.seq) return false;
    this.items.splice(this.head + at, 1);
    e.node.live--;
    if (e.node.live === 0 && e.node === this.tail) this.tail = undefined;
    if (compareIds(id, this.maxDeletedId) > 0) this.maxDeletedId = { ms: id.ms, seq: id.seq };
    this.refreshFirstId();
    return true;
  }

  /** `streamTrim`: drops whole nodes, then (unless approximate) single entries of the first node. */
  trim(spec: TrimSpec): number {
    const length = this.length;
    let removed = 0;
    let i = 0;
    while (i < length) {
      if (spec.strategy === 'maxlen' && length - i <= spec.maxlen) break;
      const node = (this.at(i) as StreamRecord).node;
      const live = node.live;
      if (spec.limit && removed + live > spec.limit) break;
      const last = this.at(i + live - 1) as StreamRecord;
      const removeNode =
        spec.strategy === 'maxlen' ? length - i - live >= spec.maxlen : compareIds(last, spec.minid) < 0;
      if (removeNode) {
        node.live = 0;
        if (node === this.tail) this.tail = undefined;
        i += live;
        removed += live;
        continue;
      }
      if (spec.approx) break;
      for (let j = 0; j < live; j++) {
        const e = this.at(i) as StreamRecord;
        if (spec.strategy === 'maxlen' ? length - i <= spec.maxlen : compareIds(e, spec.minid) >= 0) break;
        node.live--;
        i++;
        removed++;
      }
      break;
    }
    if (i > 0) this.dropFront(i);
    this.refreshFirstId();
    return removed;
  }

  private dropFront(count: number): void {
    const items = this.items;
    for (let k = this.head; k < this.head + count; k++) items[k] = undefined as unknown as StreamRecord;
    this.head += count;
    if (this.head === items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > items.length) {
      this.items = items.slice(this.head);
      this.head = 0;
    }
  }

  /**
   * A deep copy (COPY): the same entries in the same nodes, counters, and consumer groups with their pending
   * entries and consumers, copied by `cloneGroup` (ConsumerGroup.ts, which depends on this file).
   */
  clone(cloneGroup: (group: ConsumerGroup) => ConsumerGroup): Stream {
    const copy = new Stream();
    const nodes = new Map<StreamNode, StreamNode>();
    const nodeOf = (n: StreamNode): StreamNode => {
      let c = nodes.get(n);
      if (c === undefined) nodes.set(n, (c = { ...n, masterFields: n.masterFields.slice() }));
      return c;
    };
    for (let i = 0; i < this.length; i++) {
      const e = this.at(i)!;
      copy.items.push({ ...e, fields: e.fields.slice(), node: nodeOf(e.node) });
    }
    copy.tail = this.tail === undefined ? undefined : nodeOf(this.tail);
    copy.lastId = this.lastId;
    copy.firstId = this.firstId;
    copy.maxDeletedId = this.maxDeletedId;
    copy.entriesAdded = this.entriesAdded;
    for (const [name, group] of this.groups) copy.groups.set(name, cloneGroup(group));
    return copy;
  }

  private refreshFirstId(): void {
    const first = this.at(0);
    this.firstId = first === undefined ? ZERO_ID : { ms: first.ms, seq: first.seq };
  }
}

function fieldNames(fields: string[]): string[] {
  const names: string[] = [];
  for (let i = 0; i < fields.length; i += 2) names.push(fields[i] as string);
  return names;
}

/** Bytes of one listpack element holding `s` (integers are stored as integers, as listpack does). */
/** Whether listpack would store `s` as an integer (canonical decimal text of an int64). */
function isListpackInt(s: string): boolean {
  const n = s.length;
  if (n === 0 || n > 20) return false;
  const first = s.charCodeAt(0) === 45 ? 1 : 0;
  if (first === n) return false;
  if (s.charCodeAt(first) === 48) return n === 1;
  for (let i = first; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return n - first < 19 || (n - first === 19 && Math.abs(Number(s)) < 9.2e18);
}

function elementBytes(s: string): number {
  let enc: number;
  if (isListpackInt(s)) {
    const v = Number(s);
    if (v >= 0 && v <= 127) enc = 1;
    else if (v >= -4096 && v <= 4095) enc = 2;
    else if (v >= -32768 && v <= 32767) enc = 3;
    else if (v >= -8388608 && v <= 8388607) enc = 4;
    else if (v >= -2147483648 && v <= 2147483647) enc = 5;
    else enc = 9;
  } else {
    const len = Buffer.byteLength(s);
    enc = len < 64 ? 1 + len : len < 4096 ? 2 + len : 5 + len;
  }
  return enc + (enc <= 127 ? 1 : enc < 16383 ? 2 : 3);
}

function intBytes(v: number): number {
  return v >= 0 && v <= 127 ? 2 : elementBytes(String(v));
}

function nodeBytes(node: StreamNode): number {
  // header + terminator, count, deleted, master field count, fields, master terminator, entries.
  let bytes = 7 + intBytes(node.live) + intBytes(node.total - node.live) + intBytes(node.masterFields.length) + 2;
  for (const f of node.masterFields) bytes += elementBytes(f);
  return bytes + node.bytes;
}

function entryBytes(node: StreamNode, id: StreamId, fields: string[]): number {
  const master = node.masterFields;
  const count = fields.length / 2;
  let same = count === master.length;
  for (let i = 0; same && i < count; i++) same = fields[2 * i] === master[i];
  let bytes = 2 + intBytes(id.ms - node.masterMs) + intBytes(id.seq - node.masterSeq);
  if (same) {
    for (let i = 1; i < fields.length; i += 2) bytes += elementBytes(fields[i] as string);
    bytes += intBytes(count + 3);
  } else {
    bytes += intBytes(count);
    for (const f of fields) bytes += elementBytes(f);
    bytes += intBytes(count * 2 + 4);
  }
  return bytes;
}
