/**
 * The compact blobs inside Redis' RDB values: listpacks (7.0's small hashes, sorted sets, list nodes and stream
 * nodes), ziplists (the same before 7.0, still read from old payloads) and intsets (small integer sets). Elements
 * are store strings; integers are kept as integers the way Redis decides (`string2ll`: canonical int64 text).
 */
import { fromBytes, toBytes } from '../bytes.ts';
import { toBigInt64 } from '../numbers.ts';

/** A malformed blob (RESTORE answers `Bad data format`). */
export class BadFormat extends Error {
  override readonly name = 'BadFormat';
}

/** Listpack's `lpEncodeBacklen`: the entry's size, written so that it reads backwards. */
function backlen(size: number): number[] {
  if (size <= 127) return [size];
  if (size < 16383) return [size >>> 7, (size & 127) | 128];
  if (size < 2097151) return [size >>> 14, ((size >>> 7) & 127) | 128, (size & 127) | 128];
  if (size < 268435455) {
    return [size >>> 21, ((size >>> 14) & 127) | 128, ((size >>> 7) & 127) | 128, (size & 127) | 128];
  }
  return [
    Math.floor(size / 2 ** 28),
    ((size >>> 21) & 127) | 128,
    ((size >>> 14) & 127) | 128,
    ((size >>> 7) & 127) | 128,
    (size & 127) | 128,
  ];
}

/** One listpack entry (encoding, data, backlen) for `s`. */
export function listpackEntry(s: string): Buffer {
  const v = s.length <= 20 ? toBigInt64(s) : undefined;
  let head: Buffer;
  if (v !== undefined) {
    const n = Number(v);
    if (n >= 0 && n <= 127) head = Buffer.of(n);
    else if (n >= -4096 && n <= 4095) {
      const u = n < 0 ? n + 8192 : n;
      head = Buffer.of((u >> 8) | 0xc0, u & 0xff);
    } else if (n >= -32768 && n <= 32767) {
      head = Buffer.alloc(3);
      head[0] = 0xf1;
      head.writeInt16LE(n, 1);
    } else if (n >= -8388608 && n <= 8388607) {
      head = Buffer.alloc(4);
      head[0] = 0xf2;
      head.writeIntLE(n, 1, 3);
    } else if (n >= -2147483648 && n <= 2147483647) {
      head = Buffer.alloc(5);
      head[0] = 0xf3;
      head.writeInt32LE(n, 1);
    } else {
      head = Buffer.alloc(9);
      head[0] = 0xf4;
      head.writeBigInt64LE(v, 1);
    }
  } else {
    const bytes = toBytes(s);
    const len = bytes.length;
    let prefix: Buffer;
    if (len < 64) prefix = Buffer.of(0x80 | len);
    else if (len < 4096) prefix = Buffer.of((len >> 8) | 0xe0, len & 0xff);
    else {
      prefix = Buffer.alloc(5);
      prefix[0] = 0xf0;
      prefix.writeUInt32LE(len, 1);
    }
    head = Buffer.concat([prefix, bytes]);
  }
  return Buffer.concat([head, Buffer.from(backlen(head.length))]);
}

/** A listpack of `elements`, as `lpAppend` builds it one by one. */
export function encodeListpack(elements: readonly string[]): Buffer {
  return listpackOf(elements.map(listpackEntry));
}

/** A listpack of entries already encoded by {@link listpackEntry}. */
export function listpackOf(entries: readonly Buffer[]): Buffer {
  let total = 7;
  for (const e of entries) total += e.length;
  const out = Buffer.alloc(total);
  out.writeUInt32LE(total, 0);
  out.writeUInt16LE(Math.min(entries.length, 65535), 4);
  let at = 6;
  for (const e of entries) {
    e.copy(out, at);
    at += e.length;
  }
  out[at] = 0xff;
  return out;
}

function need(ok: boolean): void {
  if (!ok) throw new BadFormat('listpack');
}

