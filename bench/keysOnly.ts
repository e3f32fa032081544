/**
 * Workload 2, keys only: count every key of a standalone Redis, rxgears
 * `GB('KeysOnlyReader').count().run('*')` against ioredis' `scanStream({ count: 1000 })` counting the keys
 * of each page. Both are one SCAN after another (a cursor depends on the previous reply), so this measures
 * what rxgears adds per key on top of SCAN.
 */
import { Redis } from 'ioredis';
import type { Gears } from '../lib/index.ts';
import { connect } from './engine.ts';
import { startRedis } from '../lib/testing/index.ts';
import { baselineCount } from './baselines.ts';
import { dbSize, populateKeys } from './data.ts';
import { log, measure, redisCpu, throughputRow, type BenchSettings, type ResultRow, type Side } from './harness.ts';

export const TARGET_RATIO = 0.9;

export async function rxgearsCount(gears: Gears): Promise<number> {
  const { results, errors } = await gears.GB('KeysOnlyReader').count().run('*');
  if (errors.length > 0) throw new Error(`rxgears run failed: ${errors[0]}`);
  return Number(results[0]);
}

export async function run(settings: BenchSettings): Promise<ResultRow[]> {
  const n = settings.quick ? 100_000 : 1_000_000;
  // DEBUG POPULATE loads a million keys in about a second; Redis 7 refuses DEBUG unless this is set.
  const server = await startRedis({ args: ['--enable-debug-command', 'local'] });
  const redis = new Redis(server.url);
  let gears: Gears | undefined;
  try {
    const how = await populateKeys(redis, n);
    const size = await dbSize(redis);
    if (size !== n) throw new Error(`keys only: loaded ${size} keys, wanted ${n}`);
    log(`  loaded ${n} keys with ${how}`);
    gears = await connect(server.url);
    const g = gears;
    const check =
      (name: string, count: () => Promise<number>): Side['run'] =>
      async () => {
        const keys = await count();
        // SCAN may return a key twice across a rehash; on a static keyspace it does not, so demand exactness.
        if (keys !== n) throw new Error(`keys only: ${name} counted ${keys} keys, expected ${n}`);
        return keys;
      };
    const times = await measure(
      [
        { name: 'rxgears', run: check('rxgears', () => rxgearsCount(g)) },
        { name: 'baseline', run: check('baseline', () => baselineCount(redis)) },
      ],
      settings.runs,
      'keys only',
      { serverCpu: redisCpu([redis]) },
    );
    return [
      throughputRow(
        {
          id: 2,
          workload: `keys only, standalone, ${n.toLocaleString('en-US')} keys`,
          baselineName: 'ioredis scanStream({ count: 1000 })',
          notes: `median keys/s; GB('KeysOnlyReader').count().run('*'); keys loaded with ${how}`,
        },
        times[0]!,
        times[1]!,
        { minRatio: TARGET_RATIO },
      ),
    ];
  } finally {
    await gears?.close();
    redis.disconnect();
    await server.stop();
  }
}
