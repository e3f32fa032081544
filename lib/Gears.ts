import { Observable, type Subscription } from 'rxjs';
import { GearsBuilder, type PlanRunner } from './builder/GearsBuilder.ts';
import type { ReaderArg, ReaderRecord, RunOptions } from './builder/readerTypes.ts';
import { ShardRouter } from './cluster/ShardRouter.ts';
import type { Shard, Topology } from './cluster/topology.ts';
import { InProcessTransport } from './cluster/InProcessTransport.ts';
import type { ShardTransport } from './cluster/transport.ts';
import { GearsBuildError, GearsError, ExecutionFailedError } from './errors.ts';
import { AtomicScope, runAtomic } from './engine/atomic.ts';
import { ConfigStore, LOG_LEVELS, type ConfigValue, type GearsConfig, type LogLevel } from './engine/config.ts';
import type { Execution, ExecutionInfo, RunResult } from './engine/Execution.ts';
import {
  ExecutionRegistry,
  localExecutionCommands,
  type ExecutionCommands,
  type ExecutionSummary,
} from './engine/ExecutionRegistry.ts';
import { Registrations, type RegistrationHost, type RegistrationPlacement } from './engine/Registrations.ts';
import type { RegistrationInfo } from './engine/Registration.ts';
import type { RegisterOptions } from './builder/registerOptions.ts';
import type { ReaderContext } from '../readers/types.ts';
import type { Plan } from './builder/plan.ts';
import { registerTimeEventVia, type RegisterTimeEvent } from './engine/timeEvents.ts';
import type { GearsEvent, GearsObserver } from './engine/observer.ts';
import { whileOpen } from './rx/index.ts';
import { runInContext, trackEngine, type RuntimeContext, type RuntimeEngine } from './engine/runtime.ts';
import type { RedisArg, RedisReply } from './store/ShardStore.ts';
import { readerOf, type ReaderName } from '../readers/index.ts';
import { stderrLogger, validateLogger, writeLog, type LogFields, type Logger, type LoggerLevel } from './logger.ts';
import { Launcher, type Prepared } from './engine/Launcher.ts';

/** The engine's logger: pino-style `{ debug, info, warn, error }(fields, message)` (see `Logger`). */
export type GearsLogger = Logger;

/** RedisGears' log levels (the `LogLevel` setting, `log(msg, level)`) as a pino-style logger's methods. */
const LOGGER_LEVEL: Record<LogLevel, LoggerLevel> = {
  debug: 'debug',
  verbose: 'debug',
  notice: 'info',
  warning: 'warn',
};

/** Options of the engine itself (the backend is chosen by `connect()`). */
export interface GearsOptions {
  /**
   * Clone records that cross shards (`structuredClone`), as a process boundary would. Off by default for
   * speed; the test suites and `rxgears/testing` turn it on so a record that cannot travel fails in tests.
   */
  cloneRecords?: boolean;
  /** Initial values of the built-in settings (`MaxExecutions`, `ExecutionMaxIdleTime`, …). */
  config?: Partial<Omit<GearsConfig, 'CloneRecords'>>;
  /**
   * Where the engine and `log()` write: a pino-style logger (`{ debug, info, warn, error }`, called as
   * `logger.warn({ shardId, … }, message)`; pino, a pino child, `console`). Default: one line per entry on stderr.
   */
  logger?: Logger;
}

/** `GB` as bound to an engine: `GB(reader = 'KeysReader', defaultArg = '*', desc?)`. */
export type GBFunction = <N extends ReaderName = 'KeysReader'>(
  reader?: N,
  defaultArg?: ReaderArg<N>,
  desc?: string,
) => GearsBuilder<ReaderRecord<N>, N>;

/** Options of `runHook()`. */
export interface RunHookOptions {
  /** The command was queued in MULTI and runs at EXEC. */
  inTransaction?: boolean;
  /** Runs the command itself at the end of the chain (e.g. on the client's transaction connection). */
  call?: (...args: RedisArg[]) => Promise<RedisReply>;
}

