/**
 * A HyperLogLog as Redis 7.0 lays it out in a string (hyperloglog.c): a 16-byte header — "HYLL", the encoding
 * (0 dense, 1 sparse), 3 zero bytes, the cached cardinality as 8 bytes little endian whose top bit marks it
 * stale — then either 16384 6-bit registers packed from each byte's low bits (dense, 12304 bytes in all) or
 * the sparse run-length opcodes ZERO `00xxxxxx` (1–64 zero registers), XZERO `01xxxxxx yyyyyyyy` (1–16384)
 * and VAL `1vvvvvxx` (1–4 registers of value 1–32). Every operation is a port of Redis' function of the same
 * role, so the bytes after any sequence of commands are the bytes redis-server holds.
 */
import { HLL_REGISTERS, patternOf } from './murmur.ts';

export const HLL_HDR_SIZE = 16;
const HLL_BITS = 6;
const HLL_REGISTER_MAX = (1 << HLL_BITS) - 1;
export const HLL_DENSE_SIZE = HLL_HDR_SIZE + Math.floor((HLL_REGISTERS * HLL_BITS + 7) / 8);
export const HLL_DENSE = 0;
export const HLL_SPARSE = 1;
const HLL_MAX_ENCODING = 1;
const SPARSE_VAL_MAX_VALUE = 32;
const SPARSE_VAL_MAX_LEN = 4;
const SPARSE_ZERO_MAX_LEN = 64;
const SPARSE_XZERO_MAX_LEN = 16384;

const isZero = (op: number): boolean => (op & 0xc0) === 0;
const isXZero = (op: number): boolean => (op & 0xc0) === 0x40;
const zeroLen = (op: number): number => (op & 0x3f) + 1;
const xzeroLen = (op: number, next: number): number => (((op & 0x3f) << 8) | next) + 1;
const valValue = (op: number): number => ((op >> 2) & 0x1f) + 1;
const valLen = (op: number): number => (op & 0x3) + 1;
const valOp = (value: number, len: number): number => (((value - 1) << 2) | (len - 1) | 0x80) & 0xff;

/** A sparse or dense HLL being worked on: `bytes` may be longer than `length`; bytes past it are zero. */
export class Hll {
  /** `hll-sparse-max-bytes`: a sparse HLL that would grow past it turns dense (set from the store's CONFIG). */
  sparseMaxBytes = 3000;

  private constructor(
    private bytes: Buffer,
    private length: number,
  ) {}

  /** `createHLLObject`: sparse, all registers zero as XZERO opcodes of 16384. */
  static create(): Hll {
    const hll = new Hll(Buffer.alloc(HLL_HDR_SIZE + 2 + 8), HLL_HDR_SIZE + 2);
    hll.bytes.write('HYLL', 0, 'latin1');
    hll.bytes[4] = HLL_SPARSE;
    hll.bytes[HLL_HDR_SIZE] = 0x40 | ((SPARSE_XZERO_MAX_LEN - 1) >> 8);
    hll.bytes[HLL_HDR_SIZE + 1] = (SPARSE_XZERO_MAX_LEN - 1) & 0xff;
    return hll;
  }

  /**
   * `isHLLObjectOrReply`'s checks on a string's bytes: at least a header, the magic, a known encoding, and a
   * dense one of the exact size. Undefined when the string is not an HLL.
   */
  static from(value: Buffer): Hll | undefined {
    if (value.length < HLL_HDR_SIZE || value.toString('latin1', 0, 4) !== 'HYLL') return undefined;
    const encoding = value[4]!;
    if (encoding > HLL_MAX_ENCODING || (encoding === HLL_DENSE && value.length !== HLL_DENSE_SIZE)) return undefined;
    const bytes = Buffer.alloc(value.length + 8);
    value.copy(bytes);
    return new Hll(bytes, value.length);
  }

  get encoding(): number {
    return this.bytes[4]!;
  }

  /** The bytes as Redis holds them. */
  toBuffer(): Buffer {
    return this.bytes.subarray(0, this.length);
  }

  invalidateCache(): void {
    this.bytes[15] = this.bytes[15]! | 0x80;
  }

  /** The cached cardinality (Redis replies it as a signed 64-bit integer), or undefined when it is stale. */
  cachedCount(): number | bigint | undefined {
    if ((this.bytes[15]! & 0x80) !== 0) return undefined;
    const card = this.bytes.readBigInt64LE(8);
    return card <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(card) : card;
  }

  setCachedCount(card: number): void {
    this.bytes.writeBigUInt64LE(BigInt(card), 8);
  }

  /** `hllAdd`: 1 when a register grew, 0 when not, -1 for a corrupted sparse HLL. */
  add(element: Buffer): number {
    const { index, count } = patternOf(element);
    return this.encoding === HLL_DENSE ? this.denseSet(index, count) : this.sparseSet(index, count);
  }

