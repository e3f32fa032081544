import { defer, from, mergeMap, Observable, throwError } from 'rxjs';
import { GearsBuilder } from '../builder/GearsBuilder.ts';
import type { RunOptions } from '../builder/readerTypes.ts';
import { shardTasks } from '../cluster/leases/tick.ts';
import { controlShard } from '../cluster/leases/tick.ts';
import { isLaterPiece, splitShards } from '../cluster/pieces.ts';
import type { Shard, Topology } from '../cluster/topology.ts';
import { Execution, type ExecutionInfo, type RunResult } from '../engine/Execution.ts';
import { ExecutionRegistry, type ExecutionCommands, type ExecutionSummary } from '../engine/ExecutionRegistry.ts';
import { readerFor, validateRun } from '../engine/options.ts';
import type { Plan } from '../builder/plan.ts';
import type { RegisterOptions } from '../builder/registerOptions.ts';
import type { RegistrationInfo } from '../engine/Registration.ts';
import { DriverRegistry } from './driverRegistrations.ts';
import { topologyChange } from './topologyChange.ts';
import { ABORTED_BY_COMMAND, ExecutionDirectory, LISTED_TTL_MS } from './executions.ts';
import { executionSteps } from '../engine/runPlan.ts';
import { ExecutionFailedError, formatError, GearsError, RedisReplyError } from '../errors.ts';
import { Gears, type GearsOptions, type RunHookOptions } from '../Gears.ts';
import type { ShardStore } from '../store/ShardStore.ts';
import { buildGear, isGearModule, type GearModule } from './gearModule.ts';
import {
  appLeaseMs,
  decodeValue,
  descriptorFields,
  markAborted,
  parseDescriptor,
  FOLLOW_BLOCK_MS,
  pause,
  idlePause,
  readAfter,
  runKeys,
  storeForKey,
  type RunDescriptor,
  type RunKeys,
} from './protocol.ts';

/** `connect(url, { app })`: what makes a process a driver of an app's workers. */
export interface DriverOptions {
  /**
   * Run on the workers of this app (`rxgears worker --app NAME`) instead of in this process. Needs Redis.
   * Only gears that can ship run: source text (`RG.JSEXECUTE`, `runScript`) and named gears of `gears`.
   */
  app?: string;
  /** The gear module the app's workers load (`defineGears`); `gears.gear(name)` builds one of its gears. */
  gears?: GearModule;
  /**
   * Tasks per master (default 1), as the app's workers were started with (`rxgears worker --tasks-per-master`):
   * each master's slots split into this many tasks, so a run's work balances over more workers than masters.
   */
  tasksPerMaster?: number;
}

/**
 * `connect(url, { app, gears })`'s engine: a driver of the app's workers. Checks the options first (closing the
 * topology when they are wrong).
 */
export async function createDriver(topology: Topology, options: GearsOptions, driver: DriverOptions): Promise<Gears> {
  try {
    if (typeof driver.app !== 'string')
      throw new GearsError("connect(): 'gears' needs 'app' (the workers that load them)");
    if (driver.gears !== undefined && !isGearModule(driver.gears))
      throw new GearsError("connect(): 'gears' must be a gear module (defineGears)");
    runKeys(driver.app); // checks the name
    if (driver.tasksPerMaster !== undefined) splitShards(topology.shards, driver.tasksPerMaster); // checks it
    return new DriverGears(topology, options, { ...driver, app: driver.app });
  } catch (error) {
    await topology.close();
    throw error;
  }
}

/** Lease assumed until a worker of the app said otherwise (`rxgears worker`'s default). */
const DEFAULT_LEASE_MS = 10_000;
/** How long the hash and the results of a finished execution stay in Redis, ms. */
const RESULTS_TTL_MS = 60_000;
/** A running execution's hash outlives its last refresh by this much, ms (a driver killed mid-run leaves nothing). */
const RUNNING_TTL_MS = 600_000;

