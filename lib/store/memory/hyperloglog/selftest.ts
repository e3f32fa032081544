/**
 * PFSELFTEST (Redis' `pfselftestCommand`): the dense registers keep what is written without touching their
 * neighbours, and a sparse and a dense HLL fed the same 10 million 8-byte elements agree with each other and stay
 * within 6 standard errors of the true count at every power of ten. Blocks for seconds, as it does in Redis.
 */
import { RedisReplyError } from '../../../errors.ts';
import type { RedisReply } from '../../ShardStore.ts';
import type { CommandContext } from '../types.ts';
import { estimate } from './estimate.ts';
import { HLL_SPARSE, Hll } from './Hll.ts';
import { HLL_REGISTERS } from './murmur.ts';

const TEST_CYCLES = 1000;
const ELEMENTS = 10_000_000;

const failed = (message: string): RedisReplyError => new RedisReplyError(`ERR TESTFAILED ${message}`);

function count(hll: Hll): number {
  return estimate(hll.histogram().histo);
}

function denseHll(): Hll {
  const hll = Hll.create();
  hll.toDense();
  return hll;
}

export function pfselftest({ ks }: CommandContext): RedisReply {
  // Test 1: registers (written on a zeroed HLL, where setting "if larger" sets every non-zero value).
  const expected = new Uint8Array(HLL_REGISTERS);
  for (let cycle = 0; cycle < TEST_CYCLES; cycle++) {
    const hll = denseHll();
    for (let i = 0; i < HLL_REGISTERS; i++) {
      expected[i] = Math.floor(Math.random() * 64);
      hll.set(i, expected[i]!);
    }
    const got = hll.registers();
    for (let i = 0; i < HLL_REGISTERS; i++) {
      if (got[i] !== expected[i]) throw failed(`Register ${i} should be ${expected[i]} but is ${got[i]}`);
    }
  }
  // Test 2: approximation error, dense and sparse side by side.
  const dense = denseHll();
  const sparse = Hll.create();
  const sparseMax = ks.config.int('hll-sparse-max-bytes');
  sparse.sparseMaxBytes = sparseMax;
  const relerr = 1.04 / Math.sqrt(HLL_REGISTERS);
  const seedLo = Math.floor(Math.random() * 2 ** 32);
  const seedHi = Math.floor(Math.random() * 2 ** 32);
  const element = Buffer.alloc(8);
  element.writeUInt32LE(seedHi, 4);
  let checkpoint = 1;
  for (let j = 1; j <= ELEMENTS; j++) {
    element.writeUInt32LE((j ^ seedLo) >>> 0, 0);
    dense.add(element);
    sparse.add(element);
    if (j !== checkpoint) continue;
    if (j < sparseMax / 2 && sparse.encoding !== HLL_SPARSE) throw failed('sparse encoding not used');
    const card = count(dense);
    if (card !== count(sparse)) throw failed('dense/sparse disagree');
    const abserr = Math.abs(checkpoint - card);
    // Cardinality 10 is allowed an error of 1: collisions make more likely than the bound says.
    const maxerr = j === 10 ? 1 : Math.ceil(relerr * 6 * checkpoint);
    if (abserr > maxerr) throw failed(`Too big error. card:${checkpoint} abserr:${abserr}`);
    checkpoint *= 10;
  }
  return 'OK';
}
