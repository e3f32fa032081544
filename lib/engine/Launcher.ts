import type { Observable } from 'rxjs';
import type { RunOptions } from '../builder/readerTypes.ts';
import type { ShardRouter } from '../cluster/ShardRouter.ts';
import type { Shard, Topology } from '../cluster/topology.ts';
import type { ShardTransport } from '../cluster/transport.ts';
import { GearsError } from '../errors.ts';
import type { ConfigStore } from './config.ts';
import { Execution, type ExecutionInfo, type ExecutionRun } from './Execution.ts';
import { IdleWatch } from './IdleWatch.ts';
import { finishedEvent, type GearsEvent } from './observer.ts';
import { readerFor, validateRun } from './options.ts';
import type { Plan } from '../builder/plan.ts';
import type { LaunchSpec } from './Registrations.ts';
import type { HookRuntime } from './CommandHooks.ts';
import { executionRun, executionSteps, runPlan, type ListInput, type PlanRunSetup } from './runPlan.ts';
import type { RuntimeContext, RuntimeEngine } from './runtime.ts';

/** An execution and the Observable of its results, not yet subscribed. */
export interface Prepared<T> {
  execution: Execution<T>;
  results: Observable<T>;
}

/** An execution and what runs it, not yet started: the Observable of its results, or a run reporting to it. */
export interface Planned<T> {
  execution: Execution<T>;
  results: Observable<T> | ExecutionRun<T>;
}

/** What the launcher uses of its engine. */
export interface LauncherHost {
  engine: RuntimeEngine;
  topology: Topology;
  router: ShardRouter;
  transport: ShardTransport;
  config: ConfigStore;
  notify(event: GearsEvent): void;
  /** Whether anyone observes the events (`notify` would reach an observer). */
  observed(): boolean;
}

/**
 * Turns plans into running executions: checks a run's options against its reader, picks the shards and the
 * initiator, wires `runPlan` to the transport and the runtime, and tracks what runs (for `runningExecutions()`,
 * the idle watchdog, the observers and `close()`).
 */
export class Launcher {
  private sequence = 0;
  private readonly running = new Set<Execution>();
  private readonly idleWatch: IdleWatch;

  constructor(private readonly host: LauncherHost) {
    this.idleWatch = new IdleWatch(this.running, () => host.config.get('ExecutionMaxIdleTime'));
  }

  /** A batch run of `plan` (`run()` options: `collect`, `mode`, `initiator` and the reader's own). */
  prepare<T>(plan: Plan, arg: unknown, options: RunOptions & Record<string, unknown>): Prepared<T> {
    const reader = readerFor(plan.reader);
    const read = reader.run;
    if (!read) throw new GearsError('reader do not support run');
    validateRun(reader, options, arg);
    const {
      collect = true,
      mode = 'async',
      unblocking: _unblocking,
      initiator: initiatorId,
      ...readerOptions
    } = options;
    const all = this.host.topology.shards;
    const initiator =
      initiatorId === undefined ? this.host.router.defaultShard() : all.find((s) => s.id === initiatorId);
    if (!initiator) throw new GearsError(`unknown initiator shard '${String(initiatorId)}'`);
    const local = mode === 'async_local';
    const spec: LaunchSpec = {
      plan,
      shards: local ? [initiator] : all,
      initiator,
      collect,
      local,
      read: (context) => read(context, arg, readerOptions),
    };
    const execution = this.execution<T>(spec);
    return { execution, results: runPlan(this.setup(spec, execution)) as Observable<T> };
  }

  /**
   * An execution of `spec.plan` over `spec.shards` (a registration's) and what runs it, not yet started: a
   * one-shard fused plan (an event's execution, mostly) reports to the execution directly (`executionRun`).
   */
  plan<T>(spec: LaunchSpec): Planned<T> {
    const execution = this.execution<T>(spec);
    return { execution, results: executionRun(this.setup(spec, execution)) as Observable<T> | ExecutionRun<T> };
  }

