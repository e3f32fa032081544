/**
 * MurmurHash64A as Redis' hyperloglog.c has it (its endian-neutral variant: 8-byte blocks read little endian),
 * in 32-bit halves (no bigint on the path of every PFADD element), and `hllPatLen`: the register an element
 * falls in and the length of its hash's `000…1` pattern.
 */

const M_HI = 0xc6a4a793;
const M_LO = 0x5bd1e995;
/** The seed Redis hashes HyperLogLog elements with. */
const HLL_SEED = 0xadc83b19;

/** Registers are indexed by the hash's low 14 bits (HLL_P); the other 50 (HLL_Q) give the pattern. */
export const HLL_P = 14;
export const HLL_Q = 64 - HLL_P;
export const HLL_REGISTERS = 1 << HLL_P;

/** A 64-bit value as two unsigned 32-bit halves, reused to keep the hash allocation-free. */
const h = { hi: 0, lo: 0 };
const k = { hi: 0, lo: 0 };

/** `x = x * M mod 2^64`, exact: 16-bit limbs for the low halves' full product, `Math.imul` for the cross terms. */
function mulM(x: { hi: number; lo: number }): void {
  const a0 = x.lo & 0xffff;
  const a1 = x.lo >>> 16;
  const b0 = M_LO & 0xffff;
  const b1 = M_LO >>> 16;
  const mid = a0 * b1 + a1 * b0;
  const low = a0 * b0 + (mid % 0x10000) * 0x10000;
  const carry = Math.floor(low / 0x100000000);
  const hi = a1 * b1 + Math.floor(mid / 0x10000) + carry + Math.imul(x.hi, M_LO) + Math.imul(x.lo, M_HI);
  x.lo = low >>> 0;
  x.hi = hi >>> 0;
}

/** `x ^= x >> 47`. */
function mix(x: { hi: number; lo: number }): void {
  x.lo = (x.lo ^ (x.hi >>> 15)) >>> 0;
}

/** MurmurHash64A of `data` with `seed` (32 bits) into `h`. */
function hash(data: Buffer, seed: number): void {
  const len = data.length;
  // h = seed ^ (len * m)
  h.lo = len >>> 0;
  h.hi = Math.floor(len / 0x100000000);
  mulM(h);
  h.lo = (h.lo ^ seed) >>> 0;
  const blocks = len - (len & 7);
  for (let i = 0; i < blocks; i += 8) {
    k.lo = data.readUInt32LE(i);
    k.hi = data.readUInt32LE(i + 4);
    mulM(k);
    mix(k);
    mulM(k);
    h.lo = (h.lo ^ k.lo) >>> 0;
    h.hi = (h.hi ^ k.hi) >>> 0;
    mulM(h);
  }
  const tail = len & 7;
  if (tail !== 0) {
    for (let j = tail - 1; j >= 0; j--) {
      const byte = data[blocks + j]!;
      if (j >= 4) h.hi = (h.hi ^ (byte << (8 * (j - 4)))) >>> 0;
      else h.lo = (h.lo ^ (byte << (8 * j))) >>> 0;
    }
    mulM(h);
  }
  mix(h);
  mulM(h);
  mix(h);
}

/** MurmurHash64A of `data` with `seed`, as an unsigned 64-bit bigint (for tests and debugging). */
export function murmurHash64A(data: Buffer, seed: number): bigint {
  hash(data, seed);
  return (BigInt(h.hi) << 32n) | BigInt(h.lo);
}

/**
 * `hllPatLen`: the register `element` updates (`index`) and the count of its hash's `000…1` pattern after
 * the index bits, 1 to HLL_Q + 1.
 */
export function patternOf(element: Buffer): { index: number; count: number } {
  hash(element, HLL_SEED);
  const index = h.lo & (HLL_REGISTERS - 1);
  // The hash without its index bits, bit 50 set so the count ends by Q + 1: bits 14–45, then 46–63 and the stop.
  const low = ((h.lo >>> HLL_P) | (h.hi << (32 - HLL_P))) >>> 0;
  const high = (h.hi >>> HLL_P) | (1 << (HLL_Q - 32));
  const count = low !== 0 ? trailingZeros(low) + 1 : trailingZeros(high) + 33;
  return { index, count };
}

function trailingZeros(v: number): number {
  return 31 - Math.clz32(v & -v);
}
