import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LeaseWorker } from '../../../../lib/cluster/leases/LeaseWorker.ts';
import { MemoryStore } from '../../../../lib/store/memory/index.ts';

/**
 * A deterministic simulation of the lease control plane: real `LeaseWorker`s and real ticks on the embedded
 * store, one fake clock for the store's expiry and every worker's clock. fast-check drives joins, kills,
 * pauses (a SIGSTOPped or blocked worker), ticks (one worker, or all at once so their transactions conflict)
 * and clock advances, and checks after every step that no task has two workers holding a valid lease and
 * that epochs only go up; after the churn, every task is owned and the split is balanced within one task.
 */
const LEASE = 900;
const TICK = 300;

interface Sim {
  clock: number;
  store: MemoryStore;
  tasks: string[];
  workers: Map<string, { worker: LeaseWorker; state: 'live' | 'paused' | 'dead' }>;
  /** Task → the last start: epochs go up with every new owner (a worker may re-adopt its own lease). */
  lastEpoch: Map<string, { epoch: number; owner: string }>;
  joined: number;
  failures: string[];
}

function newSim(taskCount: number): Sim {
  const sim: Sim = {
    clock: 1_000_000,
    store: undefined as unknown as MemoryStore,
    tasks: Array.from({ length: taskCount }, (_, i) => `t${String(i).padStart(2, '0')}`),
    workers: new Map(),
    lastEpoch: new Map(),
    joined: 0,
    failures: [],
  };
  sim.store = new MemoryStore({ now: () => sim.clock });
  return sim;
}

function join(sim: Sim): string {
  const id = `w${sim.joined++}`;
  const worker = new LeaseWorker(sim.store, {
    app: 'sim',
    id,
    tasks: sim.tasks,
    leaseMs: LEASE,
    tickMs: TICK,
    now: () => sim.clock,
    start: (task, epoch) => {
      const last = sim.lastEpoch.get(task) ?? { epoch: 0, owner: '' };
      if (epoch < last.epoch || (epoch === last.epoch && id !== last.owner))
        sim.failures.push(`${task}: epoch ${epoch} on ${id} after ${last.epoch} on ${last.owner}`);
      sim.lastEpoch.set(task, { epoch, owner: id });
    },
  });
  sim.workers.set(id, { worker, state: 'live' });
  return id;
}

const live = (sim: Sim) => [...sim.workers.values()].filter((w) => w.state === 'live');

/** Task → workers (not dead) that believe they hold it with a valid lease. */
function owners(sim: Sim): Map<string, string[]> {
  const result = new Map<string, string[]>(sim.tasks.map((t) => [t, []]));
  for (const { worker, state } of sim.workers.values()) {
    if (state === 'dead') continue;
    for (const task of worker.validTasks().keys()) result.get(task)!.push(worker.id);
  }
  return result;
}

function checkSafety(sim: Sim): void {
  for (const [task, held] of owners(sim))
    expect(held.length, `${task} held by ${held.join(', ')}`).toBeLessThanOrEqual(1);
  expect(sim.failures).toEqual([]);
}

/** Every live worker ticks, one after the other or all at once (their transactions then conflict). */
async function round(sim: Sim, concurrent: boolean): Promise<void> {
  sim.clock += TICK;
  const workers = live(sim).map((w) => w.worker);
  if (concurrent) await Promise.all(workers.map((w) => w.tick()));
  else for (const worker of workers) await worker.tick();
}

/** Resumes paused workers and runs rounds until leases of the dead expired and releases went through. */
async function settle(sim: Sim): Promise<void> {
  for (const w of sim.workers.values()) if (w.state === 'paused') w.state = 'live';
  for (let i = 0; i < (3 * LEASE) / TICK + 6; i++) {
    await round(sim, false);
    checkSafety(sim);
  }
}

function assertBalanced(sim: Sim): void {
  const byTask = owners(sim);
  const counts = new Map(live(sim).map((w) => [w.worker.id, 0]));
  for (const [task, held] of byTask) {
    expect(held, `${task} owned once`).toHaveLength(1);
    expect(counts.has(held[0]!), `${task} owned by a live worker`).toBe(true);
    counts.set(held[0]!, counts.get(held[0]!)! + 1);
  }
  const values = [...counts.values()];
  expect(Math.max(...values) - Math.min(...values)).toBeLessThanOrEqual(1);
}

