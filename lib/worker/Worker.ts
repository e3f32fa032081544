import { Console } from 'node:console';
import { hostname } from 'node:os';
import { RedisTransport } from '../cluster/exchange/RedisTransport.ts';
import { parseLease } from '../cluster/leases/decide.ts';
import { isLaterPiece, splitShards } from '../cluster/pieces.ts';
import type { Shard, Topology } from '../cluster/topology.ts';
import { controlShard, shardTasks } from '../cluster/leases/tick.ts';
import type { Execution, RunResult } from '../engine/Execution.ts';
import type { Plan } from '../builder/plan.ts';
import { formatError, GearsError } from '../errors.ts';
import type { Gears } from '../Gears.ts';
import type { ShardStore } from '../store/ShardStore.ts';
import { buildGear, type GearModule } from './gearModule.ts';
import { LeaseLoop } from './LeaseLoop.ts';
import {
  appendExpiring,
  encodeValue,
  markAborted,
  parseDescriptor,
  FOLLOW_BLOCK_MS,
  pause,
  Pauses,
  idlePause,
  readAfter,
  runKeys,
  storeForKey,
  type RunDescriptor,
  type RunKeys,
  type StreamEntry,
} from './protocol.ts';
import { WorkerRegistrations } from './registrations.ts';
import { runPart } from './runPart.ts';
import { topologyChange } from './topologyChange.ts';

export interface WorkerOptions {
  /** The engine on the app's Redis (its topology, stores, and `execute()` for the gears' callbacks). */
  gears: Gears;
  app: string;
  /** Stable across restarts to get its own tasks back first (default `<host>-<pid>`). */
  id?: string;
  /** Named gears drivers may run (`--gears FILE`). */
  module?: GearModule;
  /**
   * Tasks per master (default 1): each master's slots split into this many tasks, so work balances over more
   * workers than masters. Drivers must use the same (`connect(url, { app, tasksPerMaster })`).
   */
  tasksPerMaster?: number;
  /** Lease time to live, ms (default 10 000); ticks every lease/3. */
  leaseMs?: number;
  /** Scripts get `require`, `process` and `import()` (`--allow-require`). */
  allowRequire?: boolean;
  /** Where the worker says what it does (default: nowhere). */
  log?: (line: string) => void;
}

/** Records per results entry. */
const RESULT_BATCH = 256;
const RESULTS_TTL_MS = 600_000;

/** Ends a script's evaluation on a worker once the part it was evaluated for is done. */
class PartFinished extends Error {}

interface RunningPart {
  id: string;
  /** The plan its tasks were claimed under. */
  layout: Layout;
  tasks: string[];
  execution: Execution;
}

/** The tasks a worker plans from the masters it read (`GearsWorker.plan`). */
interface Layout {
  /** The engine's masters they were planned from (a snapshot: a refresh makes a new array). */
  masters: readonly Shard[];
  /** The shards tasks run on: the masters, or their parts with `tasksPerMaster`, in task order. */
  pieces: readonly Shard[];
  /** `pieces` as a fixed topology, for the parts run under this plan. */
  topology: Topology;
  tasks: string[];
  masterTasks: string[];
  /** The store of the app's control keys. */
  control: ShardStore;
  loop: LeaseLoop;
  registrations: WorkerRegistrations;
}

/**
 * A worker process's engine room (`rxgears worker`): holds leases on the app's tasks (one per master), follows
 * the app's run log, claims the tasks it holds for each new run (checked against its lease in one
 * transaction), builds the run's plan again (a script's source evaluated here, or a named gear of its module,
 * refused when its fingerprint differs), runs its part through the Redis exchange, and writes its end — and the
 * results, when it runs the initiator — to the run's results stream. A part stops when the run is aborted,
 * when its driver is gone, or when the worker lost the lease of one of its tasks (README "Scaling out").
 */