/**
 * An engine whose `run()` goes to the app's worker processes (README "Scaling out"): it writes the run's
 * descriptor to Redis, announces it on the app's run log, and reads the results the initiator's worker writes
 * back. A watchdog, every lease/3: keeps the driver's own liveness key, fails the run when a shard was claimed by
 * no worker within a lease, when a worker that claimed a shard stopped heartbeating (`worker W lost shard S`),
 * or when the run was aborted elsewhere. Registrations are not distributed (yet) and throw.
 */
export class DriverGears extends Gears {
  readonly app: string;
  private readonly keys: RunKeys;
  private control: ShardStore;
  private tasks: string[];
  /** The shards of the tasks, in task order: the masters, or their parts (`tasksPerMaster`). */
  private pieces: readonly Shard[];
  /** The masters the tasks were planned from (the topology's snapshot then). */
  private masters: readonly Shard[];
  private readonly tasksPerMaster: number;
  private readonly module: GearModule | undefined;
  private readonly distributed: ExecutionRegistry;
  private readonly started = new Set<Execution>();
  /** Results of a script's earlier runs by call number: a worker's evaluation of the script replays them. */
  private readonly priorRuns = new WeakMap<object, (unknown[] | null)[]>();
  /** Registrations on the app's workers (`driverRegistrations.ts`). */
  private readonly registry: DriverRegistry;
  /** The unblocking executions of every front door of the app, in Redis (`executions.ts`). */
  private readonly directory: ExecutionDirectory;
  /** Executions whose end is being written to Redis (status, errors, time to live), by id. */
  private readonly writing = new Map<string, Promise<void>>();

  constructor(topology: Topology, options: GearsOptions, driver: Required<Pick<DriverOptions, 'app'>> & DriverOptions) {
    super(topology, options);
    this.app = driver.app;
    this.keys = runKeys(driver.app);
    this.tasksPerMaster = driver.tasksPerMaster ?? 1;
    this.masters = topology.shards;
    this.control = controlShard(this.masters, driver.app).store;
    this.pieces = splitShards(this.masters, this.tasksPerMaster);
    this.tasks = shardTasks(this.pieces);
    this.module = driver.gears;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    this.distributed = new ExecutionRegistry(() => ({
      maxExecutions: Number(this.configGet('MaxExecutions')[0]),
      maxPerRegistration: Number(this.configGet('MaxExecutionsPerRegistration')[0]),
    }));
    // What follows the plan (`replan`) is read through getters.
    this.directory = new ExecutionDirectory({
      keys: this.keys,
      get control() {
        return self.control;
      },
      get shards() {
        return self.masters;
      },
      local: this.distributed,
      written: (id) => this.writing.get(id) ?? Promise.resolve(),
      get shardIds() {
        return self.pieces.map((s) => s.id);
      },
    });
    this.registry = new DriverRegistry({
      app: driver.app,
      get control() {
        return self.control;
      },
      get shards() {
        return self.masters;
      },
      // Registrations run per master, on the owner of its first task.
      get tasks() {
        return shardTasks(self.pieces.filter((shard) => !isLaterPiece(shard)));
      },
      initiator: () => this.shards[this.initiatorShard()]!,
      logger: this.logger,
    });
  }

  /** A named gear of the gear module given to `connect(url, { app, gears })`. */
  readonly gear = (name: string): GearsBuilder<unknown> => {
    if (!this.module) throw new GearsError('gear(): connect(url, { app, gears }) was given no gear module');
    const { plan, fingerprint } = buildGear(this.module, name, this.GB);
    return new GearsBuilder(this, { ...plan, origin: { kind: 'gear', name, fingerprint } });
  };