/** The elements of a listpack (integers as their decimal text); throws {@link BadFormat}. */
export function decodeListpack(lp: Buffer): string[] {
  need(lp.length >= 7 && lp.readUInt32LE(0) === lp.length && lp[lp.length - 1] === 0xff);
  const out: string[] = [];
  let p = 6;
  const end = lp.length - 1;
  while (p < end) {
    const b = lp[p]!;
    const start = p;
    if (b < 0x80) {
      out.push(String(b));
      p += 1;
    } else if (b < 0xc0) {
      const len = b & 0x3f;
      need(p + 1 + len <= end);
      out.push(fromBytes(lp.subarray(p + 1, p + 1 + len)));
      p += 1 + len;
    } else if (b < 0xe0) {
      need(p + 2 <= end);
      const u = ((b & 0x1f) << 8) | lp[p + 1]!;
      out.push(String(u >= 4096 ? u - 8192 : u));
      p += 2;
    } else if (b < 0xf0) {
      need(p + 2 <= end);
      const len = ((b & 0x0f) << 8) | lp[p + 1]!;
      need(p + 2 + len <= end);
      out.push(fromBytes(lp.subarray(p + 2, p + 2 + len)));
      p += 2 + len;
    } else {
      const width = b === 0xf0 ? 4 : b === 0xf1 ? 2 : b === 0xf2 ? 3 : b === 0xf3 ? 4 : b === 0xf4 ? 8 : 0;
      need(width > 0 && p + 1 + width <= end);
      if (b === 0xf0) {
        const len = lp.readUInt32LE(p + 1);
        need(p + 5 + len <= end);
        out.push(fromBytes(lp.subarray(p + 5, p + 5 + len)));
        p += 5 + len;
      } else {
        out.push(width === 8 ? String(lp.readBigInt64LE(p + 1)) : String(lp.readIntLE(p + 1, width)));
        p += 1 + width;
      }
    }
    const size = p - start;
    const back = backlen(size);
    need(p + back.length <= end);
    for (const x of back) need(lp[p++] === x);
  }
  need(p === end);
  const count = lp.readUInt16LE(4);
  need(count === 65535 || count === out.length);
  return out;
}

/** The elements of a ziplist (Redis before 7.0); throws {@link BadFormat}. */
export function decodeZiplist(zl: Buffer): string[] {
  need(zl.length >= 11 && zl.readUInt32LE(0) === zl.length && zl[zl.length - 1] === 0xff);
  const out: string[] = [];
  let p = 10;
  const end = zl.length - 1;
  while (p < end) {
    p += zl[p]! < 254 ? 1 : 5; // the previous entry's length
    need(p < end);
    const b = zl[p]!;
    const top = b >> 6;
    if (top < 3) {
      let len: number;
      if (top === 0) {
        len = b & 0x3f;
        p += 1;
      } else if (top === 1) {
        need(p + 2 <= end);
        len = ((b & 0x3f) << 8) | zl[p + 1]!;
        p += 2;
      } else {
        need(p + 5 <= end);
        len = zl.readUInt32BE(p + 1);
        p += 5;
      }
      need(p + len <= end);
      out.push(fromBytes(zl.subarray(p, p + len)));
      p += len;
      continue;
    }
    if (b >= 0xf1 && b <= 0xfd) {
      out.push(String((b & 0x0f) - 1));
      p += 1;
      continue;
    }
    const width = b === 0xc0 ? 2 : b === 0xd0 ? 4 : b === 0xe0 ? 8 : b === 0xf0 ? 3 : b === 0xfe ? 1 : 0;
    need(width > 0 && p + 1 + width <= end);
    out.push(width === 8 ? String(zl.readBigInt64LE(p + 1)) : String(zl.readIntLE(p + 1, width)));
    p += 1 + width;
  }
  need(p === end);
  return out;
}

/** An intset of `members` (canonical int64 texts): the narrowest width that holds them all, ascending. */
export function encodeIntset(members: Iterable<string>): Buffer {
  const values = [...members].map((m) => BigInt(m)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let width = 2;
  for (const v of values) {
    if (v < -2147483648n || v > 2147483647n) width = 8;
    else if ((v < -32768n || v > 32767n) && width < 4) width = 4;
  }
  const out = Buffer.alloc(8 + width * values.length);
  out.writeUInt32LE(width, 0);
  out.writeUInt32LE(values.length, 4);
  values.forEach((v, i) => {
    if (width === 8) out.writeBigInt64LE(v, 8 + 8 * i);
    else out.writeIntLE(Number(v), 8 + width * i, width);
  });
  return out;
}

/** The members of an intset; throws {@link BadFormat}. */
export function decodeIntset(blob: Buffer): string[] {
  need(blob.length >= 8);
  const width = blob.readUInt32LE(0);
  const count = blob.readUInt32LE(4);
  need((width === 2 || width === 4 || width === 8) && blob.length === 8 + width * count && count > 0);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const at = 8 + width * i;
    out.push(width === 8 ? String(blob.readBigInt64LE(at)) : String(blob.readIntLE(at, width)));
  }
  return out;
}
