import { concatMap, defer, EMPTY, filter, finalize, from, ignoreElements, Observable, tap } from 'rxjs';
import type { Shard } from '../cluster/topology.ts';
import { isGlobalStep } from '../builder/steps.ts';
import { GearsError, formatError } from '../errors.ts';
import type { EventControl, EventSource, ReaderContext, Trigger } from '../../readers/types.ts';
import type { Execution, RunResult } from './Execution.ts';
import type { ListInput } from './runPlan.ts';
import type { ExecutionRegistry } from './ExecutionRegistry.ts';
import type { Plan } from '../builder/plan.ts';
import { isPauseError, Registration, type RegistrationInfo } from './Registration.ts';
import { validateRegisterOptions, type RegisterOptions } from '../builder/registerOptions.ts';
import { readerFor } from './options.ts';
import { CommandHooks, type HookCall, type HookRuntime } from './CommandHooks.ts';
import { DEFAULT_CONFIG } from './config.ts';
import { runInContext, type RuntimeContext } from './runtime.ts';

/** What the registrations need from the engine. `Gears` provides it. */
export interface RegistrationHost {
  readonly shards: readonly Shard[];
  readonly executions: ExecutionRegistry;
  /** The default initiator (owner of slot 0). */
  defaultShard(): Shard;
  shardOfKey(key: string): Shard;
  readerContext(shard: Shard): ReaderContext;
  runtime(shard: Shard): RuntimeContext;
  /** Creates and starts an execution. */
  launch(spec: LaunchSpec): Execution;
  log(shard: Shard | undefined, message: string, fields?: Record<string, unknown>): void;
}

export interface LaunchSpec {
  plan: Plan;
  shards: readonly Shard[];
  initiator: Shard;
  collect: boolean;
  local: boolean;
  read: (context: ReaderContext) => Observable<unknown>;
  /** The initiator's input as a list, when the execution runs on it alone: the trigger (`loadInto`, `load`). */
  load?: ListInput;
  registrationId?: string;
  /** Extra runtime context for the callbacks (a hook's `callNext`, `overrideReply`). */
  hook?: HookRuntime;
}

/**
 * Where a registration listens, when not on every shard: a worker process of an app (README "Scaling out")
 * registers each of the app's registrations under the app's id, listens only on the shards whose tasks it
 * holds (re-read by `relisten`), and names its stream consumers after the task, so they follow the task.
 */
export interface RegistrationPlacement {
  id: string;
  listensOn(shard: Shard): boolean;
  /** The stream consumer name on a shard (default `streamConsumerName`). */
  consumer?(shard: Shard): string;
}

/** The event source of a KeysReader registration with `commands`: its shard's keyspace subscription, no trigger. */
const keyspaceOnly: EventSource<unknown> = (context) => context.shard.store.keyspaceEvents().pipe(ignoreElements());

/**
 * The registrations of an engine: `register()` subscribes a reader's event source on every shard and turns
 * each trigger into an execution (kept per registration up to `MaxExecutionsPerRegistration`); CommandReader
 * registrations run on `trigger()`. Also the RedisGears registration commands.
 */
export class Registrations {
  private readonly byId = new Map<string, Registration>();
  private readonly placements = new Map<Registration, RegistrationPlacement>();
  private readonly triggers = new Map<string, Registration>();
  private readonly hooks = new CommandHooks({
    launch: (registration, shard, records, runtime) =>
      this.fire(registration, { shard, records }, false, false, runtime),
  });
  private sequence = 0;
  /** Triggers of `sync` registrations not yet finished, and who waits for them to drain. */
  private syncPending = 0;
  private syncWaiters: (() => void)[] = [];

  constructor(private readonly host: RegistrationHost) {}