type Command = fc.AsyncCommand<{ joined: number }, Sim>;

const command = (name: string, check: (sim: Sim) => boolean, run: (sim: Sim) => Promise<void> | void): Command => ({
  check: () => true,
  async run(_model, sim) {
    if (!check(sim)) return;
    await run(sim);
    checkSafety(sim);
  },
  toString: () => name,
});

const pick = (sim: Sim, state: 'live' | 'paused', index: number) => {
  const matching = [...sim.workers.values()].filter((w) => w.state === state);
  return matching[index % Math.max(1, matching.length)];
};

const commands = [
  fc.constant(
    command(
      'join',
      (sim) => live(sim).length < 6,
      (sim) => void join(sim),
    ),
  ),
  fc.nat().map((i) =>
    command(
      `kill ${i}`,
      (sim) => live(sim).length > 1,
      (sim) => void (pick(sim, 'live', i)!.state = 'dead'),
    ),
  ),
  fc.nat().map((i) =>
    command(
      `pause ${i}`,
      (sim) => live(sim).length > 1,
      (sim) => void (pick(sim, 'live', i)!.state = 'paused'),
    ),
  ),
  fc.nat().map((i) =>
    command(
      `resume ${i}`,
      (sim) => pick(sim, 'paused', i) !== undefined,
      (sim) => void (pick(sim, 'paused', i)!.state = 'live'),
    ),
  ),
  fc.nat().map((i) =>
    command(
      `tick ${i}`,
      (sim) => live(sim).length > 0,
      async (sim) => void (await pick(sim, 'live', i)!.worker.tick()),
    ),
  ),
  fc.integer({ min: 1, max: LEASE }).map((ms) =>
    command(
      `advance ${ms}`,
      () => true,
      (sim) => void (sim.clock += ms),
    ),
  ),
  fc.boolean().map((concurrent) =>
    command(
      `round${concurrent ? ' (concurrent)' : ''}`,
      () => true,
      (sim) => round(sim, concurrent),
    ),
  ),
];

describe('lease control plane (simulation on the embedded store, fake clock)', () => {
  it('never two valid owners of a task, epochs increase, and balanced within one task after churn', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 3 }),
        fc.commands(commands, { maxCommands: 40 }),
        async (taskCount, initial, cmds) => {
          const sim = newSim(taskCount);
          for (let i = 0; i < initial; i++) join(sim);
          await fc.asyncModelRun(() => ({ model: { joined: initial }, real: sim }), cmds);
          await settle(sim);
          assertBalanced(sim);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('a join moves at most ⌈T/W⌉ tasks', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 5 }), async (taskCount, before) => {
        const sim = newSim(taskCount);
        for (let i = 0; i < before; i++) join(sim);
        await settle(sim);
        assertBalanced(sim);
        const ownerBefore = new Map([...owners(sim)].map(([t, [w]]) => [t, w]));
        join(sim);
        await settle(sim);
        assertBalanced(sim);
        const moved = [...owners(sim)].filter(([t, [w]]) => ownerBefore.get(t) !== w).length;
        expect(moved).toBeLessThanOrEqual(Math.ceil(taskCount / (before + 1)));
      }),
      { numRuns: 60 },
    );
  });

  it('a paused worker stops its tasks by itself once its lease is past, before its next tick', async () => {
    const sim = newSim(2);
    const stops: string[] = [];
    const id = join(sim);
    const paused = sim.workers.get(id)!.worker;
    await paused.tick();
    expect([...paused.validTasks().keys()]).toEqual(['t00', 't01']);
    sim.workers.get(id)!.state = 'paused';
    join(sim);
    sim.clock += LEASE + 1;
    await round(sim, false);
    checkSafety(sim);
    expect(paused.validTasks().size).toBe(0);
    const resumed = new LeaseWorker(sim.store, {
      app: 'sim',
      id,
      tasks: sim.tasks,
      leaseMs: LEASE,
      tickMs: TICK,
      now: () => sim.clock,
      stop: (task, reason) => void stops.push(`${task} ${reason}`),
    });
    for (const [task, held] of paused.held) resumed.held.set(task, held);
    await resumed.tick();
    expect(stops.slice(0, 2)).toEqual(['t00 lost', 't01 lost']);
  });
});
