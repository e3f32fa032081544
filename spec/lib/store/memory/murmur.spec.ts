import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { murmurHash64A, patternOf } from '../../../../lib/store/memory/hyperloglog/murmur.ts';

const MASK = (1n << 64n) - 1n;
const M = 0xc6a4a7935bd1e995n;

/** MurmurHash64A transcribed from hyperloglog.c in 64-bit bigint arithmetic: the reference for the 32-bit halves. */
function reference(data: Buffer, seed: bigint): bigint {
  let h = (seed ^ (BigInt(data.length) * M)) & MASK;
  const blocks = data.length - (data.length & 7);
  for (let i = 0; i < blocks; i += 8) {
    let k = data.readBigUInt64LE(i);
    k = (k * M) & MASK;
    k ^= k >> 47n;
    k = (k * M) & MASK;
    h ^= k;
    h = (h * M) & MASK;
  }
  const tail = data.length & 7;
  for (let j = tail - 1; j >= 0; j--) h ^= BigInt(data[blocks + j]!) << BigInt(8 * j);
  if (tail !== 0) h = (h * M) & MASK;
  h ^= h >> 47n;
  h = (h * M) & MASK;
  return h ^ (h >> 47n);
}

describe('MurmurHash64A (HyperLogLog hashing)', () => {
  it('equals the 64-bit transcription for any bytes and seed', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.nat({ max: 2 ** 32 - 1 }), (bytes, seed) => {
        const data = Buffer.from(bytes);
        expect(murmurHash64A(data, seed)).toBe(reference(data, BigInt(seed)));
      }),
      { numRuns: 2000 },
    );
  });

  it('gives the register and pattern length hllPatLen gives: low 14 bits, then the run of zeros up to a 1', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 24 }), (bytes) => {
        const hash = reference(Buffer.from(bytes), 0xadc83b19n);
        let rest = (hash >> 14n) | (1n << 50n);
        let count = 1;
        while ((rest & 1n) === 0n) {
          rest >>= 1n;
          count++;
        }
        expect(patternOf(Buffer.from(bytes))).toEqual({ index: Number(hash & 0x3fffn), count });
      }),
      { numRuns: 2000 },
    );
  });
});
