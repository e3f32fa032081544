/**
 * `hllCount`'s estimator (Redis 7.0): Otmar Ertl's improved raw estimator from the register histogram
 * ("New cardinality estimation algorithms for HyperLogLog sketches", arXiv:1702.01284), in the same double
 * arithmetic, so the count is the one redis-server computes.
 */
import { HLL_Q, HLL_REGISTERS } from './murmur.ts';

/** 0.5 / ln(2). */
const HLL_ALPHA_INF = 0.7213475204444817; // the double nearest 0.721347520444481703680

function sigma(x: number): number {
  if (x === 1) return Infinity;
  let zPrime: number;
  let y = 1;
  let z = x;
  do {
    x *= x;
    zPrime = z;
    z += x * y;
    y += y;
  } while (zPrime !== z);
  return z;
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let zPrime: number;
  let y = 1.0;
  let z = 1 - x;
  do {
    x = Math.sqrt(x);
    zPrime = z;
    y *= 0.5;
    z -= (1 - x) * (1 - x) * y;
  } while (zPrime !== z);
  return z / 3;
}

/** The cardinality estimated from `histo[v]`, the number of registers holding `v`. */
export function estimate(histo: ArrayLike<number>): number {
  const m = HLL_REGISTERS;
  let z = m * tau((m - histo[HLL_Q + 1]!) / m);
  for (let j = HLL_Q; j >= 1; --j) {
    z += histo[j]!;
    z *= 0.5;
  }
  z += m * sigma(histo[0]! / m);
  // llroundl: halves away from zero (the value is never negative).
  return Math.round((HLL_ALPHA_INF * m * m) / z);
}