/** `infoCluster()`: the shards and which one this engine initiates from. */
export interface ClusterInfo {
  /** The default initiator: the owner of slot 0. */
  myId: string;
  kind: Topology['kind'];
  shards: { id: string; slots: [number, number][] }[];
}

/**
 * @internal What the layers above the engine (server, worker, HTTP, metrics, `connect`), the runtime helpers and
 * the builder call on it besides its documented API. `Gears` has each member tagged `@internal`, so the published
 * types (`stripInternal`) leave them out — except `runHook`, which README documents for transactions.
 */
export interface EngineInternals extends RuntimeEngine, PlanRunner {
  /** Writes a log line for `shard`, with `fields` as structured fields. */
  logFrom(shard: Shard | undefined, level: LogLevel, message: string, fields?: LogFields): void;
  /** Resolves once the sync registrations triggered by the writes made so far have run (before a reply). */
  settleSync(): Promise<void>;
  /** Whether a CommandReader `hook` overrides `command` now. */
  isHooked(command: string): boolean;
  /** Runs the hooks chain on `command`; `undefined` when nothing hooks it. */
  runHook(command: string, args: string[], options?: RunHookOptions): Promise<RunResult<unknown> | undefined>;
  /** The RG execution commands as a front door answers them. */
  executionCommands(): ExecutionCommands;
  /** Stops a running execution with `reason` as its last error; false when none with that id runs. */
  abortRunning(id: string, reason: string): boolean;
  /** The ids of the registrations that outlive this process; undefined when they live and die with it. */
  lastingRegistrations(): Promise<ReadonlySet<string> | undefined>;
  /** A worker process's registration, listening where `placement` says. */
  registerPlaced(plan: Plan, options: RegisterOptions, placement: RegistrationPlacement): Promise<string>;
  /** Listens again where a placed registration's placement says now. */
  relisten(id: string): Promise<void>;
}

/**
 * The engine: a topology of shards, the builder bound to it, and the RedisGears command surface. Get one from
 * `connect()`. Its methods are bound, so `const { GB, execute } = gears` works.
 *
 * @example
 * const gears = await connect({ shards: 3 });
 * await gears.execute('HSET', 'person:1', 'name', 'Rick Sanchez', 'age', 70);
 * const { results } = await gears.GB().count().run('person:*'); // [1]
 * await gears.close();
 */
export class Gears {
  private readonly transport: ShardTransport;
  private readonly config: ConfigStore;
  private readonly executions: ExecutionRegistry;
  private readonly registrations: Registrations;
  private readonly sink: Logger;
  private readonly router: ShardRouter;
  private readonly launcher: Launcher;
  private readonly untrack: () => void;
  private readonly observers = new Set<GearsObserver>();
  private closed = false;

  constructor(
    readonly topology: Topology,
    options: GearsOptions = {},
  ) {
    const { CloneRecords: _ignored, ...config } = (options.config ?? {}) as Partial<GearsConfig>;
    this.config = new ConfigStore({ ...config, CloneRecords: options.cloneRecords ? 1 : 0 });
    this.transport = new InProcessTransport({ clone: options.cloneRecords ?? false });
    this.executions = new ExecutionRegistry(() => ({
      maxExecutions: this.config.get('MaxExecutions'),
      maxPerRegistration: this.config.get('MaxExecutionsPerRegistration'),
    }));
    this.sink = options.logger === undefined ? stderrLogger : validateLogger(options.logger, 'connect()');
    this.router = new ShardRouter(topology);
    this.launcher = new Launcher({
      engine: this,
      topology,
      router: this.router,
      transport: this.transport,
      config: this.config,
      notify: (event) => this.notify(event),
      observed: () => this.observers.size > 0,
    });
    this.registrations = new Registrations(this.registrationHost());
    this.untrack = trackEngine(this);
  }

