import { Console } from 'node:console';
import type { Shard } from '../cluster/topology.ts';
import type { RegistrationInfo } from '../engine/Registration.ts';
import type { RegisterOptions } from '../builder/registerOptions.ts';
import type { Plan } from '../builder/plan.ts';
import { runInContext } from '../engine/runtime.ts';
import { formatError, GearsError } from '../errors.ts';
import type { Gears } from '../Gears.ts';
import type { RedisArg, ShardStore } from '../store/ShardStore.ts';
import { buildGear, type GearModule } from './gearModule.ts';
import {
  decodeValue,
  encodeValue,
  FOLLOW_BLOCK_MS,
  pause,
  Pauses,
  readAfterEach,
  type StreamEntry,
} from './protocol.ts';
import {
  COUNTERS,
  entryOptions,
  entryPrior,
  loadEntries,
  parseEntry,
  registryKeys,
  type RegistryEntry,
  type RegistryKeys,
} from './registry.ts';

export interface WorkerRegistrationsOptions {
  gears: Gears;
  app: string;
  workerId: string;
  /** Task ids in shard order. */
  tasks: readonly string[];
  control: ShardStore;
  module?: GearModule;
  allowRequire: boolean;
  leaseMs: number;
  /** The tasks this worker holds now, with their epochs (valid by its own clock). */
  held: () => Map<string, number>;
  log: (line: string) => void;
}

/** What is flushed of a local registration's counters: the values at the last flush. */
type Snapshot = Pick<RegistrationInfo, (typeof COUNTERS)[number] | 'totalRunDurationMS'> & { lagTotal: number };

interface Local {
  entry: RegistryEntry;
  options: RegisterOptions;
  flushed: Snapshot;
}

/**
 * A worker's side of the app's registrations (README "Scaling out", registrations): it loads every stored
 * registration, follows the registrations' change log, builds each plan again (the script's source evaluated
 * here, or a named gear of its module) and registers it in its own engine under the app's id, listening only
 * on the shards whose tasks it holds — a task gained starts listening (`live` written once the subscription is
 * ready), a task lost or given up stops. Counters are flushed to Redis as deltas every tick; trigger calls for
 * the tasks it holds are answered here.
 */