  /** Sets register `index` to `count` if that is larger (`hllDenseSet` / `hllSparseSet`). */
  set(index: number, count: number): number {
    return this.encoding === HLL_DENSE ? this.denseSet(index, count) : this.sparseSet(index, count);
  }

  private denseGet(index: number): number {
    const byte = HLL_HDR_SIZE + ((index * HLL_BITS) >> 3);
    const fb = (index * HLL_BITS) & 7;
    const b0 = this.bytes[byte]!;
    const b1 = this.bytes[byte + 1] ?? 0;
    return ((b0 >> fb) | (b1 << (8 - fb))) & HLL_REGISTER_MAX;
  }

  private denseSet(index: number, count: number): number {
    if (count <= this.denseGet(index)) return 0;
    const byte = HLL_HDR_SIZE + ((index * HLL_BITS) >> 3);
    const fb = (index * HLL_BITS) & 7;
    const fb8 = 8 - fb;
    const b = this.bytes;
    b[byte] = (b[byte]! & ~(HLL_REGISTER_MAX << fb)) | (count << fb);
    if (byte + 1 < b.length) b[byte + 1] = (b[byte + 1]! & ~(HLL_REGISTER_MAX >> fb8)) | (count >> fb8);
    return 1;
  }

  /**
   * `hllSparseToDense`: false (nothing changed) when the opcodes do not cover exactly 16384 registers. As in
   * Redis since the CVE-2025-32023 fix (which redis-server 7.0.15 as packaged carries), a run past the last
   * register is an error wherever it is, also in `mergeInto` and `histogram`.
   */
  toDense(): boolean {
    if (this.encoding === HLL_DENSE) return true;
    const sparse = this.bytes;
    const dense = new Hll(Buffer.alloc(HLL_DENSE_SIZE), HLL_DENSE_SIZE);
    sparse.copy(dense.bytes, 0, 0, HLL_HDR_SIZE);
    dense.bytes[4] = HLL_DENSE;
    let idx = 0;
    for (let p = HLL_HDR_SIZE; p < this.length;) {
      const op = sparse[p]!;
      const run = isZero(op) ? zeroLen(op) : isXZero(op) ? xzeroLen(op, sparse[p + 1]!) : valLen(op);
      if (run + idx > HLL_REGISTERS) return false;
      if (isZero(op) || isXZero(op)) {
        idx += run;
        p += isZero(op) ? 1 : 2;
      } else {
        const regval = valValue(op);
        for (let i = 0; i < run; i++) dense.denseSet(idx++, regval);
        p++;
      }
    }
    if (idx !== HLL_REGISTERS) return false;
    this.bytes = dense.bytes;
    this.length = HLL_DENSE_SIZE;
    return true;
  }

  /** `hllSparseSet`, step by step (see hyperloglog.c for the cases A–D). */
  private sparseSet(index: number, count: number): number {
    if (count > SPARSE_VAL_MAX_VALUE) return this.promote(index, count);
    // Room for the worst split (XZERO → XZERO VAL XZERO: 3 more bytes) and a zero byte past the end.
    if (this.bytes.length < this.length + 4) {
      const grown = Buffer.alloc(this.length * 2 + 4);
      this.bytes.copy(grown, 0, 0, this.length);
      this.bytes = grown;
    }
    const b = this.bytes;
    const sparse = HLL_HDR_SIZE;
    let end = this.length;
    let p = sparse;
    let first = 0;
    let prev = -1;
    let span = 0;
    while (p < end) {
      const op = b[p]!;
      let oplen = 1;
      if (isZero(op)) span = zeroLen(op);
      else if (!isXZero(op)) span = valLen(op);
      else {
        span = xzeroLen(op, b[p + 1]!);
        oplen = 2;
      }
      if (index <= first + span - 1) break;
      prev = p;
      p += oplen;
      first += span;
    }
    if (span === 0 || p >= end) return -1;
    const op = b[p]!;
    let next = isXZero(op) ? p + 2 : p + 1;
    if (next >= end) next = -1;
    const zero = isZero(op);
    const xzero = isXZero(op);
    const runlen = zero ? zeroLen(op) : xzero ? xzeroLen(op, b[p + 1]!) : valLen(op);

    let updated = false;
    if (!zero && !xzero) {
      if (valValue(op) >= count) return 0; // A
      if (runlen === 1) {
        b[p] = valOp(count, 1); // B
        updated = true;
      }
    }
    if (!updated && zero && runlen === 1) {
      b[p] = valOp(count, 1); // C
      updated = true;
    }
    if (!updated) {
      // D: split the opcode into up to three.
      const seq: number[] = [];
      const last = first + span - 1;
      const zeros = (len: number): void => {
        if (len > SPARSE_ZERO_MAX_LEN) seq.push(0x40 | ((len - 1) >> 8), (len - 1) & 0xff);
        else seq.push(len - 1);
      };
      if (zero || xzero) {
        if (index !== first) zeros(index - first);
        seq.push(valOp(count, 1));
        if (index !== last) zeros(last - index);
      } else {
        const curval = valValue(op);
        if (index !== first) seq.push(valOp(curval, index - first));
        seq.push(valOp(count, 1));
        if (index !== last) seq.push(valOp(curval, last - index));
      }
      const oldlen = xzero ? 2 : 1;
      const delta = seq.length - oldlen;
      if (delta > 0 && this.length + delta > this.sparseMaxBytes) return this.promote(index, count);
      if (delta !== 0 && next !== -1) b.copyWithin(next + delta, next, end);
      if (delta < 0) b.fill(0, end + delta, end);
      for (let i = 0; i < seq.length; i++) b[p + i] = seq[i]!;
      end += delta;
    }
    // Merge adjacent VAL opcodes of the same value, up to 5 opcodes from the previous one.
    p = prev !== -1 ? prev : sparse;
    let scanlen = 5;
    while (p < end && scanlen-- > 0) {
      const op1 = b[p]!;
      if (isXZero(op1)) {
        p += 2;
        continue;
      } else if (isZero(op1)) {
        p++;
        continue;
      }
      if (p + 1 < end && (b[p + 1]! & 0x80) !== 0) {
        const v1 = valValue(op1);
        if (v1 === valValue(b[p + 1]!)) {
          const len = valLen(op1) + valLen(b[p + 1]!);
          if (len <= SPARSE_VAL_MAX_LEN) {
            b[p + 1] = valOp(v1, len);
            b.copyWithin(p, p + 1, end + 1);
            end--;
            continue;
          }
        }
      }
      p++;
    }
    this.length = end;
    this.invalidateCache();
    return 1;
  }

