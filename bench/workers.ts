/**
 * Workloads 11–13, batch runs on worker processes (issue 14), on a 3-master Cluster, each side in the same run
 * (alternating, `measure`): a CPU-heavy gear with 1 and 2 workers, a repartition of many records with 1, 2
 * and 3 workers, and what a tiny run costs on workers against the same run in one process. Each worker count
 * is its own app with its own `rxgears worker` processes, started before the clock and idle while another
 * side runs. Notes give the driver's CPU per run (this process: it only reads the results) and the workers'.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect, type Gears } from '../lib/index.ts';
import { runScript } from '../lib/server/rg/sandbox.ts';
import { startRedisCluster } from '../lib/testing/index.ts';
import { measure, median, throughputRow, type BenchSettings, type ResultRow, type Side } from './harness.ts';
import { cpuMs, startWorker, stopWorkers, untilShared } from './workerProcesses.ts';

/** Each master's slots split in 2 tasks: 6 tasks balance over 1, 2 and 3 workers (3 would split 2:1 over 2). */
const TASKS_PER_MASTER = 2;
/** pbkdf2 iterations per record: about 1 ms of CPU on the reference machine. */
const PBKDF2_ITERATIONS = 1500;

interface App {
  workers: number;
  driver: Gears;
  children: ChildProcess[];
  /** Worker CPU ms of each timed run (all its workers). */
  cpu: number[];
}

async function startApp(url: string, workers: number, extra: readonly string[]): Promise<App> {
  const name = `bench-${randomBytes(3).toString('hex')}`;
  const driver = await connect(url, { app: name, tasksPerMaster: TASKS_PER_MASTER });
  const children: ChildProcess[] = [];
  const args = [...extra, '--tasks-per-master', String(TASKS_PER_MASTER)];
  for (let i = 0; i < workers; i++) children.push(await startWorker(url, name, `w${i}`, args));
  await untilShared(driver, name, workers, TASKS_PER_MASTER);
  return { workers, driver, children, cpu: [] };
}

/** The single result of a script's run (a count), failing on errors. */
async function countOf(gears: Gears, source: string): Promise<number> {
  const outcome = await runScript(gears, source, { allowRequire: true });
  if (outcome.kind !== 'run') throw new Error(`bench: expected a run, got ${outcome.kind}`);
  const { results, errors } = outcome.result;
  if (errors.length > 0) throw new Error(`bench: the run failed: ${errors[0]}`);
  return Number(results[0] ?? 0);
}

/** A side running `source` on an app's workers, tracking the workers' CPU per run. */
function onWorkers(app: App, source: string): Side {
  return {
    name: `${app.workers} worker${app.workers > 1 ? 's' : ''}`,
    run: async () => {
      const before = app.children.reduce((n, c) => n + cpuMs(c.pid!), 0);
      const count = await countOf(app.driver, source);
      app.cpu.push(app.children.reduce((n, c) => n + cpuMs(c.pid!), 0) - before);
      return count;
    },
  };
}

const workerCpu = (app: App): string => `${(median(app.cpu.slice(1)) / 1000).toFixed(1)} s`;