  /** The shards, in slot order. */
  get shards(): readonly Shard[] {
    return this.topology.shards;
  }

  /**
   * Starts a plan: `GB(reader, defaultArg, desc)`. An unknown reader throws `GearsBuildError('reader does not exists')`
   * (RedisGears' message).
   */
  readonly GB: GBFunction = (reader, defaultArg, desc) => {
    const name = reader ?? 'KeysReader';
    if (typeof name !== 'string') throw new GearsBuildError('reader argument must be a string');
    const descriptor = readerOf(name);
    if (!descriptor) throw new GearsBuildError('reader does not exists');
    if (desc !== undefined && typeof desc !== 'string') throw new GearsBuildError('description must be a string');
    const plan: Plan = { reader: name, defaultArg: defaultArg ?? descriptor.defaultArg, desc, steps: [] };
    return new GearsBuilder(this, plan);
  };

  /**
   * Runs a Redis command on the shard that owns its keys (keyless commands: the shard that owns slot 0).
   *
   * @example
   * await gears.execute('SET', 'foo', 'bar') // 'OK'
   */
  readonly execute = (command: string, ...args: RedisArg[]): Promise<RedisReply> =>
    this.executeOn(undefined, command, args);

  /** Executions kept (unblocking runs, registration-triggered ones): `{ executionId, status, registered }`. */
  readonly dumpExecutions = (): ExecutionSummary[] => this.executions.dump();

  /** Status and profile of every execution running now, newest first (what `rxgears exec` shows on a TTY). */
  readonly runningExecutions = (): ExecutionInfo[] => this.launcher.runningInfo();

  /** Results of a finished execution; throws `execution is still running` or `execution plan does not exist`. */
  readonly getResults = (id: string): RunResult<unknown> => this.executions.results(id);

  /** Results of an execution, waiting for it to finish. */
  readonly getResultsBlocking = (id: string): Promise<RunResult<unknown>> => this.executions.resultsWhenDone(id);

  /** Stops an execution on every shard; results so far are kept. Aborting a finished one does nothing. */
  readonly abortExecution = (id: string): void => this.executions.abort(id);

  /**
   * @internal stops a running execution, kept or not (a blocking run is kept only once it started), with
   * `reason` as its last error; false when none with that id runs.
   */
  abortRunning(id: string, reason: string): boolean {
    return this.launcher.abort(id, reason);
  }

  /** Forgets a finished execution; a running one must be aborted first. */
  readonly dropExecution = (id: string): void => this.executions.drop(id);

  /** Status and profile of an execution (per step: type, records in and out, duration with ProfileExecutions=1). */
  readonly getExecution = (id: string): ExecutionInfo => this.executions.info(id);

  /** @internal the RG execution commands as a front door answers them (a driver: for every front door of its app). */
  executionCommands(): ExecutionCommands {
    return localExecutionCommands(this);
  }

  /**
   * Values of settings, in the order asked; `null` for a key never set. Without keys: every built-in.
   *
   * @example
   * gears.configGet('MaxExecutions', 'ExecutionMaxIdleTime') // [1000, 5000]
   */
  readonly configGet = (...keys: string[]): (ConfigValue | null)[] => {
    const asked = keys.length > 0 ? keys : (Object.keys(this.config.snapshot()) as string[]);
    return asked.map((key) => this.config.lookup(key) ?? null);
  };

  /**
   * Sets settings, all or none. Built-ins are validated; other keys go to the extra dictionary that gear
   * functions read with `configGet()`. Returns RedisGears' reply per key.
   *
   * @example
   * gears.configSet({ ExecutionMaxIdleTime: 10000, Threshold: 5 }) // ['OK', 'OK - value was saved in extra config dictionary']
   */
  readonly configSet = (pairs: Record<string, ConfigValue>): string[] => {
    if (pairs === null || typeof pairs !== 'object') throw new GearsError('configSet takes an object of key → value');
    return this.config.set(pairs);
  };