  private promote(index: number, count: number): number {
    if (!this.toDense()) return -1;
    return this.denseSet(index, count);
  }

  /**
   * `hllMerge`: raises `max[i]` to each register's value; false for a sparse HLL whose opcodes do not cover
   * exactly 16384 registers.
   */
  mergeInto(max: Uint8Array): boolean {
    if (this.encoding === HLL_DENSE) {
      for (let i = 0; i < HLL_REGISTERS; i++) {
        const val = this.denseGet(i);
        if (val > max[i]!) max[i] = val;
      }
      return true;
    }
    const b = this.bytes;
    let i = 0;
    for (let p = HLL_HDR_SIZE; p < this.length;) {
      const op = b[p]!;
      const run = isZero(op) ? zeroLen(op) : isXZero(op) ? xzeroLen(op, b[p + 1]!) : valLen(op);
      if (run + i > HLL_REGISTERS) return false;
      if (isZero(op) || isXZero(op)) {
        i += run;
        p += isZero(op) ? 1 : 2;
      } else {
        const regval = valValue(op);
        for (const stop = i + run; i < stop; i++) if (regval > max[i]!) max[i] = regval;
        p++;
      }
    }
    return i === HLL_REGISTERS;
  }

  /** The histogram of register values (`hll*RegHisto`); `invalid` when sparse opcodes miscount. */
  histogram(): { histo: Float64Array; invalid: boolean } {
    const histo = new Float64Array(64);
    if (this.encoding === HLL_DENSE) {
      for (let i = 0; i < HLL_REGISTERS; i++) histo[this.denseGet(i)]!++;
      return { histo, invalid: false };
    }
    const b = this.bytes;
    let idx = 0;
    for (let p = HLL_HDR_SIZE; p < this.length;) {
      const op = b[p]!;
      const zero = isZero(op) || isXZero(op);
      const run = isZero(op) ? zeroLen(op) : isXZero(op) ? xzeroLen(op, b[p + 1]!) : valLen(op);
      if (run + idx > HLL_REGISTERS) return { histo, invalid: true };
      idx += run;
      const value = zero ? 0 : valValue(op);
      histo[value] = histo[value]! + run;
      p += isXZero(op) ? 2 : 1;
    }
    return { histo, invalid: idx !== HLL_REGISTERS };
  }

  /** The 16384 register values (PFDEBUG GETREG on a dense HLL). */
  registers(): number[] {
    const out = new Array<number>(HLL_REGISTERS);
    for (let i = 0; i < HLL_REGISTERS; i++) out[i] = this.denseGet(i);
    return out;
  }

  /** PFDEBUG DECODE: the sparse opcodes as `z:len`, `Z:len`, `v:value,len`. */
  decode(): string {
    const b = this.bytes;
    const parts: string[] = [];
    for (let p = HLL_HDR_SIZE; p < this.length;) {
      const op = b[p]!;
      if (isZero(op)) {
        parts.push(`z:${zeroLen(op)}`);
        p++;
      } else if (isXZero(op)) {
        parts.push(`Z:${xzeroLen(op, b[p + 1] ?? 0)}`);
        p += 2;
      } else {
        parts.push(`v:${valValue(op)},${valLen(op)}`);
        p++;
      }
    }
    return parts.join(' ');
  }
}
