/**
 * Worker processes for the bench workloads that run on `rxgears worker` (9, 11–13): start one through the real
 * CLI, wait until an app's workers share every task, read a process's CPU time, stop them all.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { shardTasks } from '../lib/cluster/leases/tick.ts';
import { splitShards } from '../lib/cluster/pieces.ts';
import type { Gears } from '../lib/index.ts';

const CLI = fileURLToPath(new URL('../bin/rxgears.js', import.meta.url));

const started = new Set<ChildProcess>();
// Detached workers outlive a bench that dies; they are killed with it.
process.once('exit', () => {
  for (const child of started) child.kill('SIGKILL');
});

export const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** CPU time (user + system) of a process so far, ms, from /proc (Linux); 0 elsewhere. */
export function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime in clock ticks (USER_HZ 100)
  } catch {
    return 0;
  }
}

/** `rxgears worker --redis url --app app --id id …extra` (lease 3 s unless `extra` says), resolved once it is ready. */
export function startWorker(
  url: string,
  app: string,
  id: string,
  extra: readonly string[] = [],
): Promise<ChildProcess> {
  const lease = extra.includes('--lease') ? [] : ['--lease', '3000'];
  // BENCH_WORKER_PROF=DIR: every worker writes a CPU profile there when it exits (bench/README.md, workload 11).
  const profile = process.env.BENCH_WORKER_PROF
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_WORKER_PROF}`]
    : [];
  const args = [...profile, CLI, 'worker', '--redis', url, '--app', app, '--id', id, ...lease, ...extra];
  // A session of its own (detached), as a separate service has: Linux' autogroup scheduling gives all the
  // processes of one session one share of the CPU, so on a busy machine workers in the bench's session would
  // share its one share however many there are.
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  started.add(child);
  child.once('exit', () => started.delete(child));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (data: Buffer) => {
      out += data.toString();
      if (out.includes('ready')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`worker ${id} exited (${code})`)));
  });
}

/**
 * Waits until every task of the app is held, by `workers` distinct workers, each with its share (⌊T/W⌋ or
 * ⌈T/W⌉ tasks) and none of them being handed over: a run measured before would split its work unevenly.
 */
export async function untilShared(gears: Gears, app: string, workers: number, tasksPerMaster = 1): Promise<void> {
  const tasks = shardTasks(splitShards(gears.shards, tasksPerMaster));
  const owners = Math.min(workers, tasks.length);
  const [floor, ceil] = [Math.floor(tasks.length / owners), Math.ceil(tasks.length / owners)];
  for (;;) {
    const leases = (await gears.execute('MGET', ...tasks.map((t) => `rxg:{rxg:${app}}:lease:${t}`))) as (
      string | null
    )[];
    const held = new Map<string, number>();
    for (const lease of leases) {
      if (lease === null || lease.endsWith(':r')) continue;
      const owner = lease.split(':')[0]!;
      held.set(owner, (held.get(owner) ?? 0) + 1);
    }
    const counts = [...held.values()];
    const all = counts.reduce((n, c) => n + c, 0) === tasks.length;
    if (all && held.size === owners && counts.every((c) => c >= floor && c <= ceil)) return;
    await pause(50);
  }
}

/** SIGTERMs the workers and waits for them to exit (they hand their leases back). */
export async function stopWorkers(children: readonly ChildProcess[]): Promise<void> {
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(
    children.map((c) => new Promise((resolve) => (c.exitCode !== null ? resolve(0) : c.once('exit', resolve)))),
  );
}
