/**
 * DUMP's payload: a value serialized as Redis 7.0's RDB does it (`rdbSaveObject`, RDB version 10), then the RDB
 * version and a CRC-64, so redis-server RESTOREs it and a DUMP of redis-server RESTOREs here. The encodings are
 * Redis' for a value of this size and content under the store's settings (listpack, intset, quicklist nodes of
 * `list-max-listpack-size`, LZF over 20 bytes when `rdbcompression` is on); where Redis' layout depends on the
 * value's history (a list built by LPUSH, a set or hash past its listpack limits, stream nodes with deleted
 * entries) the payload holds the same value laid out afresh.
 */
import type { Keyspace } from '../Keyspace.ts';
import { encodingOf } from '../admin.ts';
import { byteLength, compareBytes, toBytes } from '../bytes.ts';
import type { ConsumerGroup, PendingList } from '../streams/ConsumerGroup.ts';
import { crc64 } from './crc64.ts';
import type { Deque } from '../lists/Deque.ts';
import { encodeIntset, encodeListpack, listpackEntry, listpackOf } from './listpack.ts';
import { lzfCompress } from './lzf.ts';
import { formatDouble, toBigInt64 } from '../numbers.ts';
import type { SortedSet } from '../zsets/SortedSet.ts';
import type { Stream, StreamId, StreamRecord } from '../streams/Stream.ts';
import { typeOf, type Hash, type RSet, type Value } from '../values.ts';

export const RDB_VERSION = 10;

export const RDB_TYPE = {
  string: 0,
  list: 1,
  set: 2,
  zset: 3,
  hash: 4,
  zset2: 5,
  listZiplist: 10,
  setIntset: 11,
  zsetZiplist: 12,
  hashZiplist: 13,
  listQuicklist: 14,
  streamListpacks: 15,
  hashListpack: 16,
  zsetListpack: 17,
  listQuicklist2: 18,
  streamListpacks2: 19,
} as const;

const U64_ALL_ONES = 2n ** 64n - 1n;

/** The bytes of one payload, appended piece by piece. */
class RdbWriter {
  private readonly parts: Buffer[] = [];
  constructor(private readonly compress: boolean) {}

  byte(b: number): void {
    this.parts.push(Buffer.of(b));
  }

  raw(bytes: Buffer): void {
    this.parts.push(bytes);
  }

  /** `rdbSaveLen`: 6, 14, 32 or 64 bits. */
  len(big: number | bigint): void {
    const n = typeof big === 'bigint' && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
    if (typeof n === 'number' && n < 64) this.byte(n);
    else if (typeof n === 'number' && n < 16384) this.raw(Buffer.of(0x40 | (n >> 8), n & 0xff));
    else if (n <= 0xffffffff) {
      const b = Buffer.alloc(5);
      b[0] = 0x80;
      b.writeUInt32BE(Number(n), 1);
      this.raw(b);
    } else {
      const b = Buffer.alloc(9);
      b[0] = 0x81;
      b.writeBigUInt64BE(BigInt(n), 1);
      this.raw(b);
    }
  }

  /** `rdbSaveRawString`: a small integer as such, LZF when it pays (over 20 bytes), else length and bytes. */
  string(bytes: Buffer): void {
    const len = bytes.length;
    if (len <= 11 && len > 0) {
      const v = toBigInt64(bytes.toString('latin1'));
      if (v !== undefined && v >= -2147483648n && v <= 2147483647n) {
        const n = Number(v);
        if (n >= -128 && n <= 127) this.raw(Buffer.of(0xc0, n & 0xff));
        else if (n >= -32768 && n <= 32767) {
          const b = Buffer.alloc(3);
          b[0] = 0xc1;
          b.writeInt16LE(n, 1);
          this.raw(b);
        } else {
          const b = Buffer.alloc(5);
          b[0] = 0xc2;
          b.writeInt32LE(n, 1);
          this.raw(b);
        }
        return;
      }
    }
    if (this.compress && len > 20) {
      const packed = lzfCompress(bytes, len - 4);
      if (packed !== undefined) return this.lzf(packed, len);
    }
    this.len(len);
    this.raw(bytes);
  }

  /** `rdbSaveLzfBlob`. */
  lzf(packed: Buffer, originalLength: number): void {
    this.byte(0xc3);
    this.len(packed.length);
    this.len(originalLength);
    this.raw(packed);
  }

  /** A 16-byte big-endian stream id, as rax keys and PEL entries hold it. */
  id(id: StreamId): void {
    const b = Buffer.alloc(16);
    b.writeBigUInt64BE(u64(id.ms), 0);
    b.writeBigUInt64BE(u64(id.seq), 8);
    this.raw(b);
  }

