/**
 * RESTORE's side of DUMP: Redis 7.0's `verifyDumpPayload` and `rdbLoadObject` for every type an RDB version 10
 * payload may hold — today's encodings and the older ones redis-server still reads (plain lists, sets, hashes and
 * sorted sets, ziplists, quicklists of ziplists, streams from before 7.0). Anything malformed is a
 * {@link BadFormat}; an empty collection too, as Redis refuses to restore one.
 */
import type { Keyspace } from '../Keyspace.ts';
import { fromBytes } from '../bytes.ts';
import { Consumer, ConsumerGroup, estimateEntriesRead, type PendingEntry } from '../streams/ConsumerGroup.ts';
import { crc64 } from './crc64.ts';
import { Deque } from '../lists/Deque.ts';
import { BadFormat, decodeIntset, decodeListpack, decodeZiplist } from './listpack.ts';
import { lzfDecompress } from './lzf.ts';
import { toDouble, toInt64 } from '../numbers.ts';
import { RDB_TYPE, RDB_VERSION } from './rdbSave.ts';
import { SortedSet } from '../zsets/SortedSet.ts';
import { formatId, Stream, type StreamId } from '../streams/Stream.ts';
import { Hash, RSet, type Value } from '../values.ts';

/** `verifyDumpPayload`: at least the 10-byte footer, an RDB version Redis 7.0 reads, a matching CRC-64. */
export function payloadIsValid(payload: Buffer): boolean {
  if (payload.length < 10) return false;
  const footer = payload.length - 10;
  if (payload.readUInt16LE(footer) > RDB_VERSION) return false;
  return crc64(payload, payload.length - 8).equals(payload.subarray(payload.length - 8));
}

class RdbReader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}

  private need(n: number): number {
    if (this.pos + n > this.buf.length) throw new BadFormat('truncated');
    const at = this.pos;
    this.pos += n;
    return at;
  }

  byte(): number {
    return this.buf[this.need(1)]!;
  }

  raw(n: number): Buffer {
    const at = this.need(n);
    return this.buf.subarray(at, at + n);
  }

  /** `rdbLoadLen`, exact: a bigint for the 64-bit form. */
  lenBig(): bigint {
    const b = this.byte();
    switch (b >> 6) {
      case 0:
        return BigInt(b & 0x3f);
      case 1:
        return BigInt(((b & 0x3f) << 8) | this.byte());
      case 2:
        if (b === 0x80) return BigInt(this.raw(4).readUInt32BE());
        if (b === 0x81) return this.raw(8).readBigUInt64BE();
    }
    throw new BadFormat('length');
  }

  /** A length or count that must fit the store's numbers. */
  len(): number {
    const n = this.lenBig();
    if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new BadFormat('length');
    return Number(n);
  }

  /** `rdbGenericLoadStringObject`: a length and bytes, an encoded integer, or LZF data. */
  bytes(): Buffer {
    const b = this.buf[this.pos];
    if (b === undefined || b >> 6 !== 3) return this.raw(this.len());
    this.pos++;
    switch (b) {
      case 0xc0:
        return Buffer.from(String(this.raw(1).readInt8()));
      case 0xc1:
        return Buffer.from(String(this.raw(2).readInt16LE()));
      case 0xc2:
        return Buffer.from(String(this.raw(4).readInt32LE()));
      case 0xc3: {
        const packedLength = this.len();
        const length = this.len();
        const out = lzfDecompress(this.raw(packedLength), length);
        if (out === undefined) throw new BadFormat('lzf');
        return out;
      }
    }
    throw new BadFormat('string encoding');
  }

  string(): string {
    return fromBytes(this.bytes());
  }

  /** A 16-byte big-endian stream id. */
  id(): StreamId {
    const b = this.raw(16);
    return { ms: u64(b.readBigUInt64BE(0)), seq: u64(b.readBigUInt64BE(8)) };
  }

  idLens(): StreamId {
    return { ms: u64(this.lenBig()), seq: u64(this.lenBig()) };
  }

  millis(): number {
    return Number(this.raw(8).readBigInt64LE());
  }
}

/** Stream ids as the store keeps them: numbers, u64's maximum as Infinity. */
function u64(n: bigint): number {
  return n === 2n ** 64n - 1n ? Infinity : Number(n);
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new BadFormat(what);
}