export async function run(settings: BenchSettings): Promise<ResultRow[]> {
  const runs = settings.quick ? 1 : Math.max(1, Math.min(3, settings.runs));
  const cpuRecords = settings.quick ? 1_500 : 6_000;
  const moved = settings.quick ? 150_000 : 1_000_000;
  const cluster = await startRedisCluster();
  const apps: App[] = [];
  const local = await connect(cluster.urls[0]!);
  try {
    const url = cluster.urls[0]!;
    for (const workers of [1, 2, 3]) apps.push(await startApp(url, workers, ['--allow-require', '--lease', '10000']));
    const [one, two, three] = apps as [App, App, App];
    const rows: ResultRow[] = [];

    // 11. CPU-heavy map: records on every master, ~1 ms of pbkdf2 each, counted at the initiator.
    const prefix = `cpu-${randomBytes(3).toString('hex')}`;
    for (let i = 0; i < cpuRecords; i += 500) {
      const writes: Promise<unknown>[] = [];
      for (let j = i; j < Math.min(cpuRecords, i + 500); j++)
        writes.push(local.execute('SET', `${prefix}:${j}`, `v${j}`));
      await Promise.all(writes);
    }
    const cpuGear = `const { pbkdf2Sync } = require('node:crypto');
      GB().map((r) => pbkdf2Sync(r.value, 'rxgears', ${PBKDF2_ITERATIONS}, 32, 'sha256')[0]).count().run('${prefix}:*', { count: 100 })`;
    const cpu = await measure(
      [onWorkers(two, cpuGear), onWorkers(one, cpuGear), { name: 'in process', run: () => countOf(local, cpuGear) }],
      runs,
      'CPU-heavy map on workers',
    );
    rows.push({
      ...throughputRow(
        {
          id: 11,
          workload: `CPU-heavy map on worker processes, 2 workers vs 1 (${cpuRecords.toLocaleString('en-US')} keys × ~1 ms pbkdf2, 3 masters)`,
          baselineName: '1 worker process',
          notes:
            `source-text gear (RG.JSEXECUTE's path) on rxgears worker processes; one process in the driver: ` +
            `${((cpuRecords * 1000) / cpu[2]!.median).toFixed(0)} records/s; worker CPU per run ${workerCpu(two)} ` +
            `(2 workers), ${workerCpu(one)} (1); driver CPU per run ${cpu[0]!.cpuMedian.toFixed(0)} ms; ` +
            `${TASKS_PER_MASTER} tasks per master (3 per worker); median of ${runs} run(s)`,
        },
        cpu[0]!,
        cpu[1]!,
        { minRatio: 1.7 },
      ),
    });

    // 12. Repartition: every shard generates records, each goes to the owner of its key's slot, counted.
    const perShard = Math.ceil(moved / local.shards.length);
    const repartition = `GB('GeneratorReader').repartition((n) => 'k' + n).count()
      .run(function* () { for (let i = 0; i < ${perShard}; i++) yield i; })`;
    for (const app of apps) app.cpu.length = 0;
    const shuffle = await measure(
      [
        onWorkers(three, repartition),
        onWorkers(two, repartition),
        onWorkers(one, repartition),
        { name: 'in process', run: () => countOf(local, repartition) },
      ],
      runs,
      'repartition on workers',
    );
    const total = perShard * local.shards.length;
    const rate = (side: number): string => `${((total * 1000) / shuffle[side]!.median).toFixed(0)}/s`;
    for (const [side, workers] of [
      [1, 2],
      [0, 3],
    ] as const)
      rows.push(
        throughputRow(
          {
            id: 11,
            workload: `repartition of ${total.toLocaleString('en-US')} records on worker processes, ${workers} workers vs 1 (3 masters)`,
            baselineName: '1 worker process',
            notes:
              `GeneratorReader on every shard → repartition by key → count; every record crosses the Redis ` +
              `exchange (a stream per destination shard), also between shards of one worker. 3 workers ` +
              `${rate(0)}, 2 workers ${rate(1)}, 1 worker ${rate(2)}, one process ${rate(3)}; worker CPU per run ` +
              `${workerCpu(three)} (3), ${workerCpu(two)} (2), ${workerCpu(one)} (1); median of ${runs} run(s)`,
          },
          shuffle[side]!,
          shuffle[2]!,
        ),
      );

    // 13. A tiny run: what the distributed protocol costs (claim round, the worker's evaluation, polling).
    const tiny = `GB('ShardsIDReader').count().run()`;
    const small = await measure(
      [onWorkers(two, tiny), { name: 'in process', run: () => countOf(local, tiny) }],
      settings.quick ? 5 : 15,
      'tiny run on workers',
    );
    rows.push({
      id: 11,
      workload: 'a tiny run (ShardsIDReader → count) on 2 worker processes vs in process (latency)',
      rxgears: small[0]!.median,
      baseline: small[1]!.median,
      baselineName: 'the same run in process',
      ratio: small[0]!.median / small[1]!.median,
      unit: 'ms',
      target: '',
      met: null,
      notes: `median of ${small[0]!.times.length} runs; lower is better; the in-process engine is connect(url)`,
      samples: { rxgears: small[0]!.times, baseline: small[1]!.times },
    });
    return rows;
  } finally {
    for (const app of apps) {
      await stopWorkers(app.children);
      await app.driver.close();
    }
    await local.close();
    await cluster.stop();
  }
}