export class GearsWorker {
  readonly id: string;
  private readonly keys: RunKeys;
  private readonly leaseMs: number;
  private readonly parts = new Set<RunningPart>();
  private readonly handling = new Set<Promise<void>>();
  private following = false;
  private stopped = false;
  private followed: Promise<void> = Promise.resolve();
  private watched: Promise<void> = Promise.resolve();
  private readonly log: (line: string) => void;
  /** The tasks planned from the masters as last read, with their lease loop and registrations. */
  private layout: Layout;
  /** Tasks of earlier layouts (a run announced with them started before a topology change), and that change. */
  private readonly replaced = new Map<string, string>();
  /** A topology check (and re-plan) under way: one at a time. */
  private checking: Promise<boolean> | undefined;
  /** Waits of a lease/3, ended by `stop()`. */
  private readonly pauses = new Pauses();

  constructor(private readonly options: WorkerOptions) {
    const { app } = options;
    this.keys = runKeys(app);
    this.id = options.id ?? `${hostname()}-${process.pid}`;
    if (!/^[\w.-]+$/.test(this.id))
      throw new GearsError(`worker id '${this.id}' must be letters, digits, '_', '.' or '-'`);
    this.leaseMs = options.leaseMs ?? 10_000;
    this.log = options.log ?? (() => undefined);
    this.layout = this.plan();
  }

  /** The task ids this worker plans with now (the masters as last read), in shard order. */
  get tasks(): string[] {
    return this.layout.tasks;
  }

  private get control(): ShardStore {
    return this.layout.control;
  }

  /**
   * Tasks from the masters the engine reads now: a lease loop over them and the registrations on their
   * masters, neither started yet.
   */
  private plan(): Layout {
    const { gears, app } = this.options;
    const masters = gears.topology.shards;
    const pieces = splitShards(masters, this.options.tasksPerMaster ?? 1);
    const tasks = shardTasks(pieces);
    // The task of each master's first part: registrations run on its owner (one listener per master).
    const masterTasks = shardTasks(pieces.filter((shard) => !isLaterPiece(shard)));
    const control = controlShard(masters, app).store;
    const topology: Topology = {
      kind: gears.topology.kind,
      shards: pieces,
      refresh: () => gears.topology.refresh(),
      close: () => gears.topology.close(),
    };
    const layout = { masters, pieces, topology, tasks, masterTasks, control } as Layout;
    const shardOf = (task: string): string => pieces[tasks.indexOf(task)]?.id ?? '?';
    layout.loop = new LeaseLoop(control, {
      app,
      id: this.id,
      tasks,
      leaseMs: this.leaseMs,
      // In the app's `workers` hash while this worker heartbeats (drivers read the longest lease there).
      info: JSON.stringify({
        leaseMs: this.leaseMs,
        tasksPerMaster: this.options.tasksPerMaster ?? 1,
        host: hostname(),
        pid: process.pid,
        gears: Object.keys(this.options.module?.gears ?? {}),
      }),
      start: (task, epoch) => {
        this.log(`holds ${task} at epoch ${epoch}`);
        if (masterTasks.includes(task)) layout.registrations.taskStarted(task, epoch);
      },
      stop: async (task, reason) => {
        this.log(`${reason === 'lost' ? 'lost' : 'gives up'} ${task}`);
        if (masterTasks.includes(task)) await layout.registrations.taskStopped(task, reason);
        // A part already claimed goes on after a hand-over (its claim stays this worker's); a lost lease means
        // this worker was frozen past it, and others may run the task by now: its parts stop.
        if (reason === 'lost')
          for (const part of this.parts)
            if (part.layout === layout && part.tasks.includes(task))
              part.execution.abort(`worker ${this.id} lost shard ${shardOf(task)} (task ${task})`);
      },
      onError: (error) => this.log(`tick failed: ${formatError(error)}`),
    });
    layout.registrations = new WorkerRegistrations({
      gears,
      app,
      workerId: this.id,
      tasks: masterTasks,
      control,
      ...(this.options.module ? { module: this.options.module } : {}),
      allowRequire: this.options.allowRequire ?? false,
      leaseMs: this.leaseMs,
      held: () => layout.loop.worker.validTasks(),
      log: this.log,
    });
    return layout;
  }

