import type { Observable } from 'rxjs';
import type { RunOptions } from '../builder/readerTypes.ts';
import type { ShardRouter } from '../cluster/ShardRouter.ts';
import type { Shard, Topology } from '../cluster/topology.ts';
import type { ShardTransport } from '../cluster/transport.ts';
import { GearsError } from '../errors.ts';
import type { ConfigStore } from './config.ts';
import { Execution, type ExecutionInfo } from './Execution.ts';
import { IdleWatch } from './IdleWatch.ts';
import { finishedEvent, type GearsEvent } from './observer.ts';
import { readerFor, validateRun } from './options.ts';
import type { Plan } from '../builder/plan.ts';
import type { LaunchSpec } from './registrations.ts';
import { executionSteps, runPlan } from './runPlan.ts';
import type { RuntimeContext, RuntimeEngine } from './runtime.ts';

/** An execution and the Observable of its results, not yet subscribed. */
export interface Prepared<T> {
  execution: Execution<T>;
  results: Observable<T>;
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
    this.idleWatch = new IdleWatch(() => host.config.get('ExecutionMaxIdleTime'));
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
    return this.plan<T>({
      plan,
      shards: local ? [initiator] : all,
      initiator,
      collect,
      local,
      read: (context) => read(context, arg, readerOptions),
    });
  }

  /** An execution of `spec.plan` over `spec.shards` and the Observable of its results (not yet subscribed). */
  plan<T>(spec: LaunchSpec): Prepared<T> {
    const { plan, shards, initiator, collect, local } = spec;
    const { engine, topology, router, transport, config } = this.host;
    const id = `${initiator.id}-${++this.sequence}`;
    const execution = new Execution<T>(
      id,
      plan,
      shards.map((s) => s.id),
      executionSteps(plan, collect, local),
      spec.registrationId,
    );
    const context = (shard: Shard): RuntimeContext => ({ engine, shard, executionId: id, ...spec.hook });
    // One shard (an event's execution, mostly): its context alone, no Map.
    const only = shards.length === 1 ? context(shards[0]!) : undefined;
    const contexts = only ? undefined : new Map<Shard, RuntimeContext>(shards.map((shard) => [shard, context(shard)]));
    const results = runPlan({
      plan,
      topology,
      shards,
      initiator: shards.indexOf(initiator),
      collect,
      local,
      transport,
      slotOwner: (slot) => (local ? 0 : shards.indexOf(router.shardOfSlot(slot))),
      read: spec.read,
      ...(spec.load ? { load: spec.load } : {}),
      runtime: (shard) => only ?? contexts!.get(shard)!,
      execution: execution as Execution,
      profile: config.get('ProfileExecutions') === 1,
      concurrency: config.get('MaxPendingCallbacks'),
    }) as Observable<T>;
    return { execution, results };
  }

  /** Subscribes a prepared execution, tracking it while it runs and watching it for idleness. */
  begin<T>({ execution, results }: Prepared<T>): Execution<T> {
    const tracked = execution as Execution;
    this.running.add(tracked);
    this.idleWatch.add(tracked);
    // The events are made only for observers (an event registration starts an execution per event).
    if (this.host.observed()) this.host.notify({ type: 'executionStarted', execution: tracked });
    execution.onFinish(() => {
      this.running.delete(tracked);
      this.idleWatch.remove(tracked);
      if (this.host.observed()) this.host.notify(finishedEvent(tracked));
    });
    execution.start(results);
    return execution;
  }

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
