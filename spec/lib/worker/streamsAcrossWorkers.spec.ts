import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { hashSlot } from '../../../lib/cluster/slots.ts';
import { shardTasks } from '../../../lib/cluster/leases/tick.ts';
import { connect } from '../../../lib/index.ts';
import { runScript } from '../../../lib/server/rg/sandbox.ts';
import { until } from '../../support/until.ts';
import { killAll, startWorker, stopWorkers, type WorkerProcess } from './workers.ts';

// 3 s, not less: on a busy 2-core machine a shorter lease lapses on healthy workers and tasks change hands.
const LEASE = 3000;
const MESSAGES = 20_000;
const STREAMS_PER_MASTER = 2;
const KILLS = 4;

afterAll(() => killAll());

/** A hash tag whose slot is in `task`'s range (`s<first>-<last>`), the `n`-th such. */
function tagIn(task: string, n: number): string {
  const [first, last] = task.slice(1).split('-').map(Number) as [number, number];
  let found = 0;
  for (let i = 0; ; i++) {
    const slot = hashSlot(`t${i}`);
    if (slot >= first && slot <= last && found++ === n) return `t${i}`;
  }
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('StreamReader registrations on worker processes (3-master Cluster)', () => {
  it(
    `processes ${MESSAGES} messages on every master at least once through ${KILLS} SIGKILLs and restarts of 3 workers`,
    { timeout: 400_000 },
    async () => {
      const url = inject('clusterUrls')[0]!;
      const app = `rs-${randomBytes(4).toString('hex')}`;
      const local = await connect(url);
      const driver = await connect(url, { app });
      const tasks = shardTasks(local.shards);
      const streams = tasks.flatMap((task) =>
        Array.from({ length: STREAMS_PER_MASTER }, (_, n) => {
          const tag = tagIn(task, n);
          return { key: `${app}:s:{${tag}}`, done: `${app}:done:{${tag}}` };
        }),
      );
      const workers = new Map<string, WorkerProcess>();
      const start = async (id: string): Promise<void> => {
        workers.set(id, await startWorker(url, app, id, [], LEASE));
      };
      try {
        await Promise.all(['w0', 'w1', 'w2'].map(start)); // together: one join round, not three
        await until(() => [...workers.values()].reduce((n, w) => n + w.held.size, 0) === 3, 'tasks held', 60_000);
        // Each entry counts itself in a hash beside its stream (same slot, so on the same master).
        const outcome = await runScript(
          driver,
          `GB('StreamReader')
            .foreach((e) => execute('HINCRBY', e.key.replace(':s:', ':done:'), e.value.n, 1))
            .register({ prefix: '${app}:s:*', batch: 50, duration: 20, name: 'count' })`,
        );
        expect(outcome.kind).toBe('register');

        let produced = 0;
        const produce = async (): Promise<void> => {
          while (produced < MESSAGES) {
            const writes: Promise<unknown>[] = [];
            for (let i = 0; i < 100 && produced < MESSAGES; i++, produced++) {
              const stream = streams[produced % streams.length]!;
              writes.push(local.execute('XADD', stream.key, '*', 'n', String(produced)));
            }
            await Promise.all(writes);
            await pause(100);
          }
        };
        const kills: string[] = [];
        const chaos = async (): Promise<void> => {
          while (kills.length < KILLS) {
            await pause(1500 + Math.floor(Math.random() * 1500));
            const holding = [...workers.values()].filter((w) => w.held.size > 0);
            const victim = holding[Math.floor(Math.random() * holding.length)]!;
            victim.child.kill('SIGKILL');
            await victim.exited;
            kills.push(`${victim.id} (held ${[...victim.held].join(', ')}) after ${produced} messages`);
            await pause(Math.floor(Math.random() * 800));
            await start(victim.id);
          }
        };
        await Promise.all([produce(), chaos()]);

        const counted = async (): Promise<Map<number, number>> => {
          const all = new Map<number, number>();
          for (const { done } of streams) {
            const reply = (await local.execute('HGETALL', done)) as string[];
            for (let i = 0; i + 1 < reply.length; i += 2) all.set(Number(reply[i]), Number(reply[i + 1]));
          }
          return all;
        };
        await until(async () => (await counted()).size === MESSAGES, `all ${MESSAGES} messages processed`, 180_000);
        const pendingOf = async (key: string): Promise<number> => {
          const reply = (await local.execute('XPENDING', key, 'rxgears:count')) as [number | string, ...unknown[]];
          return Number(reply[0]);
        };
        await until(
          async () => (await Promise.all(streams.map((s) => pendingOf(s.key)))).every((n) => n === 0),
          'nothing pending',
          60_000,
        );
        const all = await counted();
        const duplicates = [...all.values()].reduce((n, c) => n + (c - 1), 0);
        const twice = [...all.values()].filter((c) => c > 1).length;
        console.log(
          `streams across workers: ${MESSAGES} messages over ${streams.length} streams, kills: ${kills.join('; ')}; ` +
            `every message processed, 0 pending, ${duplicates} duplicate executions (${twice} messages more than once)`,
        );
        expect(kills.length).toBeGreaterThanOrEqual(KILLS);
        expect([...all.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: MESSAGES }, (_, i) => i));
        expect([...all.values()].every((c) => c >= 1)).toBe(true);
      } finally {
        await driver.close();
        await stopWorkers(workers.values());
        for (const { key, done } of streams) await local.execute('DEL', key, done);
        await local.close();
      }
    },
  );
});