  /**
   * The shards serving slots and their slots; `myId` is the default initiator. A master without slots (read by
   * runs while it imports its first slot) is not listed: RG.INFOCLUSTER gives each shard a slot range.
   */
  readonly infoCluster = (): ClusterInfo => ({
    myId: this.router.defaultShard().id,
    kind: this.topology.kind,
    shards: this.shards
      .filter((s) => s.slots.length > 0)
      .map((s) => ({ id: s.id, slots: s.slots.map(([a, b]) => [a, b] as [number, number]) })),
  });

  /** Re-reads the topology (Redis Cluster: masters and slots after a reshard or failover); registrations follow. */
  readonly refreshCluster = async (): Promise<void> => {
    this.assertOpen();
    await this.topology.refresh();
    await this.registrations.syncShards();
  };

  /** Every registration with its counters (RG.DUMPREGISTRATIONS). */
  readonly dumpRegistrations = (): RegistrationInfo[] => this.registrations.dump();

  /**
   * @internal the ids of the registrations that outlive this process, read now (an app's, kept in Redis by
   * its registry); undefined when registrations live and die with the process. A server restoring its
   * deployments re-runs their scripts only in the second case.
   */
  async lastingRegistrations(): Promise<ReadonlySet<string> | undefined> {
    return undefined;
  }

  /** Stops a registration: no trigger after it returns; `abortPending` aborts its running executions. */
  readonly unregister = (id: string, options: { abortPending?: boolean } = {}): void =>
    this.registrations.unregister(id, options);

  /** Pauses registrations: KeysReader ones drop events meanwhile, StreamReader ones stop reading. */
  readonly pauseRegistrations = (ids: readonly string[]): void => this.registrations.pause(ids);

  /** Resumes paused registrations. */
  readonly unpauseRegistrations = (ids: readonly string[]): void => this.registrations.unpause(ids);

  /** Zeroes every registration's counters. */
  readonly clearRegistrationsStats = (): void => this.registrations.clearStats();

  /**
   * Runs a CommandReader registration: its gear gets the record `[name, ...args]`. Resolves with the results,
   * rejects with a GearsError carrying the first error.
   *
   * @example
   * await GB('CommandReader').map(([, who]) => `hello ${who}`).register({ trigger: 'greet' });
   * await gears.trigger('greet', 'Rick') // ['hello Rick'] (one per shard in async mode)
   */
  readonly trigger = (name: string, ...args: unknown[]): Promise<unknown[]> => {
    this.assertOpen();
    return this.registrations.trigger(name, args);
  };

  /** Like `trigger`, on the shard that owns `key`, with the record `[name, key, ...args]`. */
  readonly triggerOnKey = (name: string, key: string, ...args: unknown[]): Promise<unknown[]> => {
    this.assertOpen();
    return this.registrations.trigger(name, args, key);
  };

  /**
   * Runs `callback` every `period` seconds on one shard (RedisGears' `registerTE`); with `key` the timer is
   * stored as that key (deleting it stops the timer). Resolves with the registration id.
   *
   * @example
   * await gears.registerTimeEvent(60, () => execute('INCR', 'minutes'), 'timer:minutes')
   */
  readonly registerTimeEvent: RegisterTimeEvent = (period, callback, key) =>
    registerTimeEventVia({ GB: (reader) => this.GB(reader), execute: this.execute })(period, callback, key);

  /**
   * Calls `observer` with every execution this engine starts and finishes (what the metrics count).
   * Returns the function that stops it.
   *
   * @example
   * const stop = gears.addObserver((e) => e.type === 'executionFinished' && console.log(e.status, e.durationMs));
   */
  readonly addObserver = (observer: GearsObserver): (() => void) => {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  };