  /** @internal runs a plan on the app's workers (`PlanRunner`). */
  override async run<T>(
    plan: Plan,
    arg: unknown,
    options: RunOptions & Record<string, unknown>,
  ): Promise<RunResult<T> | string> {
    const execution = await this.launch<T>(plan, arg, options);
    if (options.unblocking) {
      this.distributed.add(execution as Execution);
      return execution.id;
    }
    await execution.done;
    const origin = plan.origin;
    if (origin?.kind === 'script') {
      const prior = this.priorRuns.get(origin.script) ?? [];
      prior[origin.index] = execution.results as unknown[];
      this.priorRuns.set(origin.script, prior);
    }
    return execution.result();
  }

  /** @internal a run's results as an Observable (`PlanRunner`): the run's, once it is over. */
  override observe<T>(plan: Plan, arg: unknown, options: RunOptions & Record<string, unknown>): Observable<T> {
    return defer(() => this.run<T>(plan, arg, { ...options, unblocking: false })).pipe(
      mergeMap((result) => {
        const { results, errors } = result as RunResult<T>;
        return errors.length > 0 ? throwError(() => new ExecutionFailedError(errors)) : from(results);
      }),
    );
  }

  /** @internal stores the registration in Redis; resolves once every task's worker listens (README "Scaling out"). */
  override register(plan: Plan, options: RegisterOptions): Promise<string> {
    const origin = plan.origin;
    const prior = origin?.kind === 'script' ? (this.priorRuns.get(origin.script) ?? []).slice(0, origin.index) : [];
    return this.registry.register(plan, options, prior);
  }

  /** @internal whether a registration of the app hooks `command` (the front door then sends it to a worker). */
  override isHooked(command: string): boolean {
    return this.registry.isHooked(command);
  }

  /**
   * A hooked command runs on the worker holding its first key's task (slot 0's for a keyless one), through
   * the chain of that worker's engine; the reply comes back here. `call` is not used: the command itself
   * runs on the worker, outside the client's transaction.
   */
  override async runHook(
    command: string,
    args: string[],
    options: RunHookOptions = {},
  ): Promise<RunResult<unknown> | undefined> {
    if (!this.registry.isHooked(command)) return undefined;
    return this.registry.runHook(command, args, options.inTransaction === true);
  }

  /** @internal the app's registrations live in Redis: a front door restarting finds them there. */
  override async lastingRegistrations(): Promise<ReadonlySet<string>> {
    await this.registry.refresh();
    return new Set(this.registry.dump().map((row) => row.id));
  }

  /** The app's registrations, stats summed over workers, as re-read at most a second ago. */
  override readonly dumpRegistrations = (): RegistrationInfo[] => this.registry.dump();
  /** Resolves once every task's worker stopped it. */
  override readonly unregister = (id: string, options: { abortPending?: boolean } = {}): Promise<void> =>
    handled(this.registry.unregister(id, options.abortPending === true));
  override readonly pauseRegistrations = (ids: readonly string[]): Promise<void> =>
    handled(this.registry.setStatus(ids, 'PAUSED'));
  override readonly unpauseRegistrations = (ids: readonly string[]): Promise<void> =>
    handled(this.registry.setStatus(ids, 'OK'));
  override readonly clearRegistrationsStats = (): Promise<void> => handled(this.registry.clearStats());
  override readonly trigger = (name: string, ...args: unknown[]): Promise<unknown[]> =>
    this.registry.trigger(name, args);
  override readonly triggerOnKey = (name: string, key: string, ...args: unknown[]): Promise<unknown[]> =>
    this.registry.trigger(name, args, key);

  override readonly dumpExecutions = (): ExecutionSummary[] => this.distributed.dump();
  override readonly runningExecutions = (): ExecutionInfo[] => [...this.started].reverse().map((e) => e.info());
  override readonly getResults = (id: string): RunResult<unknown> => this.distributed.results(id);
  override readonly getResultsBlocking = (id: string): Promise<RunResult<unknown>> =>
    this.distributed.resultsWhenDone(id);
  override readonly abortExecution = (id: string): void => this.distributed.abort(id);
  override readonly dropExecution = (id: string): void => this.distributed.drop(id);
  override readonly getExecution = (id: string): ExecutionInfo => this.distributed.info(id);

