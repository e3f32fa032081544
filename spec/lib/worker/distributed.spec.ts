import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { connect, type Gears } from '../../../lib/index.ts';
import { runScript } from '../../../lib/server/rg/sandbox.ts';
import { shardTasks } from '../../../lib/cluster/leases/tick.ts';
import { dataset, multiset, sourcePipeline } from './sourcePipelines.ts';
import { killAll, startWorker, stopWorkers, untilSpread, type WorkerProcess } from './workers.ts';

afterAll(() => killAll());

const result = async (gears: Gears, source: string) => {
  const outcome = await runScript(gears, source);
  if (outcome.kind !== 'run') throw new Error(`expected a run, got ${outcome.kind}`);
  return outcome.result;
};

/**
 * The property of issue #14: random data, random pipelines as source text; the results and errors of worker
 * processes (1, 2, then 3 of them, real child processes of `rxgears worker`) equal the in-process engine's as
 * multisets.
 */
async function sameAnswers(
  url: string,
  workerCounts: readonly number[],
  runs: number,
  tasksPerMaster = 1,
  fixed: readonly string[] = [],
): Promise<void> {
  const app = `eq-${randomBytes(4).toString('hex')}`;
  const local = await connect(url);
  const driver = await connect(url, { app, tasksPerMaster });
  const tasks = shardTasks(local.shards).length * tasksPerMaster;
  const extra = ['--tasks-per-master', String(tasksPerMaster)];
  const workers: WorkerProcess[] = [];
  try {
    for (const count of workerCounts) {
      while (workers.length < count) workers.push(await startWorker(url, app, `w${workers.length}`, extra));
      await untilSpread(workers.slice(0, Math.min(count, tasks)), tasks);
      for (const source of fixed)
        expect(multiset(await result(driver, source)), source).toEqual(multiset(await result(local, source)));
      let run = 0;
      await fc.assert(
        fc.asyncProperty(dataset, fc.array(sourcePipeline, { minLength: 2, maxLength: 2 }), async (data, gears) => {
          const prefix = `${app}:${count}:${run++}:`;
          for (const { k, hash, n } of data) {
            if (hash) await local.execute('HSET', `${prefix}${k}`, 'n', n);
            else await local.execute('SET', `${prefix}${k}`, String(n));
          }
          for (const gear of gears) {
            const source = gear(prefix);
            const expected = await result(local, source);
            const actual = await result(driver, source);
            expect(multiset(actual), source).toEqual(multiset(expected));
          }
        }),
        { numRuns: runs },
      );
    }
  } finally {
    await driver.close();
    await local.close();
    await stopWorkers(workers);
  }
}

describe('worker processes compute what one process computes', () => {
  it('on the 3-master Cluster with 1, 2 and 3 workers', { timeout: 300_000 }, async () => {
    await sameAnswers(inject('clusterUrls')[0]!, [1, 2, 3], 4);
  });

  it('on the 3-master Cluster split into 2 tasks per master, with 2 and 3 workers', { timeout: 300_000 }, async () => {
    // Readers that read per shard, not per key, read each master once.
    const fixed = [
      "GB('ShardsIDReader').run()",
      "GB('GeneratorReader').map((n) => n * 2).run(function* () { yield* [1, 2, 3]; })",
    ];
    await sameAnswers(inject('clusterUrls')[0]!, [2, 3], 3, 2, fixed);
  });

  it('on standalone Redis split into 2 tasks, with 2 workers', { timeout: 200_000 }, async () => {
    await sameAnswers(inject('redisUrl'), [2], 3, 2);
  });

  it('on standalone Redis with 1 and 2 workers (one task: the second idles)', { timeout: 200_000 }, async () => {
    await sameAnswers(inject('redisUrl'), [1, 2], 3);
  });
});
