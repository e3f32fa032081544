/**
 * Workload 9, sustained events on worker processes (issue 15): a StreamReader registration made by a driver
 * (`connect(url, { app })`) and run by `rxgears worker` processes on a 3-master Cluster, draining a backlog of
 * stream entries spread over every master. Events per second with 2 workers against 1 worker in the same run,
 * and the workers' CPU per event (user + system time of the worker processes, from /proc). The gear burns a
 * little CPU per entry (what a real gear does), so the second worker has work to take.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { hashSlot } from '../lib/cluster/slots.ts';
import { shardTasks } from '../lib/cluster/leases/tick.ts';
import { connect } from '../lib/index.ts';
import { runScript } from '../lib/server/rg/sandbox.ts';
import { startRedisCluster } from '../lib/testing/index.ts';
import { log, median, type BenchSettings, type ResultRow } from './harness.ts';
import { cpuMs, pause, startWorker, stopWorkers, untilShared } from './workerProcesses.ts';

const STREAMS_PER_MASTER = 2;
/** Work per entry in the gear: a loop of this many steps (about 20 µs). */
const SPIN = 20_000;

/** One measured run: `workers` worker processes drain `entries` entries; events/s and CPU ms per event. */
async function drain(url: string, workers: number, entries: number): Promise<{ rate: number; cpuPerEvent: number }> {
  const app = `bench-${randomBytes(3).toString('hex')}`;
  const local = await connect(url);
  const driver = await connect(url, { app });
  const children: ChildProcess[] = [];
  try {
    const tasks = shardTasks(local.shards);
    const keys = tasks.flatMap((task) => {
      const [first, last] = task.slice(1).split('-').map(Number) as [number, number];
      const tags: string[] = [];
      for (let i = 0; tags.length < STREAMS_PER_MASTER; i++) {
        const slot = hashSlot(`b${i}`);
        if (slot >= first && slot <= last) tags.push(`${app}:s:{b${i}}`);
      }
      return tags;
    });
    for (let i = 0; i < entries; i += 500) {
      const writes: Promise<unknown>[] = [];
      for (let j = i; j < Math.min(entries, i + 500); j++)
        writes.push(local.execute('XADD', keys[j % keys.length]!, '*', 'n', String(j)));
      await Promise.all(writes);
    }
    for (let i = 0; i < workers; i++) children.push(await startWorker(url, app, `w${i}`));
    await untilShared(local, app, workers); // every task held, each worker at least one, before the clock starts
    const cpuBefore = children.reduce((n, c) => n + cpuMs(c.pid!), 0);
    const started = performance.now();
    const outcome = await runScript(
      driver,
      `GB('StreamReader')
        .map((e) => { let x = 0; for (let i = 0; i < ${SPIN}; i++) x += i % 7; return x; })
        .register({ prefix: '${app}:s:*', batch: 100, duration: 10, name: 'bench' })`,
    );
    if (outcome.kind !== 'register') throw new Error('bench: no registration');
    for (;;) {
      const left = await Promise.all(
        keys.map(async (key) => {
          const groups = (await local.execute('XINFO', 'GROUPS', key)) as unknown[][];
          const group = groups[0] ?? [];
          const field = (name: string): number => Number(group[group.indexOf(name) + 1] ?? 1);
          return field('lag') + field('pending');
        }),
      );
      if (left.every((n) => n === 0)) break;
      await pause(20);
    }
    const elapsed = performance.now() - started;
    const cpu = children.reduce((n, c) => n + cpuMs(c.pid!), 0) - cpuBefore;
    return { rate: (entries * 1000) / elapsed, cpuPerEvent: cpu / entries };
  } finally {
    await stopWorkers(children);
    await driver.close();
    await local.close();
  }
}

export async function run(settings: BenchSettings): Promise<ResultRow[]> {
  const entries = settings.quick ? 10_000 : 40_000;
  const runs = settings.quick ? 1 : Math.max(1, Math.min(3, settings.runs));
  const cluster = await startRedisCluster();
  try {
    const url = cluster.urls[0]!;
    const one: { rate: number; cpuPerEvent: number }[] = [];
    const two: { rate: number; cpuPerEvent: number }[] = [];
    for (let i = 0; i < runs; i++) {
      one.push(await drain(url, 1, entries));
      two.push(await drain(url, 2, entries));
      log(
        `  workers events run ${i + 1}: 1 worker ${one.at(-1)!.rate.toFixed(0)}/s, 2 workers ${two.at(-1)!.rate.toFixed(0)}/s`,
      );
    }
    const rate2 = median(two.map((r) => r.rate));
    const rate1 = median(one.map((r) => r.rate));
    const cpu2 = median(two.map((r) => r.cpuPerEvent));
    const cpu1 = median(one.map((r) => r.cpuPerEvent));
    return [
      {
        id: 9,
        workload: `sustained stream events on worker processes, 2 workers vs 1 (${entries.toLocaleString('en-US')} entries, 3 masters)`,
        rxgears: rate2,
        baseline: rate1,
        baselineName: '1 worker process',
        ratio: rate2 / rate1,
        unit: 'events/s',
        target: '',
        met: null,
        notes:
          `StreamReader registered by a driver, drained by rxgears worker processes (batch 100, ~20 µs of CPU per ` +
          `entry in the gear); CPU per event (worker processes, user+system): ${(cpu2 * 1000).toFixed(1)} µs with 2 ` +
          `workers, ${(cpu1 * 1000).toFixed(1)} µs with 1; median of ${runs} run(s)`,
      },
    ];
  } finally {
    await cluster.stop();
  }
}