  async register(plan: Plan, options: RegisterOptions, placement?: RegistrationPlacement): Promise<string> {
    validateRegisterOptions(readerFor(plan.reader), options);
    const trigger = options.trigger;
    if (trigger !== undefined && this.triggers.has(trigger)) throw new GearsError('trigger already registered');
    if (placement && this.byId.has(placement.id)) throw new GearsError(`registration '${placement.id}' exists`);
    const id = placement?.id ?? `${this.host.defaultShard().id}-${++this.sequence}`;
    const args: Record<string, unknown> = {
      prefix: options.prefix ?? (plan.defaultArg as string | undefined) ?? '*',
      ...options,
    };
    const mode = options.mode ?? 'async';
    const reportsLag = readerFor(plan.reader).reportsLag === true;
    const registration = new Registration(id, plan, mode, options.collect ?? true, args, reportsLag);

    // Command hooks chain: checked (and refused) before anything runs.
    if (options.hook !== undefined) this.hooks.addOverride(registration, options.hook, options.keyPrefix);
    if (options.commands !== undefined) this.hooks.addWatcher(registration, options.commands);
    if (placement) this.placements.set(registration, placement);
    // A placed registration's onRegistered runs where it is placed (the worker, per task it starts).
    if (options.onRegistered && !placement) {
      const onRegistered = options.onRegistered;
      try {
        for (const shard of this.host.shards) await runInContext(this.host.runtime(shard), async () => onRegistered());
      } catch (error) {
        this.hooks.remove(registration);
        throw error;
      }
    }
    this.byId.set(id, registration);
    if (trigger !== undefined) this.triggers.set(trigger, registration);
    try {
      await this.listen(registration);
    } catch (error) {
      this.remove(registration);
      throw error;
    }
    return id;
  }

  /** Stops a registration: no trigger after this returns; with `abortPending` its running executions are aborted. */
  unregister(id: string, options: { abortPending?: boolean } = {}): void {
    const registration = this.get(id);
    this.remove(registration);
    if (options.abortPending) {
      for (const execution of this.host.executions.ofRegistration(id)) execution.abort();
      // As RedisGears: the registration's executions leave dumpExecutions() with it.
      this.host.executions.dropRegistration(id);
    }
  }

  dump(): RegistrationInfo[] {
    return [...this.byId.values()].map((r) => r.info());
  }

  pause(ids: readonly string[]): void {
    const found = ids.map((id) => this.get(id));
    for (const registration of found) registration.status = 'PAUSED';
  }

  unpause(ids: readonly string[]): void {
    const found = ids.map((id) => this.get(id));
    for (const registration of found) if (registration.status === 'PAUSED') registration.status = 'OK';
  }

  clearStats(): void {
    for (const registration of this.byId.values()) registration.clearStats();
  }

  /**
   * Runs a CommandReader registration with the record `[name, ...args]`: on every shard in `async` mode (one
   * result per shard unless the gear collects otherwise), on the default shard otherwise. Resolves with the
   * results; rejects with a GearsError carrying the first error.
   */
  async trigger(name: string, args: readonly unknown[], key?: string): Promise<unknown[]> {
    const registration = this.triggers.get(name);
    if (!registration) throw new GearsError(`unknown trigger '${name}'`);
    const record = key === undefined ? [name, ...args.map(String)] : [name, key, ...args.map(String)];
    const initiator = key === undefined ? this.host.defaultShard() : this.host.shardOfKey(key);
    const everywhere = registration.mode === 'async' && key === undefined;
    // The record goes to every shard taking part, so each runs the gear on it. With `inOrder` one execution
    // at a time, in arrival order (RedisGears' `inorder`).
    const run = (): Execution =>
      this.fire(registration, { shard: initiator, records: from([record]) }, everywhere, everywhere);
    const execution = registration.args['inOrder'] === true ? await registration.inOrder(run) : run();
    await execution.done;
    if (execution.errors.length > 0) {
      throw new GearsError(execution.errors[0]!, { executionId: execution.id });
    }
    return [...execution.results];
  }

  /** Whether an active registration hooks `command` (a CommandReader `hook`, a KeysReader's `commands`). */
  isHooked(command: string): boolean {
    return this.hooks.hooks(command);
  }

  /** Runs the chain of hooks on a command (see `CommandHooks`); `undefined` when none applies. */
  runHook(call: HookCall): Promise<RunResult<unknown> | undefined> {
    return this.hooks.run(call);
  }

  /** Listens again where a placed registration's `listensOn` says now (a worker gained or lost a task). */
  async relisten(id: string): Promise<void> {
    const registration = this.get(id);
    if (registration.active) await this.listen(registration);
  }

  /** Follows a topology change: new shards start listening, gone ones stop. */
  async syncShards(): Promise<void> {
    for (const registration of this.byId.values()) if (registration.active) await this.listen(registration);
  }