  /** @internal the runtime's `execute()`: keyed commands by slot, keyless ones on `shard`. */
  async executeOn(shard: Shard | undefined, command: string, args: RedisArg[]): Promise<RedisReply> {
    this.assertOpen();
    if (typeof command !== 'string' || command.length === 0) throw new GearsError('execute needs a command name');
    return this.router.shardFor(command, args, shard).store.call(command, ...args);
  }

  /** @internal the runtime's `atomic()`. */
  atomicOn<T>(context: RuntimeContext | undefined, block: () => T | PromiseLike<T>): Promise<T> {
    this.assertOpen();
    const base: RuntimeContext = context ?? {
      engine: this,
      shard: this.router.defaultShard(),
      executionId: undefined,
    };
    return runAtomic(
      () => new AtomicScope((slot) => (slot === undefined ? base.shard : this.router.shardOfSlot(slot)), base.shard),
      (scope) => runInContext({ ...base, atomic: scope }, async () => block()),
    );
  }

  /**
   * @internal the runtime's `log()` and the engine's own log lines: written when `level` is at or above the
   * `LogLevel` setting, with the shard's id and `fields` as structured fields.
   */
  logFrom(shard: Shard | undefined, level: LogLevel, message: string, fields: LogFields = {}): void {
    const threshold = LOG_LEVELS.indexOf(this.config.get('LogLevel') as LogLevel);
    if (LOG_LEVELS.indexOf(level) < threshold) return;
    writeLog(this.sink, LOGGER_LEVEL[level], shard ? { shardId: shard.id, ...fields } : fields, message);
  }

  /** The logger this engine writes to, for the server and CLI to share (`connect({ logger })`). */
  get logger(): Logger {
    return this.sink;
  }

  /** @internal the runtime's `configGet()`. */
  configLookup(key: string): ConfigValue | undefined {
    return this.config.lookup(key);
  }

  /** @internal the runtime's `hashtag()`: the shortest base-36 string hashing into the shard's first slot. */
  hashtagOf(shard: Shard | undefined): string {
    return this.router.hashtagOf(shard);
  }

  /** @internal runs a plan for a builder: `{ results, errors }`, or the id when unblocking. */
  async run<T>(
    plan: Plan,
    arg: unknown,
    options: RunOptions & Record<string, unknown>,
  ): Promise<RunResult<T> | string> {
    const execution = this.start<T>(plan, arg, options);
    if (options.unblocking) {
      this.executions.add(execution as Execution);
      return execution.id;
    }
    await execution.done;
    return execution.result();
  }

  /** @internal registers a plan for a builder. */
  register(plan: Plan, options: RegisterOptions): Promise<string> {
    this.assertOpen();
    return this.registrations.register(plan, options);
  }

  /** @internal a worker process's registration: under the app's id, listening where `placement` says. */
  registerPlaced(plan: Plan, options: RegisterOptions, placement: RegistrationPlacement): Promise<string> {
    this.assertOpen();
    return this.registrations.register(plan, options, placement);
  }

  /** @internal listens again where a placed registration's placement says now. */
  relisten(id: string): Promise<void> {
    return this.registrations.relisten(id);
  }

  /**
   * @internal resolves once every `sync` registration triggered by the writes made before the call has run: the
   * server's proxy awaits it before answering a command, so sync gears run "before the reply".
   */
  async settleSync(): Promise<void> {
    await Promise.all(this.shards.map((shard) => shard.store.keyspaceBarrier()));
    await this.registrations.syncIdle();
  }

  /** @internal whether a CommandReader `hook` overrides `command` now (the raw proxy then leaves it to `runHook`). */
  isHooked(command: string): boolean {
    return this.registrations.isHooked(command);
  }