  private execution<T>(spec: LaunchSpec): Execution<T> {
    const { plan, shards, initiator, collect, local } = spec;
    const id = `${initiator.id}-${++this.sequence}`;
    return new Execution<T>(
      id,
      plan,
      shards.map((s) => s.id),
      executionSteps(plan, collect, local),
      spec.registrationId,
    );
  }

  /** What `runPlan` needs to run `execution` of `spec`. */
  private setup(spec: LaunchSpec, execution: Execution<unknown>): PlanRunSetup {
    return new LaunchSetup(spec, execution, this.host);
  }

  /** Starts a prepared execution, tracking it while it runs and watching it for idleness. */
  begin<T>({ execution, results }: Planned<T>): Execution<T> {
    const tracked = execution as Execution;
    this.running.add(tracked);
    this.idleWatch.started();
    // The events are made only for observers (an event registration starts an execution per event).
    if (this.host.observed()) this.host.notify({ type: 'executionStarted', execution: tracked });
    execution.onFinish(this.finished);
    execution.start(results);
    return execution;
  }

  /** What `begin` does when an execution finishes: one function for all of them. */
  private readonly finished = (execution: Execution<unknown>): void => {
    this.running.delete(execution);
    this.idleWatch.finished();
    if (this.host.observed()) this.host.notify(finishedEvent(execution));
  };

  /** Status and profile of every execution running now, newest first. */
  runningInfo(): ExecutionInfo[] {
    return [...this.running].reverse().map((e) => e.info());
  }

  /** Stops a running execution with `reason` as its last error; false when none with that id runs. */
  abort(id: string, reason: string): boolean {
    for (const execution of this.running) if (execution.id === id) return execution.abort(reason);
    return false;
  }

  /** Aborts every running execution (the engine closes). */
  abortAll(reason: string): void {
    for (const execution of this.running) execution.abort(reason);
  }
}

/**
 * `runPlan`'s setup of one execution as one object: its hooks are methods, not closures made per execution (an
 * event registration launches one per event).
 */
class LaunchSetup implements PlanRunSetup {
  readonly plan: Plan;
  readonly topology: Topology;
  readonly shards: readonly Shard[];
  readonly initiator: number;
  readonly collect: boolean;
  readonly local: boolean;
  readonly transport: ShardTransport;
  readonly read: LaunchSpec['read'];
  readonly load?: ListInput;
  readonly profile: boolean;
  readonly concurrency: number;
  private readonly router: ShardRouter;
  /** One shard (an event's execution, mostly): its context alone, no Map. */
  private readonly only: RuntimeContext | undefined;
  private readonly contexts: Map<Shard, RuntimeContext> | undefined;

  constructor(
    spec: LaunchSpec,
    readonly execution: Execution<unknown>,
    host: LauncherHost,
  ) {
    const { shards } = spec;
    this.plan = spec.plan;
    this.topology = host.topology;
    this.shards = shards;
    this.initiator = shards.indexOf(spec.initiator);
    this.collect = spec.collect;
    this.local = spec.local;
    this.transport = host.transport;
    this.read = spec.read;
    if (spec.load) this.load = spec.load;
    this.profile = host.config.get('ProfileExecutions') === 1;
    this.concurrency = host.config.get('MaxPendingCallbacks');
    this.router = host.router;
    const { engine } = host;
    const { id } = execution;
    const hook = spec.hook;
    this.only = shards.length === 1 ? runtimeContext(engine, shards[0]!, id, hook) : undefined;
    this.contexts = this.only
      ? undefined
      : new Map(shards.map((shard) => [shard, runtimeContext(engine, shard, id, hook)]));
  }

  slotOwner(slot: number): number {
    return this.local ? 0 : this.shards.indexOf(this.router.shardOfSlot(slot));
  }

  runtime(shard: Shard): RuntimeContext {
    return this.only ?? this.contexts!.get(shard)!;
  }
}

/** The runtime context of an execution's callbacks on `shard`. */
function runtimeContext(
  engine: RuntimeEngine,
  shard: Shard,
  executionId: string,
  hook: HookRuntime | undefined,
): RuntimeContext {
  return hook ? { engine, shard, executionId, ...hook } : { engine, shard, executionId };
}
