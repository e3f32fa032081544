import fc from 'fast-check';
import { afterAll, describe, inject, it } from 'vitest';
import { assertSameOutcomes, redisDataSet, TopologyPool } from '../../lib/testing/index.ts';
import { pipeline } from './pipelines.ts';

/**
 * The distributed layer's contract: for random data and random pipelines built from every operation, the
 * multiset of results and of errors is the same on 1 embedded shard, 3 embedded shards, real standalone Redis
 * and the real 3-master cluster. Left out, because their semantics are per shard by design: `limit`,
 * `accumulate` and `localGroupBy` not followed by a global step, and `run({ collect: false })`.
 */
describe('results do not depend on the shard count', () => {
  const pool = new TopologyPool([1, 3, inject('redisUrl'), inject('clusterUrls')[0]!]);
  afterAll(() => pool.close());

  it('for random data sets and random pipelines, on memory ×1, memory ×3, Redis and Redis Cluster', async () => {
    await fc.assert(
      fc.asyncProperty(redisDataSet({ maxKeys: 15, hashtags: true }), pipeline, async (data, { gear }) => {
        assertSameOutcomes(await pool.outcomes(gear, data));
      }),
      { numRuns: 60 },
    );
  });

  it('for larger data sets on the embedded topologies', async () => {
    const embedded = new TopologyPool([1, 2, 3, 5]);
    await fc.assert(
      fc.asyncProperty(redisDataSet({ minKeys: 20, maxKeys: 80 }), pipeline, async (data, { gear }) => {
        assertSameOutcomes(await embedded.outcomes(gear, data));
      }),
      { numRuns: 60 },
    );
  });
});