  /** Resolves when every `sync` trigger received so far has finished. */
  syncIdle(): Promise<void> {
    if (this.syncPending === 0) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  /** Stops every registration (engine closing). */
  stopAll(): void {
    for (const registration of [...this.byId.values()]) this.remove(registration);
  }

  private get(id: string): Registration {
    const registration = this.byId.get(id);
    if (!registration) throw new GearsError(`registration '${String(id)}' does not exist`);
    return registration;
  }

  private remove(registration: Registration): void {
    registration.stop();
    this.byId.delete(registration.id);
    this.placements.delete(registration);
    for (const [name, r] of this.triggers) if (r === registration) this.triggers.delete(name);
    this.hooks.remove(registration);
  }

  /** Subscribes the reader's event source on every shard not yet listened to (and drops gone shards). */
  private async listen(registration: Registration): Promise<void> {
    const reader = readerFor(registration.plan.reader);
    // With `commands` (KeysReader) the gear runs from the hooks chain only; the keyspace subscription stays
    // open so the chain can see the events its commands cause.
    const source = registration.args['commands'] !== undefined ? keyspaceOnly : reader.events;
    if (!source) return; // CommandReader: runs on trigger()
    const placement = this.placements.get(registration);
    const shards = placement ? this.host.shards.filter((s) => placement.listensOn(s)) : this.host.shards;
    const current = new Set(shards.map((s) => s.id));
    for (const [shardId, subscription] of registration.subscriptions) {
      if (!current.has(shardId)) {
        subscription.unsubscribe();
        registration.subscriptions.delete(shardId);
      }
    }
    const added = shards.filter((shard) => !registration.subscriptions.has(shard.id));
    for (const shard of added) {
      // A paused registration drops its events (a StreamReader's source stops reading by itself instead).
      const control: EventControl = {
        registrationId: registration.id,
        name: typeof registration.args['name'] === 'string' ? registration.args['name'] : 'default',
        ...(placement?.consumer ? { consumer: placement.consumer(shard) } : {}),
        paused: () => registration.paused,
        setStatus: (status) => {
          if (registration.status !== 'PAUSED' || status === 'ABORTED') registration.status = status;
        },
        warn: (message) =>
          this.host.log(shard, `registration ${registration.id}: ${message}`, { registrationId: registration.id }),
      };
      const triggers = source(this.host.readerContext(shard), registration.args, control).pipe(
        filter(() => !registration.paused || !reader.pauseDropsEvents),
      );
      const handled =
        registration.mode === 'sync'
          ? defer(() => {
              // Triggers received and not finished; when the pipeline stops (unregister, close) the rest will
              // never run, so they are un-counted at once and must not keep settleSync() waiting.
              let queued = 0;
              let stopped = false;
              const finished = (count: number): void => {
                queued -= count;
                this.syncQueued(-count);
              };
              return triggers.pipe(
                tap(() => {
                  queued++;
                  this.syncQueued(1);
                }),
                concatMap((t) => this.fireAndWait(registration, t).pipe(finalize(() => stopped || finished(1)))),
                finalize(() => {
                  stopped = true;
                  finished(queued);
                }),
              );
            })
          : // At most `MaxPendingCallbacks` executions in flight per shard; later events wait in order. Unbounded,
            // a burst (or a pause of the process) leaves thousands of executions running at once, each holding
            // its plan's Observables, and the registry's eviction walks them on every event: measured at 5 000
            // events/s on Redis, in-flight executions grew to 17 000 and the process fell behind for good.
            this.fireBounded(registration, triggers, this.inFlight(shard));
      registration.subscriptions.set(
        shard.id,
        handled.subscribe({
          error: (error: unknown) => {
            registration.lastError = formatError(error);
            this.host.log(
              shard,
              `registration ${registration.id} stopped listening on this shard: ${formatError(error)}`,
              { registrationId: registration.id, err: error },
            );
          },
        }),
      );
    }
    // Live before register() returns: events right after it are not missed, refusals surface here.
    await Promise.all(added.map((shard) => shard.store.keyspaceReady()));
  }

  private syncQueued(delta: number): void {
    this.syncPending += delta;
    if (this.syncPending > 0) return;
    for (const resolve of this.syncWaiters.splice(0)) resolve();
  }

  /** Executions a registration may have in flight on one shard (read when it starts listening there). */
  private inFlight(shard: Shard): number {
    const limit = this.host.runtime(shard).engine.configLookup('MaxPendingCallbacks');
    return typeof limit === 'number' && limit > 0 ? limit : DEFAULT_CONFIG.MaxPendingCallbacks;
  }

  /**
   * `triggers.pipe(mergeMap((t) => fireAndWait(t), limit))` without an Observable per trigger: at most `limit`
   * executions in flight, later triggers wait in arrival order and start, as with `mergeMap`, on the turn
   * after an execution finished (its `done` settled). Completes when the triggers did and every execution
   * finished; a trigger source's error (or a failing `fire`) ends it with that error.
   */
  private fireBounded(registration: Registration, triggers: Observable<Trigger>, limit: number): Observable<never> {
    const everywhere = registration.mode === 'async';
    return new Observable<never>((subscriber) => {
      const waiting: Trigger[] = [];
      let active = 0;
      let ended = false;
      // Executions finished since the last release: they make room together, on the next microtask.
      let finished = 0;
      const onFinish = (): void => {
        // As mergeMap's inner completion: after the execution's `done` settles, not inside its finish.
        if (finished++ === 0) queueMicrotask(release);
      };
      const start = (trigger: Trigger): void => {
        active++;
        this.fire(registration, trigger, everywhere).onFinish(onFinish);
      };
      const release = (): void => {
        active -= finished;
        finished = 0;
        if (subscriber.closed) return;
        try {
          while (waiting.length > 0 && active < limit) start(waiting.shift()!);
        } catch (error) {
          subscriber.error(error);
          return;
        }
        if (ended && active === 0 && waiting.length === 0) subscriber.complete();
      };
      const subscription = triggers.subscribe({
        next: (trigger) => {
          if (active >= limit || waiting.length > 0) {
            waiting.push(trigger);
            return;
          }
          try {
            start(trigger);
          } catch (error) {
            subscriber.error(error);
          }
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          ended = true;
          if (active === 0 && waiting.length === 0) subscriber.complete();
        },
      });
      return () => subscription.unsubscribe();
    });
  }

  /** Fires the trigger when subscribed; completes when its execution is done (or aborted). */
  private fireAndWait(registration: Registration, trigger: Trigger, everywhere = false): Observable<never> {
    return new Observable<never>((subscriber) => {
      void this.fire(registration, trigger, everywhere).done.then(() => subscriber.complete());
    });
  }

  /** Starts the execution of one trigger and accounts for it. */
  private fire(
    registration: Registration,
    trigger: Trigger,
    everywhere: boolean,
    recordsEverywhere = false,
    hook?: HookRuntime,
  ): Execution {
    registration.numTriggered++;
    if (trigger.lagMs !== undefined) registration.recordLag(trigger.lagMs);
    // Only the event's shard has input: without a global step the other shards could only idle, so the
    // execution stays local (same results, a fraction of the cost per event).
    if (everywhere && !recordsEverywhere && !registration.plan.steps.some(isGlobalStep)) everywhere = false;
    // Built field by field: no spread temporaries (this runs once per event).
    const spec: LaunchSpec = {
      plan: registration.plan,
      shards: everywhere ? this.host.shards : [trigger.shard],
      initiator: trigger.shard,
      collect: registration.collect,
      local: !everywhere,
      read: (context) => (recordsEverywhere || context.shard === trigger.shard ? trigger.records : EMPTY),
      registrationId: registration.id,
    };
    if ((trigger.loadInto || trigger.load) && !everywhere) spec.load = trigger;
    if (hook) spec.hook = hook;
    const execution = this.host.launch(spec);
    execution.onFinish(() => {
      const status = execution.status === 'aborted' ? 'aborted' : 'done';
      // The gear paused its own registration: paused from now on, and the trigger runs again on unpause.
      const paused = registration.active && execution.errors.some(isPauseError);
      if (paused) registration.status = 'PAUSED';
      else
        registration.recordRun({
          status,
          errors: execution.errors,
          durationMS: (execution.finishedAt ?? Date.now()) - (execution.startedAt ?? Date.now()),
        });
      if (trigger.finished) {
        Promise.resolve()
          .then(() => trigger.finished?.({ status, errors: execution.errors, paused }))
          .catch((error: unknown) => {
            registration.lastError = formatError(error);
            this.host.log(trigger.shard, `registration ${registration.id}: ${formatError(error)}`, {
              registrationId: registration.id,
              err: error,
            });
          });
      }
    });
    return execution;
  }
}