function score(text: string): number {
  const v = toDouble(text);
  check(v !== undefined && !Number.isNaN(v), 'score');
  return v!;
}

/** `rdbLoadDoubleValue` (the text doubles of the oldest sorted-set encoding). */
function textDouble(r: RdbReader): number {
  const len = r.byte();
  if (len === 253) return NaN;
  if (len === 254) return Infinity;
  if (len === 255) return -Infinity;
  return score(r.raw(len).toString('latin1'));
}

function listOf(items: string[]): Deque {
  const list = new Deque();
  for (const item of items) list.pushBack(item);
  return list;
}

function setOf(members: string[], maxIntset: number): RSet {
  const set = new RSet();
  for (const m of members) {
    check(!set.members.has(m), 'duplicate set member');
    set.members.add(m);
    if (set.intset && toInt64(m) === undefined) set.intset = false;
  }
  if (set.members.size > maxIntset) set.intset = false;
  return set;
}

function hashOf(pairs: string[]): Hash {
  check(pairs.length % 2 === 0, 'hash pairs');
  const hash = new Hash();
  for (let i = 0; i < pairs.length; i += 2) {
    check(!hash.has(pairs[i]!), 'duplicate hash field');
    hash.set(pairs[i]!, pairs[i + 1]!);
  }
  return hash;
}

function zsetOf(pairs: [string, number][]): SortedSet {
  const zset = new SortedSet();
  for (const [member, s] of pairs) {
    check(!Number.isNaN(s) && zset.score(member) === undefined, 'zset member');
    zset.set(member, s);
  }
  return zset;
}

function pairsOf(flat: string[]): [string, number][] {
  check(flat.length % 2 === 0, 'zset pairs');
  const out: [string, number][] = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i]!, score(flat[i + 1]!)]);
  return out;
}

function repeat<T>(n: number, read: () => T): T[] {
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(read());
  return out;
}

/** The entries of one stream node's listpack (deleted ones skipped), appended to `s`. */
function loadStreamNode(s: Stream, master: StreamId, lp: string[], ks: Keyspace): void {
  let p = 0;
  const next = (): string => {
    check(p < lp.length, 'stream node');
    return lp[p++]!;
  };
  const int = (): number => {
    const v = toInt64(next());
    check(v !== undefined, 'stream node integer');
    return v!;
  };
  const count = int();
  const deleted = int();
  const fields = repeat(int(), next);
  check(int() === 0, 'master terminator');
  check(count + deleted > 0, 'empty stream node');
  for (let e = 0; e < count + deleted; e++) {
    const flags = int();
    const id = { ms: master.ms + int(), seq: master.seq + int() };
    const same = (flags & 2) !== 0;
    const n = same ? fields.length : int();
    const kv: string[] = [];
    for (let i = 0; i < n; i++) kv.push(same ? fields[i]! : next(), next());
    int(); // lp-count
    if (flags & 1) continue;
    const last = s.last();
    check(last === undefined || last.ms < id.ms || (last.ms === id.ms && last.seq < id.seq), 'stream id order');
    s.append(id, kv, ks.config.streamNodeMaxEntries, ks.config.streamNodeMaxBytes);
  }
  check(p === lp.length, 'stream node length');
}

