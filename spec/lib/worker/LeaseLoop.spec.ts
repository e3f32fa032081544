import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { shardTasks } from '../../../lib/cluster/leases/tick.ts';
import { connect } from '../../../lib/index.ts';
import { deleteKeys } from '../../support/backends.ts';
import { until } from '../../support/until.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/leaseLoop.ts', import.meta.url));

interface Worker {
  child: ChildProcess;
  /** The tasks it runs now: task → epoch, from its last `held` line. */
  held: Map<string, number>;
}

const children = new Set<ChildProcess>();
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

async function startWorker(url: string, app: string, id: string): Promise<Worker> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, url, app, id], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const worker: Worker = { child, held: new Map() };
  let stderr = '';
  child.stderr!.on('data', (data: Buffer) => void (stderr += data.toString()));
  let buffered = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (data: Buffer) => {
      buffered += data.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (line === 'ready') resolve();
        if (!line.startsWith('held ')) continue;
        const pairs = line.slice(5).split(',').filter(Boolean);
        worker.held = new Map(
          pairs.map((p) => [p.slice(0, p.lastIndexOf(':')), Number(p.slice(p.lastIndexOf(':') + 1))]),
        );
      }
    });
    child.once('exit', (code, signal) => reject(new Error(`worker ${id} exited (${code ?? signal}): ${stderr}`)));
  });
  return worker;
}

async function end(worker: Worker, signal: NodeJS.Signals): Promise<void> {
  const exited = new Promise((resolve) => worker.child.once('exit', resolve));
  worker.child.kill(signal);
  await exited;
  children.delete(worker.child);
}

/**
 * Worker processes on the real 3-master cluster, holding leases only: they split the three tasks, a
 * SIGKILLed worker's tasks move to the survivor once its lease lapses (under a higher epoch), and a worker
 * that leaves on SIGTERM hands its tasks over at the next tick.
 */
describe('lease loops in worker processes (real Redis Cluster)', () => {
  it('split the tasks, take over a killed worker’s tasks, and get a leaving worker’s back', async () => {
    const url = inject('clusterUrls')[0]!;
    const gears = await connect({ redis: url });
    const app = `loop-${randomBytes(4).toString('hex')}`;
    const tasks = shardTasks(gears.shards);
    const count = (w: Worker) => w.held.size;
    try {
      const a = await startWorker(url, app, 'a');
      await until(() => count(a) === 3, 'a to hold all three tasks', 20_000);
      const b = await startWorker(url, app, 'b');
      await until(() => count(a) + count(b) === 3 && count(b) >= 1 && count(a) >= 1, 'a and b to split', 20_000);
      const before = new Map([...a.held, ...b.held]);
      const fromA = [...a.held.keys()];
      await end(a, 'SIGKILL');
      await until(() => count(b) === 3, 'b to take over a’s tasks after the lease', 20_000);
      for (const task of fromA) expect(b.held.get(task)).toBeGreaterThan(before.get(task)!);
      expect([...b.held.keys()].sort()).toEqual([...tasks].sort());

      const c = await startWorker(url, app, 'c');
      await until(() => count(c) >= 1 && count(b) + count(c) === 3, 'c to get its share', 20_000);
      await end(c, 'SIGTERM');
      await until(() => count(b) === 3, 'b to get c’s tasks back', 20_000);
      await end(b, 'SIGTERM');
    } finally {
      await deleteKeys(gears, `rxg:{rxg:${app}}*`);
      await gears.close();
    }
    // Four child processes start (each compiling through tsx) on a shared 2-core machine.
  }, 120_000);
});