  /** Joins the app: leases, then the run log from now on. */
  async start(): Promise<void> {
    const { gears } = this.options;
    // Runs announced in the last lease may still wait for a claim of a task this worker is about to hold.
    const [seconds, micros] = (await this.control.call('TIME')) as [string, string];
    const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    await this.layout.registrations.start();
    this.layout.loop.start();
    this.following = true;
    this.followed = this.follow(`${now - this.leaseMs}-0`);
    this.watched = this.watchTopology();
    this.log(`worker ${this.id} of app '${this.options.app}' on ${gears.shards.length} shard(s)`);
  }

  /** Leaves: stops following, aborts the parts still running, hands the leases back. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.following = false;
    this.pauses.end();
    for (const part of this.parts) part.execution.abort(`worker ${this.id} stopped`);
    await this.followed;
    await this.watched;
    await this.checking?.catch(() => undefined);
    await Promise.allSettled([...this.handling]);
    await this.layout.loop.stop();
    await this.layout.registrations.stop();
  }

  /** Every tick: whether the cluster's slots still have the owners this worker planned with. */
  private async watchTopology(): Promise<void> {
    const tickMs = Math.max(10, Math.floor(this.leaseMs / 3));
    while (this.following) {
      await this.pauses.pause(tickMs);
      if (!this.following) return;
      await this.checkTopology().catch((error: unknown) =>
        this.log(`reading the cluster's topology failed: ${formatError(error)}`),
      );
    }
  }