export class WorkerRegistrations {
  private readonly keys: RegistryKeys;
  private readonly local = new Map<string, Local>();
  /** Tasks this worker listens on, with their epoch. */
  private readonly owned = new Map<string, number>();
  private following = false;
  private loops: Promise<void>[] = [];
  /** The loops' waits, ended by `stop()`: a re-plan does not wait out a lease/3. */
  private readonly pauses = new Pauses();
  /** Reconciliations and task changes run one at a time, in order. */
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly options: WorkerRegistrationsOptions) {
    this.keys = registryKeys(options.app);
  }

  /** Loads the stored registrations and follows their changes and the trigger calls. */
  async start(): Promise<void> {
    const { control } = this.options;
    // Loaded before the lease loop starts: compiling the sandbox later would block the event loop past a lease.
    await import('../server/rg/sandbox.ts');
    const last = async (key: string): Promise<string> => {
      const reply = await control.call('XREVRANGE', key, '+', '-', 'COUNT', 1);
      return Array.isArray(reply) && Array.isArray(reply[0]) ? String(reply[0][0]) : '0-0';
    };
    const logFrom = await last(this.keys.log);
    const callsFrom = await last(this.keys.calls);
    const entries = await loadEntries(control, this.keys);
    for (const id of entries.keys()) this.enqueue(() => this.reconcile(id));
    this.following = true;
    this.loops = [
      this.follow([
        { key: this.keys.log, from: logFrom, handle: (f) => this.onLog(f) },
        { key: this.keys.calls, from: callsFrom, handle: (f) => this.onCall(f) },
      ]),
      this.flushLoop(),
    ];
    await this.queue;
  }

  async stop(): Promise<void> {
    this.following = false;
    this.pauses.end();
    await Promise.allSettled(this.loops);
    await this.queue.catch(() => undefined);
    await this.flush().catch(() => undefined);
    for (const id of this.local.keys()) {
      try {
        this.options.gears.unregister(id);
      } catch {
        // gone already
      }
    }
    this.local.clear();
  }

  /** The lease loop gave this worker a task: every registration starts listening on its shard. */
  taskStarted(task: string, epoch: number): void {
    this.owned.set(task, epoch);
    this.enqueue(async () => {
      if (this.owned.get(task) !== epoch) return;
      const shard = this.shardOf(task);
      for (const [id, local] of this.local) {
        await this.runOnRegistered(local, shard);
        await this.options.gears.relisten(id);
        await this.markLive(id, local.entry.version, [task]);
      }
    });
  }

  /**
   * The task is lost (stopped at once) or given up: its listeners stop now — not behind the queue, whose
   * work (a script evaluated) must not hold the lease tick up; given up, the executions its events started
   * finish first (break before make: stream batches are acknowledged before the next owner reads).
   */
  async taskStopped(task: string, reason: 'lost' | 'released'): Promise<void> {
    this.owned.delete(task);
    for (const id of this.local.keys()) await this.options.gears.relisten(id).catch(() => undefined);
    if (reason !== 'released') return;
    const shard = this.shardOf(task);
    const gears = this.options.gears;
    const running = (): number =>
      gears
        .dumpExecutions()
        .filter((e) => e.registered && e.status === 'running' && e.executionId.startsWith(`${shard.id}-`)).length;
    const deadline = performance.now() + this.options.leaseMs / 3;
    while (running() > 0 && performance.now() < deadline) await pause(20);
  }

  private enqueue(work: () => Promise<void>): void {
    this.queue = this.queue
      .then(work)
      .catch((error: unknown) => this.options.log(`registrations: ${formatError(error)}`));
  }

  private shardOf(task: string): Shard {
    const shard = this.options.gears.shards[this.options.tasks.indexOf(task)];
    if (!shard) throw new GearsError(`no shard for task ${task}`);
    return shard;
  }

  private taskOfShard(shard: Shard): string | undefined {
    return this.options.tasks[this.options.gears.shards.indexOf(shard)];
  }

  /**
   * Follows the change log and the calls in one XREAD BLOCK (both keys carry the app's hash tag): an idle worker
   * waits in Redis instead of polling (it polled both every 50 ms: ~40 reads and 10–20 ms of CPU a second per
   * worker, taken from the busy ones on a small machine); a stop is seen within one wait.
   */
  private async follow(
    streams: { key: string; from: string; handle: (fields: Map<string, string>) => void }[],
  ): Promise<void> {
    const keys = streams.map((s) => s.key);
    const lastIds = streams.map((s) => s.from);
    const blockMs = Math.min(FOLLOW_BLOCK_MS, Math.floor(this.options.leaseMs / 3));
    while (this.following) {
      let read: StreamEntry[][];
      try {
        read = await readAfterEach(this.options.control, keys, lastIds, 64, blockMs);
      } catch (error) {
        this.options.log(`reading ${keys.join(', ')} failed: ${formatError(error)}`);
        await this.wait(this.options.leaseMs / 3);
        continue;
      }
      read.forEach((entries, i) => {
        for (const [entryId, fields] of entries) {
          lastIds[i] = entryId;
          if (this.following) streams[i]!.handle(fields);
        }
      });
    }
  }

  private onLog(fields: Map<string, string>): void {
    const id = fields.get('id') ?? '';
    const op = fields.get('op');
    if (op === 'clear') {
      this.enqueue(async () => {
        this.options.gears.clearRegistrationsStats();
        for (const l of this.local.values()) l.flushed = zero();
      });
      return;
    }
    const abortPending = fields.get('abortPending') === '1';
    this.enqueue(() => this.reconcile(id, abortPending));
  }

  /** Brings the local registration `id` to what is stored: registered, paused or not, or gone. */
  private async reconcile(id: string, abortPending = false): Promise<void> {
    const { gears, control } = this.options;
    const entry = parseEntry((await control.call('HGET', this.keys.registrations, id)) as string | null);
    const local = this.local.get(id);
    if (!entry) {
      if (!local) return this.markLive(id, 'del', [...this.owned.keys()]);
      this.local.delete(id);
      await this.flushOne(id, local).catch(() => undefined);
      try {
        gears.unregister(id, { abortPending });
      } catch {
        // gone already
      }
      this.options.log(`unregistered ${id}`);
      return this.markLive(id, 'del', [...this.owned.keys()]);
    }
    if (!local) {
      let built: { plan: Plan; options: RegisterOptions };
      try {
        built = await this.build(entry);
      } catch (error) {
        const why = `${formatError(error)} (on worker ${this.options.workerId})`;
        this.options.log(`registration ${id}: ${why}`);
        const failed = [...this.owned.keys()].flatMap((t) => [t, `!${why}`]);
        if (failed.length > 0) await control.call('HSET', this.keys.live(id), ...failed);
        return;
      }
      const created: Local = { entry, options: built.options, flushed: zero() };
      for (const task of this.owned.keys()) await this.runOnRegistered(created, this.shardOf(task));
      await gears.registerPlaced(built.plan, built.options, {
        id,
        listensOn: (shard) => {
          const task = this.taskOfShard(shard);
          return task !== undefined && this.owned.has(task);
        },
        consumer: (shard) => `rxg:${this.options.app}:${this.taskOfShard(shard) ?? shard.id}`,
      });
      this.local.set(id, created);
      this.options.log(`registered ${id} (${entry.reader})`);
    } else local.entry = entry;
    const paused = gears.dumpRegistrations().find((r) => r.id === id)?.status === 'PAUSED';
    if (entry.status === 'PAUSED' && !paused) gears.pauseRegistrations([id]);
    if (entry.status === 'OK' && paused) gears.unpauseRegistrations([id]);
    await this.markLive(id, entry.version, [...this.owned.keys()]);
  }

  /** onRegistered, in the runtime context of the shard, when a task starts a registration. */
  private async runOnRegistered(local: Local, shard: Shard): Promise<void> {
    const onRegistered = local.options.onRegistered;
    if (typeof onRegistered !== 'function') return;
    try {
      await runInContext({ engine: this.options.gears, shard, executionId: undefined }, async () => onRegistered());
    } catch (error) {
      this.options.log(`registration ${local.entry.id}: onRegistered failed on ${shard.id}: ${formatError(error)}`);
    }
  }

  /** Says the tasks listen at `version`, for those whose lease this worker still holds at the same epoch. */
  private async markLive(id: string, version: number | 'del', tasks: readonly string[]): Promise<void> {
    const held = this.options.held();
    const fields: RedisArg[] = [];
    for (const task of tasks) {
      const epoch = held.get(task);
      if (epoch !== undefined && this.owned.get(task) === epoch)
        fields.push(task, `${this.options.workerId}:${epoch}:${version}`);
    }
    if (fields.length > 0) await this.options.control.call('HSET', this.keys.live(id), ...fields);
  }

  /** The plan and options of a stored registration, built here. */
  private async build(entry: RegistryEntry): Promise<{ plan: Plan; options: RegisterOptions }> {
    const { gears } = this.options;
    const shipped = entryOptions(entry) as RegisterOptions;
    if (entry.origin.kind === 'gear') {
      const { name, fingerprint } = entry.origin;
      if (!this.options.module)
        throw new GearsError(`worker ${this.options.workerId} loads no gear module (--gears), so no gear '${name}'`);
      const built = buildGear(this.options.module, name, gears.GB);
      if (built.fingerprint !== fingerprint)
        throw new GearsError(`gear '${name}' differs on worker ${this.options.workerId}`);
      return { plan: built.plan, options: shipped };
    }
    return this.evaluate(entry, entry.origin);
  }

  /**
   * Evaluates the registration's script here: its register call numbered `origin.index` gives the plan (with
   * this worker's closures, one copy per shard) and the options (callbacks included). Earlier runs answer
   * with the results the driver got; every other action is refused.
   */
  private async evaluate(
    entry: RegistryEntry,
    origin: Extract<RegistryEntry['origin'], { kind: 'script' }>,
  ): Promise<{ plan: Plan; options: RegisterOptions }> {
    const { gears } = this.options;
    const { runScript } = await import('../server/rg/sandbox.ts');
    const prior = entryPrior(entry);
    let captured: { plan: Plan; options: RegisterOptions } | undefined;
    const engine = new Proxy(gears, {
      get(target, property) {
        if (property === 'run')
          return (plan: Plan) => {
            const index = plan.origin?.kind === 'script' ? plan.origin.index : -1;
            if (index < origin.index && prior[index]) return Promise.resolve(`prior:${index}`);
            return Promise.reject(new GearsError('not this registration'));
          };
        if (property === 'register')
          return (plan: Plan, options: RegisterOptions = {}) => {
            const index = plan.origin?.kind === 'script' ? plan.origin.index : -1;
            if (index === origin.index) captured = { plan, options };
            return index <= origin.index
              ? Promise.resolve(index === origin.index ? entry.id : `other:${index}`)
              : Promise.reject(new GearsError('not this registration'));
          };
        if (property === 'getResultsBlocking' || property === 'getResults')
          return (runId: string) => {
            const results = runId.startsWith('prior:') ? prior[Number(runId.slice(6))] : undefined;
            return Promise.resolve({ results: [...(results ?? [])], errors: [] });
          };
        if (property === 'dropExecution' || property === 'unregister') return () => undefined;
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    await runScript(engine, origin.source, {
      allowRequire: this.options.allowRequire,
      ...(origin.filename !== undefined ? { filename: origin.filename } : {}),
      ...(origin.description !== undefined ? { description: origin.description } : {}),
      console: quietConsole,
    }).catch(() => undefined);
    if (!captured) throw new GearsError(`the script did not make register call number ${origin.index}`);
    const { plan, options } = captured;
    return { plan, options: { ...options } };
  }

  private async flushLoop(): Promise<void> {
    const every = Math.max(50, Math.floor(this.options.leaseMs / 3));
    while (this.following) {
      await this.wait(every);
      if (!this.following) return; // stop() flushes
      await this.flush().catch((error: unknown) => this.options.log(`flushing stats: ${formatError(error)}`));
    }
  }

  /** `ms`, or until `stop()`. */
  private wait(ms: number): Promise<void> {
    return this.pauses.pause(ms);
  }

  private async flush(): Promise<void> {
    for (const [id, local] of this.local) await this.flushOne(id, local);
  }

  /** The counters since the last flush, added to the registration's stats in Redis. */
  private async flushOne(id: string, local: Local): Promise<void> {
    const info = this.options.gears.dumpRegistrations().find((r) => r.id === id);
    if (!info) return;
    const now: Snapshot = {
      numTriggered: info.numTriggered,
      numSuccess: info.numSuccess,
      numFailures: info.numFailures,
      numAborted: info.numAborted,
      totalRunDurationMS: info.totalRunDurationMS,
      lagTotal: (info.avgEstimatedLagMS ?? 0) * info.numTriggered,
    };
    const before = local.flushed;
    if (now.numTriggered < before.numTriggered) local.flushed = zero();
    const key = this.keys.stats(id);
    const calls: Promise<unknown>[] = [];
    const store = this.options.control;
    let changed = false;
    for (const field of COUNTERS) {
      const delta = now[field] - local.flushed[field];
      if (delta !== 0) {
        changed = true;
        calls.push(store.call('HINCRBY', key, field, delta));
      }
    }
    if (!changed && info.status === 'OK') return;
    const duration = now.totalRunDurationMS - local.flushed.totalRunDurationMS;
    if (duration !== 0) calls.push(store.call('HINCRBYFLOAT', key, 'totalRunDurationMS', duration));
    const lag = now.lagTotal - local.flushed.lagTotal;
    if (info.lastEstimatedLagMS !== undefined && changed) {
      calls.push(store.call('HINCRBYFLOAT', key, 'lagTotalMS', lag));
      calls.push(store.call('HINCRBY', key, 'lagSamples', now.numTriggered - local.flushed.numTriggered));
      calls.push(store.call('HSET', key, 'lastEstimatedLagMS', info.lastEstimatedLagMS));
    }
    const fields: RedisArg[] = ['lastRunDurationMS', info.lastRunDurationMS];
    if (info.lastError !== null) fields.push('lastError', info.lastError);
    fields.push(`status:${this.options.workerId}`, info.status === 'PAUSED' ? 'OK' : info.status);
    calls.push(store.call('HSET', key, ...fields));
    local.flushed = now;
    await Promise.all(calls);
  }

  /** A trigger call or a hooked command (`hook`): answered when this worker holds the task it names. */
  private onCall(fields: Map<string, string>): void {
    const task = fields.get('task');
    const req = fields.get('req');
    const name = fields.get('name');
    if (task === undefined || req === undefined || name === undefined) return;
    if (!this.options.held().has(task) || !this.owned.has(task)) return;
    const key = fields.get('key');
    const args = decodeValue(fields.get('args') ?? encodeValue([])) as unknown[];
    const { gears, control } = this.options;
    const answer = (value: unknown): Promise<unknown> =>
      control
        .call('RPUSH', this.keys.reply(req), encodeValue(value))
        .then(() => control.call('PEXPIRE', this.keys.reply(req), 60_000));
    const hook = fields.get('hook');
    const work: Promise<unknown> =
      hook !== undefined
        ? gears
            .runHook(name, args.map(String), { inTransaction: hook === 'tx' })
            .then((result) => ({ hook: result ?? null }))
        : (key === undefined ? gears.trigger(name, ...args) : gears.triggerOnKey(name, key, ...args)).then(
            (results) => ({ results }),
          );
    void work
      .then(answer, (error: unknown) => answer({ error: error instanceof Error ? error.message : String(error) }))
      .catch((error: unknown) => this.options.log(`answering ${name}: ${formatError(error)}`));
  }
}

const zero = (): Snapshot => ({
  numTriggered: 0,
  numSuccess: 0,
  numFailures: 0,
  numAborted: 0,
  totalRunDurationMS: 0,
  lagTotal: 0,
});

const quietConsole = new Console({ stdout: process.stderr, stderr: process.stderr });
