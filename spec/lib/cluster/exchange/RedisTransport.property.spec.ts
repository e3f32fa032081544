import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, inject, it } from 'vitest';
import { hashSlot } from '../../../../lib/cluster/slots.ts';
import type { Gears } from '../../../../lib/index.ts';
import { RedisTransport } from '../../../../lib/cluster/exchange/RedisTransport.ts';
import { connect } from '../../../../lib/index.ts';
import { MemoryStore } from '../../../../lib/store/memory/index.ts';
import type { ShardStore } from '../../../../lib/store/ShardStore.ts';
import { assertSameOutcomes, redisDataSet, writeDataSet, type Outcome } from '../../../../lib/testing/index.ts';
import { canonicalJson } from '../../../../operators/internal/keys.ts';
import { pipeline } from '../../../properties/pipelines.ts';
import { workersGB } from './virtualWorkers.ts';

/** Every XADD written twice, as a sender retrying after a lost reply would: the receiver must drop the copy. */
function duplicatingXadd(store: ShardStore): ShardStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property !== 'call') return Reflect.get(target, property, receiver) as unknown;
      return async (command: string, ...args: never[]) => {
        const reply = await target.call(command, ...args);
        if (command === 'XADD') await target.call(command, ...args);
        return reply;
      };
    },
  });
}

/**
 * The Redis exchange transport computes what the in-process one computes: for random data and random
 * pipelines, 3 embedded shards run by 1, 2 or 3 virtual workers (one process, a transport per worker, the
 * exchange streams on an embedded store, every XADD duplicated) give the same multisets of results and
 * errors as the in-process engine.
 */
describe('RedisTransport between virtual workers', () => {
  it('gives the in-process results and errors for random pipelines', async () => {
    await fc.assert(
      fc.asyncProperty(
        redisDataSet({ maxKeys: 15, hashtags: true }),
        pipeline,
        fc.integer({ min: 1, max: 3 }),
        fc.boolean(),
        async (data, { gear }, workers, duplicate) => {
          const gears = await connect({ shards: 3, cloneRecords: true });
          try {
            const prefix = 'inv:';
            await writeDataSet(gears.execute, data, prefix);
            const outcome = async (topology: string, GB: typeof gears.GB): Promise<Outcome> => {
              const { results, errors } = await gear(GB, { GB, pattern: `${prefix}*`, prefix }).run(
                `${prefix}*` as never,
              );
              return { topology, results: results.map(canonicalJson).sort(), errors: [...errors].sort() };
            };
            const streams = new MemoryStore();
            const host = duplicate ? duplicatingXadd(streams) : streams;
            const transport = () => new RedisTransport({ storeFor: () => host, blockMs: 20, batchSize: 4 });
            assertSameOutcomes([
              await outcome('in process', gears.GB),
              await outcome(`${workers} workers`, workersGB(gears, workers, transport)),
            ]);
            // Every exchange stream was consumed and deleted.
            const left = await streams.call('KEYS', '*');
            if ((left as string[]).length > 0) throw new Error(`streams left: ${String(left)}`);
            await streams.close();
          } finally {
            await gears.close();
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  describe.each([
    ['standalone Redis', () => inject('redisUrl')],
    ['the 3-master Redis Cluster', () => inject('clusterUrls')[0]!],
  ])('with the exchange streams on %s (polled reads)', (_name, url) => {
    let redis: Gears | undefined;
    afterAll(() => redis?.close());

    it('gives the in-process results for random pipelines, and leaves no stream behind', async () => {
      const host = (redis = await connect({ redis: url() }));
      const run = randomBytes(4).toString('hex');
      const storeFor = (key: string) => {
        const slot = hashSlot(key);
        return host.shards.find((s) => s.slots.some(([a, b]) => slot >= a && slot <= b))!.store;
      };
      await fc.assert(
        fc.asyncProperty(
          redisDataSet({ maxKeys: 12, hashtags: true }),
          pipeline,
          fc.integer({ min: 1, max: 3 }),
          async (data, { gear }, workers) => {
            const gears = await connect({ shards: 3, cloneRecords: true });
            try {
              await writeDataSet(gears.execute, data, 'inv:');
              const outcome = async (topology: string, GB: typeof gears.GB): Promise<Outcome> => {
                const { results, errors } = await gear(GB, { GB, pattern: 'inv:*', prefix: 'inv:' }).run(
                  'inv:*' as never,
                );
                return { topology, results: results.map(canonicalJson).sort(), errors: [...errors].sort() };
              };
              const transport = () =>
                new RedisTransport({ storeFor, streamKey: (x, to) => `rxg:{xt:${run}:${x}:${to}}`, batchSize: 4 });
              assertSameOutcomes([
                await outcome('in process', gears.GB),
                await outcome(`${workers} workers`, workersGB(gears, workers, transport)),
              ]);
            } finally {
              await gears.close();
            }
          },
        ),
        { numRuns: 15 },
      );
      const { results: left } = await host.GB('KeysOnlyReader').run(`rxg:{xt:${run}:*`);
      if (left.length > 0) throw new Error(`streams left: ${left.join(', ')}`);
    });
  });
});
