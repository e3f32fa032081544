import type { Gears } from '../../Gears.ts';
import type { Plan } from '../../builder/plan.ts';
import type { ScriptGuard } from './guard.ts';
import type { EffectLog, ShardCopies } from './shardCopies.ts';

/** A `run()` or `register()` a script started. */
export interface Action {
  kind: 'run' | 'register';
  promise: Promise<unknown>;
}

function track(actions: Action[], kind: Action['kind'], promise: Promise<unknown>): void {
  // Observed here so a failure is never an unhandled rejection, even when the script never awaits it and
  // fails before runScript gets to it; runScript still sees the failure through `promise`.
  promise.catch(() => undefined);
  actions.push({ kind, promise });
}

/**
 * `then`, without a tick when the plan is already there. A `run()` always starts after the script's
 * synchronous code (`defer`): its callbacks then never run inside the script's evaluation, so the
 * `ScriptMaxBlockTime` watchdog can only ever unwind script frames, never the engine's.
 */
function when<T>(value: Plan | Promise<Plan>, next: (plan: Plan) => T | Promise<T>, defer = false): Promise<T> {
  if (value instanceof Promise || defer) return Promise.resolve(value).then(next);
  try {
    return Promise.resolve(next(value));
  } catch (error) {
    return Promise.reject(error as Error);
  }
}

/** What the script's `run()`/`register()` need besides the engine. */
export interface TrackingSetup {
  actions: Action[];
  /** `run()` answers with the execution id at once (RG.JSEXECUTE … UNBLOCKING). */
  unblocking: boolean;
  /** The script's copies on the other shards: each plan gets their closures before it starts. */
  copies: ShardCopies;
  /** Where the primary records its top-level effects for the copies. */
  effects: EffectLog;
  /** Every plan's callbacks are entered through it (a runaway callback is stopped). */
  guard: ScriptGuard;
  /** The script's source, attached to its plans (`plan.origin`) so worker processes can build them again. */
  origin?: { source: string; filename?: string; description?: string };
}

/**
 * The engine as the script's builders see it: `run` and `register` are recorded (so the last action decides
 * the reply), their plans get the per-shard copies' closures, and every `run` is started unblocking so it is
 * listed by `RG.DUMPEXECUTIONS` (and `RG.ABORTEXECUTION` reaches it) while it runs — a blocking one then
 * waits for its results and is dropped, as RedisGears frees a blocking execution once it replied.
 * Everything else is the engine itself.
 */
export function trackingEngine(gears: Gears, setup: TrackingSetup): Gears {
  const { actions, unblocking, copies, effects, guard } = setup;
  // Calls are numbered in the order the script makes them: a worker evaluating the same source finds the same plan.
  const script = {};
  const withOrigin = (plan: Plan, index: number): Plan =>
    setup.origin ? { ...plan, origin: { kind: 'script', ...setup.origin, index, script } } : plan;
  const runListed = async (plan: Plan, arg: unknown, options: Record<string, unknown>): Promise<unknown> => {
    const id = (await gears.run(plan, arg, { ...options, unblocking: true })) as string;
    if (unblocking || options.unblocking === true) return id;
    try {
      return await gears.getResultsBlocking(id);
    } finally {
      // A driver's executions are listed in Redis: dropped there too, before the reply.
      await gears
        .executionCommands()
        .drop(id)
        .catch(() => undefined); // already dropped (RG.DROPEXECUTION from a client, or evicted)
    }
  };
  return new Proxy(gears, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      if (property === 'run') {
        return (plan: Plan, arg: unknown, options: Record<string, unknown> = {}) => {
          const index = actions.length;
          const promise = when(
            copies.planFor(plan),
            (own) => runListed(withOrigin(guard.plan(own), index), arg, options),
            true,
          );
          track(actions, 'run', promise);
          effects.record('run', promise);
          return promise;
        };
      }
      if (property === 'register') {
        return (plan: Plan, ...rest: unknown[]) => {
          const index = actions.length;
          const promise = when(copies.planFor(plan), (own) =>
            method.call(target, withOrigin(guard.plan(own), index), ...rest),
          );
          track(actions, 'register', promise);
          effects.record('register', promise);
          return promise;
        };
      }
      return method.bind(target);
    },
  });
}

/** Unregisters what a failed script registered: a script registers all of its gears or none (as RedisGears). */
export async function rollBack(gears: Gears, actions: readonly Action[]): Promise<void> {
  for (const action of actions) {
    if (action.kind !== 'register') continue;
    const id = await action.promise.then(String, () => undefined);
    if (id === undefined) continue;
    try {
      gears.unregister(id, { abortPending: true });
    } catch {
      // already gone (the script unregistered it itself)
    }
  }
}