function loadStream(r: RdbReader, ks: Keyspace, type: number): Stream {
  const s = new Stream();
  const nodes = r.len();
  for (let i = 0; i < nodes; i++) {
    const key = r.bytes();
    check(key.length === 16, 'stream node key');
    const master = { ms: u64(key.readBigUInt64BE(0)), seq: u64(key.readBigUInt64BE(8)) };
    loadStreamNode(s, master, decodeListpack(r.bytes()), ks);
  }
  check(r.len() === s.length, 'stream length');
  s.lastId = r.idLens();
  if (type === RDB_TYPE.streamListpacks2) {
    s.firstId = r.idLens();
    s.maxDeletedId = r.idLens();
    s.entriesAdded = r.len();
  } else {
    s.entriesAdded = s.length;
    s.maxDeletedId = { ms: 0, seq: 0 };
  }
  const groups = r.len();
  for (let i = 0; i < groups; i++) {
    const name = r.string();
    check(!s.groups.has(name), 'duplicate group');
    const lastId = r.idLens();
    let entriesRead: number;
    if (type === RDB_TYPE.streamListpacks2) {
      const n = r.lenBig();
      entriesRead = n === 2n ** 64n - 1n ? -1 : Number(n);
    } else entriesRead = estimateEntriesRead(s, lastId);
    const group = new ConsumerGroup(name, lastId, entriesRead);
    const orphans = new Map<string, PendingEntry>();
    for (let k = r.len(); k > 0; k--) {
      const id = r.id();
      const entry = { ...id, id: formatId(id), deliveryTime: r.millis(), deliveryCount: r.len() };
      check(!orphans.has(entry.id), 'duplicate pending entry');
      orphans.set(entry.id, entry as PendingEntry);
    }
    for (let c = r.len(); c > 0; c--) {
      const consumer = new Consumer(r.string(), r.millis());
      check(!group.consumers.has(consumer.name), 'duplicate consumer');
      group.consumers.set(consumer.name, consumer);
      for (let k = r.len(); k > 0; k--) {
        const entry = orphans.get(formatId(r.id()));
        check(entry !== undefined, 'pending entry of no group');
        entry!.consumer = consumer;
        orphans.delete(entry!.id);
        group.pel.add(entry!);
        consumer.pel.add(entry!);
      }
    }
    check(orphans.size === 0, 'pending entry of no consumer');
    s.groups.set(name, group);
  }
  return s;
}

/**
 * The value a DUMP payload holds (`rdbLoadObject` after the type byte); throws {@link BadFormat}. The caller
 * has checked the footer with {@link payloadIsValid}.
 *
 * @example
 * restoreValue(ks, payload) // 'hello' for the payload DUMP gives of SET k hello
 */
export function restoreValue(ks: Keyspace, payload: Buffer): Value {
  // Redis reads from the whole payload: a value may run on into the footer (which is then read as its bytes).
  const r = new RdbReader(payload);
  const type = r.byte();
  const maxIntset = ks.config.setMaxIntsetEntries;
  let value: Value;
  switch (type) {
    case RDB_TYPE.string:
      return r.string();
    case RDB_TYPE.list:
      value = listOf(repeat(r.len(), () => r.string()));
      break;
    case RDB_TYPE.listZiplist:
      value = listOf(decodeZiplist(r.bytes()));
      break;
    case RDB_TYPE.listQuicklist:
      value = listOf(repeat(r.len(), () => decodeZiplist(r.bytes())).flat());
      break;
    case RDB_TYPE.listQuicklist2: {
      const items: string[] = [];
      for (let n = r.len(); n > 0; n--) {
        const container = r.len();
        check(container === 1 || container === 2, 'quicklist container');
        if (container === 1) items.push(r.string());
        else items.push(...decodeListpack(r.bytes()));
      }
      value = listOf(items);
      break;
    }
    case RDB_TYPE.set:
      value = setOf(
        repeat(r.len(), () => r.string()),
        maxIntset,
      );
      break;
    case RDB_TYPE.setIntset:
      value = setOf(decodeIntset(r.bytes()), maxIntset);
      break;
    case RDB_TYPE.zset:
    case RDB_TYPE.zset2:
      value = zsetOf(
        repeat(r.len(), (): [string, number] => {
          const member = r.string();
          return [member, type === RDB_TYPE.zset ? textDouble(r) : r.raw(8).readDoubleLE()];
        }),
      );
      break;
    case RDB_TYPE.zsetZiplist:
      value = zsetOf(pairsOf(decodeZiplist(r.bytes())));
      break;
    case RDB_TYPE.zsetListpack:
      value = zsetOf(pairsOf(decodeListpack(r.bytes())));
      break;
    case RDB_TYPE.hash:
      value = hashOf(repeat(r.len() * 2, () => r.string()));
      break;
    case RDB_TYPE.hashZiplist:
      value = hashOf(decodeZiplist(r.bytes()));
      break;
    case RDB_TYPE.hashListpack:
      value = hashOf(decodeListpack(r.bytes()));
      break;
    case RDB_TYPE.streamListpacks:
    case RDB_TYPE.streamListpacks2:
      return loadStream(r, ks, type);
    default:
      throw new BadFormat(`type ${type}`);
  }
  const size = value instanceof Deque ? value.length : value instanceof RSet ? value.members.size : value.size;
  check(size > 0, 'empty collection');
  return value;
}