  idLens(id: StreamId): void {
    this.len(u64(id.ms));
    this.len(u64(id.seq));
  }

  /** `rdbSaveMillisecondTime`: int64 little-endian. */
  millis(ms: number): void {
    const b = Buffer.alloc(8);
    b.writeBigInt64LE(BigInt(Math.trunc(ms)));
    this.raw(b);
  }

  finish(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** Stream ids are kept as numbers, with u64's maximum as Infinity. */
function u64(n: number): bigint {
  return n === Infinity ? U64_ALL_ONES : BigInt(n);
}

/** Redis' `optimization_level`: the node sizes `list-max-listpack-size` -1 … -5 stand for. */
const NODE_SIZE_LIMITS = [4096, 8192, 16384, 32768, 65536];
/** Above this a node is only allowed to grow when its count limit (a positive fill) says so. */
const SIZE_SAFETY_LIMIT = 8192;
/** What `_quicklistNodeAllowInsert` adds to an element's length for its listpack entry overhead (an overestimate). */
const SIZE_ESTIMATE_OVERHEAD = 8;
/** Elements from this size on get a node of their own (`packed_threshold`). */
const PACKED_THRESHOLD = 1 << 30;

/**
 * The nodes a quicklist built by RPUSH holds: `_quicklistNodeAllowInsert` of Redis 7.0.15 decides when an
 * element starts a new node (`plain` nodes hold one huge element as it is).
 */
function quicklistNodes(items: string[], fill: number): { plain: boolean; entries: Buffer[] }[] {
  const nodes: { plain: boolean; entries: Buffer[]; bytes: number }[] = [];
  let node: (typeof nodes)[number] | undefined;
  for (const item of items) {
    const sz = byteLength(item);
    if (sz >= PACKED_THRESHOLD) {
      nodes.push({ plain: true, entries: [toBytes(item)], bytes: sz });
      node = undefined;
      continue;
    }
    const entry = listpackEntry(item);
    if (node !== undefined && !node.plain) {
      const grown = node.bytes + sz + SIZE_ESTIMATE_OVERHEAD;
      const fits =
        fill < 0
          ? grown <= NODE_SIZE_LIMITS[Math.min(-fill, NODE_SIZE_LIMITS.length) - 1]!
          : grown <= SIZE_SAFETY_LIMIT && node.entries.length + 1 <= Math.max(fill, 1);
      if (fits) {
        node.entries.push(entry);
        node.bytes += entry.length;
        continue;
      }
    }
    node = { plain: false, entries: [entry], bytes: 7 + entry.length };
    nodes.push(node);
  }
  return nodes;
}

function saveList(w: RdbWriter, ks: Keyspace, list: Deque): void {
  const nodes = quicklistNodes(list.toArray(), ks.config.int('list-max-listpack-size'));
  const depth = ks.config.int('list-compress-depth');
  const compressInterior = depth > 0 && nodes.length >= depth * 2;
  w.len(nodes.length);
  nodes.forEach((node, i) => {
    w.len(node.plain ? 1 : 2);
    const blob = node.plain ? node.entries[0]! : listpackOf(node.entries);
    if (!node.plain && compressInterior && i >= depth && i < nodes.length - depth && blob.length >= 48) {
      // `__quicklistCompressNode`: kept compressed only when that saves more than 8 bytes.
      const packed = lzfCompress(blob, blob.length);
      if (packed !== undefined && packed.length + 8 < blob.length) return w.lzf(packed, blob.length);
    }
    w.string(blob);
  });
}

/** `d2string`: integral scores as integers, others as `%.17g`. */
function scoreText(score: number): string {
  if (Number.isInteger(score) && Math.abs(score) < 2 ** 52) return String(score);
  return formatDouble(score);
}

function pelEntries(w: RdbWriter, pel: PendingList, withDelivery: boolean, size: number): void {
  w.len(size);
  for (const e of pel.ordered()) {
    w.id(e);
    if (!withDelivery) continue;
    w.millis(e.deliveryTime);
    w.len(e.deliveryCount);
  }
}

function saveGroup(w: RdbWriter, group: ConsumerGroup): void {
  w.string(toBytes(group.name));
  w.idLens(group.lastId);
  w.len(group.entriesRead < 0 ? U64_ALL_ONES : group.entriesRead);
  pelEntries(w, group.pel, true, group.pel.size);
  const consumers = [...group.consumers.values()].sort((a, b) => compareBytes(a.name, b.name));
  w.len(consumers.length);
  for (const c of consumers) {
    w.string(toBytes(c.name));
    w.millis(c.seenTime);
    pelEntries(w, c.pel, false, c.pel.size);
  }
}

/** One stream node's listpack: the master entry (the node's first fields), then each live entry. */
function streamNode(records: StreamRecord[]): Buffer {
  const first = records[0]!.node;
  const master = first.masterFields;
  const entries: Buffer[] = [records.length, 0, master.length].map((n) => listpackEntry(String(n)));
  for (const f of master) entries.push(listpackEntry(f));
  entries.push(listpackEntry('0'));
  for (const r of records) {
    const count = r.fields.length / 2;
    let same = count === master.length;
    for (let i = 0; same && i < count; i++) same = r.fields[2 * i] === master[i];
    const ints = [same ? 2 : 0, r.ms - first.masterMs, r.seq - first.masterSeq];
    if (!same) ints.push(count);
    for (const n of ints) entries.push(listpackEntry(String(n)));
    for (let i = same ? 1 : 0; i < r.fields.length; i += same ? 2 : 1) entries.push(listpackEntry(r.fields[i]!));
    entries.push(listpackEntry(String(same ? count + 3 : count * 2 + 4)));
  }
  return listpackOf(entries);
}

function saveStream(w: RdbWriter, s: Stream): void {
  const nodes: StreamRecord[][] = [];
  for (let i = 0; i < s.length; i++) {
    const r = s.at(i)!;
    const last = nodes[nodes.length - 1];
    if (last !== undefined && last[0]!.node === r.node) last.push(r);
    else nodes.push([r]);
  }
  w.len(nodes.length);
  for (const records of nodes) {
    const node = records[0]!.node;
    w.string(Buffer.concat([bigEndian(node.masterMs), bigEndian(node.masterSeq)]));
    w.string(streamNode(records));
  }
  w.len(s.length);
  w.idLens(s.lastId);
  w.idLens(s.firstId);
  w.idLens(s.maxDeletedId);
  w.len(s.entriesAdded);
  const groups = [...s.groups.values()].sort((a, b) => compareBytes(a.name, b.name));
  w.len(groups.length);
  for (const g of groups) saveGroup(w, g);
}

function bigEndian(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(u64(n));
  return b;
}

/**
 * The DUMP payload of `value`.
 *
 * @example
 * dumpPayload(ks, 'hello') // <Buffer 00 05 68 65 6c 6c 6f 0a 00 …8 bytes of CRC>
 */
export function dumpPayload(ks: Keyspace, value: Value): Buffer {
  const w = new RdbWriter(ks.config.get('rdbcompression') !== 'no');
  switch (typeOf(value)) {
    case 'string':
      w.byte(RDB_TYPE.string);
      w.string(toBytes(value as string));
      break;
    case 'list':
      w.byte(RDB_TYPE.listQuicklist2);
      saveList(w, ks, value as Deque);
      break;
    case 'set': {
      const members = (value as RSet).members;
      if (encodingOf(ks, value) === 'intset') {
        w.byte(RDB_TYPE.setIntset);
        w.string(encodeIntset(members));
        break;
      }
      w.byte(RDB_TYPE.set);
      w.len(members.size);
      for (const m of members) w.string(toBytes(m));
      break;
    }
    case 'zset': {
      const items = (value as SortedSet).toArray();
      if (encodingOf(ks, value) === 'listpack') {
        w.byte(RDB_TYPE.zsetListpack);
        w.string(encodeListpack(items.flatMap(({ member, score }) => [member, scoreText(score)])));
        break;
      }
      w.byte(RDB_TYPE.zset2);
      w.len(items.length);
      const score = Buffer.alloc(8);
      for (let i = items.length - 1; i >= 0; i--) {
        w.string(toBytes(items[i]!.member));
        score.writeDoubleLE(items[i]!.score);
        w.raw(Buffer.from(score));
      }
      break;
    }
    case 'hash': {
      const hash = value as Hash;
      if (encodingOf(ks, value) === 'listpack') {
        w.byte(RDB_TYPE.hashListpack);
        w.string(encodeListpack([...hash].flat()));
        break;
      }
      w.byte(RDB_TYPE.hash);
      w.len(hash.size);
      for (const [f, v] of hash) {
        w.string(toBytes(f));
        w.string(toBytes(v));
      }
      break;
    }
    case 'stream':
      w.byte(RDB_TYPE.streamListpacks2);
      saveStream(w, value as Stream);
      break;
  }
  w.raw(Buffer.of(RDB_VERSION, 0));
  const body = w.finish();
  return Buffer.concat([body, crc64(body)]);
}
