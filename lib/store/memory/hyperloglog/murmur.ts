/**
 * MurmurHash64A as Redis' hyperloglog.c has it (its endian-neutral variant: 8-byte blocks read little endian),
 * and `hllPatLen`: the register an element falls in and the length of its hash's `000…1` pattern.
 */

const M = 0xc6a4a7935bd1e995n;
const R = 47n;
const MASK = (1n << 64n) - 1n;
/** The seed Redis hashes HyperLogLog elements with. */
const HLL_SEED = 0xadc83b19n;

/** MurmurHash64A of `data` with `seed`, as an unsigned 64-bit bigint. */
export function murmurHash64A(data: Buffer, seed: bigint): bigint {
  const len = data.length;
  let h = (seed ^ (BigInt(len) * M)) & MASK;
  const blocks = len - (len & 7);
  for (let i = 0; i < blocks; i += 8) {
    let k = data.readBigUInt64LE(i);
    k = (k * M) & MASK;
    k ^= k >> R;
    k = (k * M) & MASK;
    h ^= k;
    h = (h * M) & MASK;
  }
  const tail = len & 7;
  if (tail !== 0) {
    for (let j = tail - 1; j >= 0; j--) h ^= BigInt(data[blocks + j]!) << BigInt(8 * j);
    h = (h * M) & MASK;
  }
  h ^= h >> R;
  h = (h * M) & MASK;
  h ^= h >> R;
  return h;
}

/** Registers are indexed by the hash's low 14 bits (HLL_P); the other 50 (HLL_Q) give the pattern. */
export const HLL_P = 14;
export const HLL_Q = 64 - HLL_P;
export const HLL_REGISTERS = 1 << HLL_P;

/**
 * `hllPatLen`: the register `element` updates (`index`) and the count of its hash's `000…1` pattern after
 * the index bits, 1 to HLL_Q + 1.
 */
export function patternOf(element: Buffer): { index: number; count: number } {
  const hash = murmurHash64A(element, HLL_SEED);
  const index = Number(hash & BigInt(HLL_REGISTERS - 1));
  // The 50 remaining bits with bit 50 set (so the count ends by Q + 1): 51 bits, exact in a double.
  const rest = Number(hash >> BigInt(HLL_P)) + 2 ** HLL_Q;
  const low = rest % 2 ** 32;
  const count = low !== 0 ? trailingZeros(low) + 1 : trailingZeros(Math.floor(rest / 2 ** 32)) + 33;
  return { index, count };
}

function trailingZeros(v: number): number {
  return 31 - Math.clz32(v & -v);
}