  /**
   * The server's proxy: runs the hooks chain on `command` (CommandReader `hook`s, KeysReader `commands`
   * registrations; see README "Command hooks") on the shard of its first key. Resolves with the reply as the
   * one result (or the error as the one error), `undefined` when nothing hooks the command (run it as usual).
   * `inTransaction`: the command was queued in MULTI and runs at EXEC (only sync registrations hold the reply);
   * `call` runs the command itself at the end of the chain (default: on its shard, outside any transaction).
   */
  async runHook(
    command: string,
    args: string[],
    options: RunHookOptions = {},
  ): Promise<RunResult<unknown> | undefined> {
    this.assertOpen();
    if (!this.registrations.isHooked(command)) return undefined;
    const shard = this.router.shardFor(command, args);
    return this.registrations.runHook({
      command,
      args,
      shard,
      inTransaction: options.inTransaction === true,
      original: options.call ?? ((...next) => this.executeOn(shard, command, next)),
    });
  }

  /** @internal the results of a plan as an Observable; one execution per subscription. */
  observe<T>(plan: Plan, arg: unknown, options: RunOptions & Record<string, unknown>): Observable<T> {
    return new Observable<T>((subscriber) => {
      let prepared: Prepared<T>;
      try {
        this.assertOpen();
        prepared = this.launcher.prepare<T>(plan, arg, options);
      } catch (error) {
        subscriber.error(error);
        return undefined;
      }
      const { execution, results } = prepared;
      const subscription: Subscription = results.pipe(whileOpen(subscriber)).subscribe({
        next: (record) => subscriber.next(record),
        complete: () => {
          if (execution.errors.length > 0) {
            subscriber.error(new ExecutionFailedError(execution.errors, { executionId: execution.id }));
          } else subscriber.complete();
        },
      });
      return () => subscription.unsubscribe();
    });
  }

  /** Closes the engine: aborts running executions and closes the stores it opened. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.registrations.stopAll();
    this.launcher.abortAll('Execution aborted: the engine closed');
    this.untrack();
    await this.topology.close();
  }

  private start<T>(plan: Plan, arg: unknown, options: RunOptions & Record<string, unknown>): Execution<T> {
    this.assertOpen();
    return this.launcher.begin(this.launcher.prepare<T>(plan, arg, options));
  }

  /** What the registrations use of the engine. */
  private registrationHost(): RegistrationHost {
    const shards = (): readonly Shard[] => this.shards;
    return {
      get shards() {
        return shards();
      },
      executions: this.executions,
      defaultShard: () => this.router.defaultShard(),
      shardOfKey: (key) => this.router.shardOfKey(key),
      readerContext: (shard) => this.readerContext(shard),
      runtime: (shard) => ({ engine: this, shard, executionId: undefined }),
      launch: (spec) => {
        this.assertOpen();
        const execution = this.launcher.begin(this.launcher.plan(spec));
        this.executions.add(execution as Execution);
        return execution as Execution;
      },
      log: (shard, message, fields) => this.logFrom(shard, 'warning', message, fields),
    };
  }

  /** A reader's view of a shard, outside any execution (event sources). */
  private readerContext(shard: Shard): ReaderContext {
    const context: RuntimeContext = { engine: this, shard, executionId: undefined };
    return {
      shard,
      topology: this.topology,
      owns: (key) => this.router.shardOfKey(key) === shard,
      invoke: (fn) => runInContext(context, fn),
    };
  }

  /** Observers must not break an execution: one that throws is logged and the others still run. */
  private notify(event: GearsEvent): void {
    for (const observer of this.observers) {
      try {
        observer(event);
      } catch (error) {
        this.logFrom(undefined, 'warning', `an observer failed: ${String(error)}`, { err: error });
      }
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new GearsError('the engine is closed');
  }
}

/**
 * `Gears` is an `EngineInternals`: checked here, as an `implements` clause would stay in the published .d.ts and
 * name the members `stripInternal` takes out of it.
 */
type InternalsOf<T extends EngineInternals> = T;
type _GearsHasItsInternals = InternalsOf<Gears>;