  /** RG.DUMPEXECUTIONS & co. on a front door of the app: every front door's executions, from Redis. */
  override executionCommands(): ExecutionCommands {
    return this.directory;
  }

  /** @internal stops a run of this driver's with `reason` as its last error (a script guard's limit). */
  override abortRunning(id: string, reason: string): boolean {
    for (const execution of this.started) if (execution.id === id) return execution.abort(reason);
    return false;
  }

  override async close(): Promise<void> {
    for (const execution of this.started) execution.abort('Execution aborted: the engine closed');
    this.registry.close();
    await super.close();
  }

  /** Announces a run to the workers and starts following it. */
  private async launch<T>(
    plan: Plan,
    arg: unknown,
    options: RunOptions & Record<string, unknown>,
  ): Promise<Execution<T>> {
    const origin = plan.origin;
    if (!origin) {
      throw new GearsError(
        `gear is not shippable: an inline closure cannot run on the workers of app '${this.app}'. Send it as ` +
          'source text (RG.JSEXECUTE through rxgears serve --app, or runScript), or define it in a gear module ' +
          '(defineGears) that every worker loads with --gears and run it with gears.gear(name)',
      );
    }
    const reader = readerFor(plan.reader);
    if (!reader.run) throw new GearsError('reader do not support run');
    validateRun(reader, options, arg);
    const { collect, mode, unblocking: _unblocking, initiator, ...readerOptions } = options;
    if (collect === false || mode === 'async_local' || initiator !== undefined) {
      throw new GearsError(
        `distributed runs always collect at the shard owning slot 0: 'collect: false', 'async_local' and 'initiator' run only without { app }`,
      );
    }
    // Tasks are planned from the masters: after a change (slots moved, a master added or gone, a failover)
    // the driver re-reads them and plans again, as the workers do at their next tick.
    if ((await topologyChange(this.topology, this.masters)) !== undefined) await this.replan();
    const shards = this.shards;
    const masters = this.masters;
    const sequence = Number(await this.control.call('INCR', this.keys.seq));
    const id = `${shards[this.initiatorShard()]!.id}-${sequence}`;
    const prior = origin.kind === 'script' ? (this.priorRuns.get(origin.script) ?? []).slice(0, origin.index) : [];
    const shipped: RunDescriptor['origin'] =
      origin.kind === 'script'
        ? {
            kind: 'script',
            source: origin.source,
            index: origin.index,
            ...(origin.filename !== undefined ? { filename: origin.filename } : {}),
            ...(origin.description !== undefined ? { description: origin.description } : {}),
          }
        : origin;
    const leaseMs = await appLeaseMs(this.control, this.keys, DEFAULT_LEASE_MS);
    const key = this.keys.execution(id);
    // Unblocking runs are listed for every front door of the app (RG.DUMPEXECUTIONS, RG.GETRESULTS …).
    const listed = options.unblocking === true;
    const fields = descriptorFields({
      tasks: this.tasks,
      masters: this.pieces.map((s) => s.id),
      origin: shipped,
      ...(arg !== undefined ? { arg: { value: arg } } : {}),
      options: readerOptions,
      prior: Array.from(prior, (p) => p ?? null),
    });
    // One transaction (all in the app's slot): the run is announced with its descriptor, both expiring.
    const tx = await this.control.transaction();
    const replies = await tx.commit([
      ['HSET', key, ...fields, 'reader', plan.reader, 'desc', plan.desc ?? '', 'created', Date.now()],
      ['PEXPIRE', key, RUNNING_TTL_MS],
      ['SET', this.keys.driver(id), '1', 'PX', leaseMs],
      ['XADD', this.keys.runs, 'MAXLEN', '~', 1000, '*', 'id', id],
      ['PEXPIRE', this.keys.runs, LISTED_TTL_MS],
      ...(listed ? this.directory.listing(id, sequence) : []),
    ]);
    const maxExecutions = Number(this.configGet('MaxExecutions')[0]);
    if (listed && Number(replies?.at(-1)) > maxExecutions) await this.directory.trim(maxExecutions);
    const execution = new Execution<T>(
      id,
      plan,
      this.pieces.map((s) => s.id),
      executionSteps(plan, true, false),
    );
    this.started.add(execution as Execution);
    execution.onFinish(() => this.started.delete(execution as Execution));
    execution.start(this.follow<T>(id, execution, leaseMs, listed, masters));
    return execution;
  }