  /**
   * Compares the masters this worker planned with against the cluster's slot owners now (`CLUSTER SLOTS`);
   * after a change (slots moved, a master added or gone, a failover) it re-plans: the tasks of the old plan
   * are stopped and their leases handed back (the worker stays a live member, and parts already running go
   * on: their driver fails them, naming the change), the engine re-reads the masters, and a new lease loop
   * takes tasks of the new plan, under new epochs — no restart. True when it re-planned.
   */
  private checkTopology(): Promise<boolean> {
    this.checking ??= (async () => {
      const layout = this.layout;
      const change = await topologyChange(this.options.gears.topology, layout.masters);
      if (change === undefined || this.stopped) return false;
      this.log(`${change}: re-plans its tasks`);
      // The old plan's control master may be a replica now (a failover): what cannot be handed back there
      // lapses with its lease (or is taken again under the new plan, the same worker), and the re-plan goes on.
      await layout.loop
        .stop({ stays: true })
        .catch((error: unknown) => this.log(`handing back the old plan's leases failed: ${formatError(error)}`));
      await layout.registrations
        .stop()
        .catch((error: unknown) => this.log(`stopping the old plan's registrations failed: ${formatError(error)}`));
      await this.options.gears.refreshCluster();
      for (const task of layout.tasks) this.replaced.set(task, change);
      const next = this.plan();
      this.layout = next;
      if (this.stopped) return true;
      await next.registrations.start();
      next.loop.start();
      this.log(`plans tasks ${next.tasks.join(', ')}`);
      return true;
    })().finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async follow(from: string): Promise<void> {
    let lastId = from;
    // Waits for a run in XREAD BLOCK (no polling while idle); a stop is seen within one wait.
    const blockMs = Math.min(FOLLOW_BLOCK_MS, Math.floor(this.leaseMs / 3));
    while (this.following) {
      let entries: StreamEntry[];
      try {
        entries = await readAfter(this.control, this.keys.runs, lastId, 64, blockMs);
      } catch (error) {
        this.log(`reading runs failed: ${formatError(error)}`);
        await this.pauses.pause(this.leaseMs / 3);
        continue;
      }
      for (const [entryId, fields] of entries) {
        lastId = entryId;
        const id = fields.get('id');
        if (id === undefined || !this.following) continue;
        const handled = this.handle(id).catch((error: unknown) => this.log(`run ${id}: ${formatError(error)}`));
        this.handling.add(handled);
        void handled.finally(() => this.handling.delete(handled));
      }
    }
  }

  /** One announced run: claim what this worker holds, then run that part. */
  private async handle(id: string): Promise<void> {
    const key = this.keys.execution(id);
    const tickMs = Math.max(10, Math.floor(this.leaseMs / 3));
    const mine = new Map<string, number>();
    let descriptor: RunDescriptor | undefined;
    let layout = this.layout;
    let wait = 2;
    // Claims: every task this worker holds, until every task is claimed (by anyone) or the run ends.
    for (;;) {
      descriptor = parseDescriptor(await this.control.call('HGETALL', key));
      if (!descriptor || descriptor.status !== 'running') return;
      if (mine.size === 0) layout = this.layout;
      const masters = layout.pieces.map((s) => s.id);
      const otherMasters =
        descriptor.masters !== undefined && JSON.stringify(descriptor.masters) !== JSON.stringify(masters);
      if (otherMasters || JSON.stringify(descriptor.tasks) !== JSON.stringify(layout.tasks)) {
        // The driver planned from other masters: this worker looks again at the cluster (and re-plans).
        if (mine.size === 0 && (await this.checkTopology())) continue;
        if (otherMasters && JSON.stringify(descriptor.tasks) === JSON.stringify(layout.tasks)) {
          await markAborted(
            this.control,
            this.keys,
            id,
            `worker ${this.id} and the driver see other masters for tasks ${layout.tasks.join(', ')} ` +
              `(${masters.map((m) => m.slice(0, 12)).join(', ')} here): the cluster is changing (a failover); run it again`,
          );
          return;
        }
        const change = descriptor.tasks.map((t) => this.replaced.get(t)).find((c) => c !== undefined);
        await markAborted(
          this.control,
          this.keys,
          id,
          change !== undefined && descriptor.tasks.every((t) => this.replaced.has(t))
            ? `${change}, before execution ${id} could run: workers re-planned their tasks; run it again`
            : `worker ${this.id} has other tasks (${layout.tasks.join(', ')}) than the driver (${descriptor.tasks.join(', ')}): ` +
                'do both see the same masters, with the same tasksPerMaster?',
        );
        return;
      }
      const held = layout.loop.worker.validTasks();
      for (const task of descriptor.tasks) {
        const epoch = held.get(task);
        if (descriptor.claims.has(task) || epoch === undefined) continue;
        if (await this.claim(layout, key, task, epoch)) {
          mine.set(task, epoch);
          descriptor.claims.set(task, { worker: this.id, epoch });
        }
      }
      if (descriptor.claims.size === descriptor.tasks.length) break;
      // The driver decides when a shard waited too long for a claim (it aborts the run).
      if (this.stopped) {
        if (mine.size > 0) await this.writeDone(id, [...mine.keys()], [`worker ${this.id} stopped`]);
        return;
      }
      // The other workers claim within a few ms of the same announcement: a flat 50 ms pause here started
      // every run on more than one worker ~50 ms late (workload 11). Backs off to 50 ms for a task in handover.
      await pause(Math.min(tickMs, wait));
      wait = Math.min(wait * 2, 50);
    }
    if (mine.size === 0) return;
    const tasks = [...mine.keys()];
    this.log(`run ${id}: runs ${tasks.join(', ')}`);
    let result: RunResult<unknown>;
    try {
      result = await this.runPart(layout, id, descriptor, tasks);
    } catch (error) {
      // The plan could not be built here: the whole run fails with why.
      const message = formatError(error);
      const reason = message.includes(`worker ${this.id}`) ? message : `${message} (on worker ${this.id})`;
      await markAborted(this.control, this.keys, id, reason);
      result = { results: [], errors: [reason] };
    }
    await this.writeResults(id, result.results);
    await this.writeDone(id, tasks, result.errors);
    this.log(
      `run ${id}: ended, ${result.results.length} results, ${result.errors.length} errors${result.errors.length ? ` (last: ${result.errors.at(-1)})` : ''}`,
    );
    // A key answered by another master than planned: the topology moved under this worker.
    if (result.errors.some((e) => /\b(MOVED|ASK) \d+ /.test(e)))
      void this.checkTopology().catch((error: unknown) =>
        this.log(`reading the cluster's topology failed: ${formatError(error)}`),
      );
  }

  /** Claims a task for a run, if this worker's lease on it still reads `<self>:<epoch>`. */
  private async claim(layout: Layout, key: string, task: string, epoch: number): Promise<boolean> {
    const leaseKey = this.keys.lease(task);
    for (let attempt = 0; attempt < 8; attempt++) {
      const tx = await layout.control.transaction();
      const lease = parseLease((await tx.read([leaseKey], 'GET', [leaseKey])) as string | null);
      if (!lease || lease.owner !== this.id || lease.epoch !== epoch) {
        await tx.discard();
        return false;
      }
      const replies = await tx.commit([['HSETNX', key, `claim:${task}`, `${this.id}:${epoch}`]]);
      if (replies !== null) return Number(replies[0]) === 1;
    }
    return false;
  }

  /** Builds the run's plan here and runs the claimed tasks' part; resolves with its results and errors. */
  private async runPart(
    layout: Layout,
    id: string,
    descriptor: RunDescriptor,
    tasks: string[],
  ): Promise<RunResult<unknown>> {
    const { gears } = this.options;
    const epochs = descriptor.tasks.map((t) => descriptor.claims.get(t)!.epoch);
    const owned = tasks.map((t) => layout.tasks.indexOf(t));
    const transport = new RedisTransport({
      storeFor: storeForKey(gears.shards),
      streamKey: this.keys.exchange,
      epochOf: (shard) => epochs[shard] ?? 0,
      acceptEpoch: (shard) => epochs[shard],
    });
    const start = (plan: Plan, arg: unknown, options: Record<string, unknown>): Execution => {
      const { collect: _c, mode: _m, unblocking: _u, initiator: _i, ...readerOptions } = options;
      return runPart({
        executionId: id,
        plan,
        arg: descriptor.arg ? descriptor.arg.value : arg,
        readerOptions: { ...readerOptions, ...descriptor.options },
        topology: layout.topology,
        engine: gears,
        owned,
        transport,
      });
    };
    if (descriptor.origin.kind === 'gear') {
      const { name, fingerprint } = descriptor.origin;
      if (!this.options.module)
        throw new GearsError(`worker ${this.id} loads no gear module (--gears), so no gear '${name}'`);
      const built = buildGear(this.options.module, name, gears.GB);
      if (built.fingerprint !== fingerprint) throw new GearsError(`gear '${name}' differs on worker ${this.id}`);
      return this.watch(layout, id, tasks, start(built.plan, undefined, {}));
    }
    return this.runScriptPart(layout, id, descriptor, descriptor.origin, tasks, start);
  }

  /**
   * Evaluates the run's script here, as the driver did: the call numbered `origin.index` starts this part (the
   * worker's own copies of the script give each shard its closures); earlier runs answer with the results the
   * driver got; every other action of the script is refused, and the evaluation is cut short once the part is done.
   */
  private async runScriptPart(
    layout: Layout,
    id: string,
    descriptor: RunDescriptor,
    origin: Extract<RunDescriptor['origin'], { kind: 'script' }>,
    tasks: string[],
    start: (plan: Plan, arg: unknown, options: Record<string, unknown>) => Execution,
  ): Promise<RunResult<unknown>> {
    const { gears } = this.options;
    const { runScript } = await import('../server/rg/sandbox.ts');
    let resolvePart!: (result: RunResult<unknown>) => void;
    let rejectPart!: (error: unknown) => void;
    const partResult = new Promise<RunResult<unknown>>((resolve, reject) => {
      resolvePart = resolve;
      rejectPart = reject;
    });
    let started = false;
    const run = async (plan: Plan, arg: unknown, options: Record<string, unknown>): Promise<string> => {
      const index = plan.origin?.kind === 'script' ? plan.origin.index : -1;
      if (index < origin.index && descriptor.prior[index]) return `prior:${index}`;
      if (index !== origin.index || started) throw new PartFinished('not this part');
      started = true;
      const execution = this.watch(layout, id, tasks, start(plan, arg, options));
      resolvePart(await execution);
      throw new PartFinished('part done');
    };
    const engine = new Proxy(gears, {
      get(target, property) {
        if (property === 'run') return run;
        if (property === 'register') return () => Promise.reject(new PartFinished('no registrations on a worker'));
        if (property === 'getResultsBlocking' || property === 'getResults')
          return (runId: string) => {
            const prior = runId.startsWith('prior:') ? descriptor.prior[Number(runId.slice(6))] : undefined;
            if (prior) return Promise.resolve({ results: [...prior], errors: [] });
            return Reflect.get(target, property, target)(runId);
          };
        if (property === 'dropExecution')
          return (runId: string) => (runId.startsWith('prior:') ? undefined : target.dropExecution(runId));
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const evaluation = runScript(engine, origin.source, {
      allowRequire: this.options.allowRequire ?? false,
      ...(origin.filename !== undefined ? { filename: origin.filename } : {}),
      ...(origin.description !== undefined ? { description: origin.description } : {}),
      console: quietConsole,
    });
    evaluation.then(
      () => rejectPart(new GearsError(`the script did not start run number ${origin.index} on worker ${this.id}`)),
      (error: unknown) => {
        if (!started)
          rejectPart(
            error instanceof PartFinished
              ? new GearsError(`the script did not start run number ${origin.index} on worker ${this.id}`)
              : error,
          );
      },
    );
    return partResult;
  }

  /** Tracks a running part: aborted when the run is aborted elsewhere or its driver is gone. Resolves with its result. */
  private async watch(layout: Layout, id: string, tasks: string[], execution: Execution): Promise<RunResult<unknown>> {
    const part: RunningPart = { id, layout, tasks, execution };
    this.parts.add(part);
    const tickMs = Math.max(10, Math.floor(this.leaseMs / 3));
    let finished = false;
    void execution.done.then(() => (finished = true));
    const check = async (): Promise<void> => {
      while (!finished) {
        await Promise.race([idlePause(tickMs), execution.done]);
        if (finished) return;
        const [status, reason] = (await this.control.call('HMGET', this.keys.execution(id), 'status', 'reason')) as (
          string | null
        )[];
        const driver = await this.control.call('EXISTS', this.keys.driver(id));
        if (finished) return;
        if (status === 'aborted') execution.abort(reason ?? 'Execution aborted');
        else if (status !== 'running') execution.abort(`execution ${id} is gone`);
        else if (Number(driver) === 0) {
          const why = `the driver of execution ${id} is gone`;
          await markAborted(this.control, this.keys, id, why);
          execution.abort(why);
        }
      }
    };
    check().catch((error: unknown) => execution.abort(`worker ${this.id} cannot reach Redis: ${formatError(error)}`));
    try {
      await execution.done;
      // Whatever stopped this part (a lost lease, an abort marker, Redis), the run is over for everyone.
      if (execution.status === 'aborted')
        await markAborted(this.control, this.keys, id, execution.errors.at(-1) ?? 'Execution aborted').catch(
          () => undefined,
        );
      return execution.result();
    } finally {
      this.parts.delete(part);
    }
  }

  private async writeResults(id: string, results: readonly unknown[]): Promise<void> {
    const out = this.keys.out(id);
    const store = storeForKey(this.options.gears.shards)(out);
    for (let i = 0; i < results.length; i += RESULT_BATCH)
      await appendExpiring(
        store,
        out,
        ['w', this.id, 'r', encodeValue(results.slice(i, i + RESULT_BATCH))],
        RESULTS_TTL_MS,
      );
  }

  private async writeDone(id: string, tasks: string[], errors: readonly string[]): Promise<void> {
    const out = this.keys.out(id);
    const store = storeForKey(this.options.gears.shards)(out);
    const fields = ['w', this.id, 'done', JSON.stringify(tasks), 'errors', JSON.stringify(errors)];
    await appendExpiring(store, out, fields, RESULTS_TTL_MS);
  }
}

const quietConsole = new Console({ stdout: process.stderr, stderr: process.stderr });