  /**
   * Re-reads the masters and plans the tasks again; refuses when the cluster's nodes still disagree with
   * what it read (a change under way).
   */
  private async replan(): Promise<void> {
    await this.refreshCluster();
    this.masters = this.topology.shards;
    this.control = controlShard(this.masters, this.app).store;
    this.pieces = splitShards(this.masters, this.tasksPerMaster);
    this.tasks = shardTasks(this.pieces);
    const still = await topologyChange(this.topology, this.masters);
    if (still !== undefined)
      throw new GearsError(`${still}, after this driver of app '${this.app}' re-read the masters: run again`);
  }

  private initiatorShard(): number {
    const myId = this.infoCluster().myId;
    return Math.max(
      0,
      this.shards.findIndex((s) => s.id === myId),
    );
  }

  /**
   * The run's results as the initiator's worker writes them, completing once every task's part reported done.
   * Unsubscribed early (an abort), it marks the run aborted in Redis, so every worker stops its part.
   */
  private follow<T>(
    id: string,
    execution: Execution<T>,
    leaseMs: number,
    listed: boolean,
    masters: readonly Shard[],
  ): Observable<T> {
    const keys = this.keys;
    const out = keys.out(id);
    const outStore = storeForKey(this.shards)(out);
    const tickMs = Math.max(10, Math.floor(leaseMs / 3));
    const tasks = this.tasks;
    const shards = this.pieces;
    return new Observable<T>((subscriber) => {
      let active = true;
      let finished = false;
      let reason = 'Execution aborted';
      const done = new Set<string>();
      const unownedSince = new Map<string, number>();
      const fail = (why: string): void => {
        if (!active) return;
        reason = why;
        execution.abort(why);
      };

      const read = async (): Promise<void> => {
        let lastId = '0-0';
        while (active) {
          // Blocks while nothing came (no polling); the health checks below run on their own timer.
          const entries = await readAfter(outStore, out, lastId, 256, Math.min(FOLLOW_BLOCK_MS, tickMs));
          if (!active) return;
          if (entries.length === 0) continue;
          for (const [entryId, fields] of entries) {
            lastId = entryId;
            const batch = fields.get('r');
            if (batch !== undefined) {
              for (const record of decodeValue(batch) as T[]) subscriber.next(record);
              continue;
            }
            const ended = fields.get('done');
            if (ended === undefined) continue;
            for (const task of JSON.parse(ended) as string[]) {
              done.add(task);
              execution.shardDone(tasks.indexOf(task));
            }
            execution.errors.push(...(JSON.parse(fields.get('errors') ?? '[]') as string[]));
          }
          if (done.size === tasks.length) {
            // A change while it ran (a slot migrated, a master added) may have hidden keys from the readers.
            const change = await topologyChange(this.topology, masters);
            if (change !== undefined) return fail(`${change}, during execution ${id}: its results may be incomplete`);
            if (!active) return;
            finished = true;
            active = false;
            subscriber.complete();
          }
        }
      };

      const watch = async (): Promise<void> => {
        while (active) {
          await this.control.call('SET', keys.driver(id), '1', 'PX', leaseMs);
          await this.control.call('PEXPIRE', keys.execution(id), RUNNING_TTL_MS);
          const descriptor = parseDescriptor(await this.control.call('HGETALL', keys.execution(id)));
          if (!active) return;
          if (!descriptor) return fail(`execution ${id} disappeared from Redis`);
          if (descriptor.status === 'aborted') {
            // RG.ABORTEXECUTION on another front door: aborted as a local abortExecution() is, without an error.
            if (descriptor.reason === ABORTED_BY_COMMAND && active) return void execution.abort();
            return fail(descriptor.reason ?? 'Execution aborted');
          }
          const claimed = [...descriptor.claims];
          const alive = claimed.length
            ? ((await this.control.call('MGET', ...claimed.map(([, c]) => keys.alive(c.worker)))) as (string | null)[])
            : [];
          if (!active) return;
          for (let i = 0; i < claimed.length; i++) {
            const [task, claim] = claimed[i]!;
            if (alive[i] === null && !done.has(task)) {
              const shard = shards[tasks.indexOf(task)];
              return fail(`worker ${claim.worker} lost shard ${shard?.id ?? '?'} (task ${task})`);
            }
          }
          // A task nobody claimed yet: waited for while some worker holds its lease (a busy worker claims late),
          // failed once it had no lease for a lease and a tick.
          const unclaimed = tasks.filter((t) => !descriptor.claims.has(t));
          const leases = unclaimed.length
            ? ((await this.control.call('MGET', ...unclaimed.map((t) => keys.lease(t)))) as (string | null)[])
            : [];
          if (!active) return;
          const now = performance.now();
          for (let i = 0; i < unclaimed.length; i++) {
            const task = unclaimed[i]!;
            if (leases[i] !== null) unownedSince.delete(task);
            else if (!unownedSince.has(task)) unownedSince.set(task, now);
            else if (now - unownedSince.get(task)! > leaseMs + tickMs) {
              const shard = shards[tasks.indexOf(task)];
              return fail(`no worker of app '${this.app}' owns shard ${shard?.id ?? '?'} (task ${task})`);
            }
          }
          await idlePause(tickMs);
        }
      };

      const onError = (error: unknown): void => {
        if (!active) return;
        if (error instanceof RedisReplyError && /^(MOVED|ASK|UNBLOCKED) /.test(error.message)) {
          // The results stream or a control key answered by another master, or a master turned replica: the
          // cluster changed under the run. Named once the nodes agree on it (a few ticks at most).
          const named = async (): Promise<string> => {
            for (let attempt = 0; attempt < 5; attempt++) {
              const change = await topologyChange(this.topology, masters).catch(() => undefined);
              if (change !== undefined) return `${change}, during execution ${id}: its results may be incomplete`;
              await pause(tickMs);
            }
            return formatError(error);
          };
          return void named().then(fail);
        }
        active = false;
        subscriber.error(error);
      };
      read().catch(onError);
      watch().catch(onError);
      return () => {
        active = false;
        // What the run ended with, for the other front doors (RG.GETRESULTS): taken now, written below.
        const ended = [
          'errors',
          JSON.stringify(execution.errors),
          'results',
          execution.results.length,
          'ended',
          Date.now(),
        ];
        const ttl = listed ? LISTED_TTL_MS : RESULTS_TTL_MS;
        const cleanup = async (): Promise<void> => {
          await this.control.call('HSET', keys.execution(id), ...ended);
          if (!finished) await markAborted(this.control, keys, id, reason);
          else await this.control.call('HSET', keys.execution(id), 'status', 'done');
          await this.control.call('DEL', keys.driver(id));
          await this.control.call('PEXPIRE', keys.execution(id), ttl);
          await outStore.call('PEXPIRE', out, ttl);
        };
        const written = cleanup().catch(() => undefined);
        this.writing.set(id, written);
        void written.then(() => this.writing.delete(id));
      };
    });
  }
}

/**
 * The base engine's registration commands return nothing; a driver's return a Promise that callers typed
 * against `Gears` may ignore: its failure is then only logged by nobody, never an unhandled rejection.
 */
function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}
