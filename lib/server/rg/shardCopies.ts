import { NEVER } from 'rxjs';
import type { Gears, GBFunction } from '../../Gears.ts';
import { GearsBuilder, type PlanRunner } from '../../builder/GearsBuilder.ts';
import type { Step } from '../../builder/steps.ts';
import type { Shard } from '../../cluster/topology.ts';
import type { Plan } from '../../builder/plan.ts';
import { currentContext, type RuntimeContext } from '../../engine/runtime.ts';

/** What a script's top level does that reaches the engine: a builder action, or a runtime call (`execute`, `atomic`). */
export type EffectKind = 'run' | 'register' | 'call';

interface Effect {
  kind: EffectKind;
  promise: Promise<unknown>;
}

/**
 * How long the primary evaluation waits, at a `run()` or `register()`, for a copy that has not built the same
 * plan yet (it awaits something the primary already got past). A copy that takes longer has diverged: that
 * plan runs with the primary's callbacks on its shard.
 */
export const COPY_WAIT_MS = 1000;

/** A promise that never settles, made per use so reactions on it do not pile up on one object. */
const never = (): Promise<never> => new Promise<never>(() => undefined);

/**
 * The primary evaluation's top-level effects, in order. The copies' top levels get the primary's outcomes
 * instead of making their own: one `execute('SET', …)` at top level writes once, not once per shard.
 */
export class EffectLog {
  private effects: Effect[] = [];
  private readonly waiting = new Map<number, ((effect: Effect) => void)[]>();
  private closed = false;

  record(kind: EffectKind, promise: Promise<unknown>): void {
    if (this.closed) return;
    const effect = { kind, promise };
    this.effects.push(effect);
    const index = this.effects.length - 1;
    const waiters = this.waiting.get(index);
    this.waiting.delete(index);
    for (const wake of waiters ?? []) wake(effect);
  }

  /** The primary's effect number `index`, once it made it; never settles when it never will. */
  effect(index: number): Promise<Effect> {
    const known = this.effects[index];
    if (known) return Promise.resolve(known);
    if (this.closed) return never();
    return new Promise((resolve) => {
      const waiters = this.waiting.get(index) ?? [];
      waiters.push(resolve);
      this.waiting.set(index, waiters);
    });
  }

  /** The script finished: later top-level effects of copies (timers) get no answer; memory is let go. */
  close(): void {
    this.closed = true;
    this.effects = [];
    this.waiting.clear();
  }
}

/**
 * The script evaluated once more for one shard: the plans its builders record (matched to the primary's by
 * order) carry this shard's own closures, so the script's top-level bindings are per shard as in RedisGears.
 * Its top level reaches nothing: `run`/`register`/`execute`/`atomic` there answer with the primary's outcome.
 */
export class ShardCopy {
  /** The plans of its `run()`/`register()` calls by call number, until the primary takes them. */
  private readonly plans = new Map<number, Plan>();
  /** How many `run()`/`register()` calls it made. */
  private actions = 0;
  /** Its top level threw or rejected, or answered unlike the primary: no more plans are waited for. */
  stopped = false;
  readonly top: RuntimeContext;
  private next = 0;
  private readonly listeners = new Set<() => void>();

  constructor(
    readonly shard: Shard,
    private readonly log: EffectLog,
    gears: Gears,
  ) {
    this.top = { engine: gears, shard, executionId: undefined };
  }

  /** `GB` for this copy: its builders record plans for the primary to pick up. */
  builder(gears: Gears, description: string | undefined): GBFunction {
    const runner: PlanRunner = {
      run: (plan) => this.action('run', plan) as Promise<never>,
      register: (plan) => this.action('register', plan) as Promise<string>,
      observe: () => NEVER,
    };
    return (reader, defaultArg, desc) =>
      new GearsBuilder(runner, gears.GB(reader, defaultArg, desc ?? description).plan) as never;
  }

  /** A runtime helper for this copy: mirrored at its top level, itself inside gear callbacks. */
  helper(real: (...args: never[]) => unknown): (...args: never[]) => unknown {
    return (...args) => (currentContext() === this.top ? this.mirror('call') : real(...args));
  }

  /** A helper with no outcome (`log`): silent at this copy's top level, itself inside gear callbacks. */
  quiet(real: (...args: never[]) => unknown): (...args: never[]) => unknown {
    return (...args) => (currentContext() === this.top ? undefined : real(...args));
  }

  stop(): void {
    this.stopped = true;
    this.changed();
  }

  /** Whether the copy built plan number `index`, or never will. */
  reached(index: number): boolean {
    return this.stopped || this.actions > index;
  }

  /** Its plan number `index`, handed over once (a script with a timer that runs gears must not pile them up). */
  take(index: number): Plan | undefined {
    const plan = this.plans.get(index);
    this.plans.delete(index);
    return plan;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private action(kind: EffectKind, plan: Plan): Promise<unknown> {
    this.plans.set(this.actions++, plan);
    this.changed();
    return this.mirror(kind);
  }

  private mirror(kind: EffectKind): Promise<unknown> {
    const answer = this.log.effect(this.next++).then((effect) => {
      if (effect.kind === kind) return effect.promise;
      this.stop();
      return never();
    });
    // As the primary's actions are: a failure the copy leaves unobserved is no unhandled rejection.
    answer.catch(() => undefined);
    return answer;
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}

/** Same reader and the same kinds of steps: the copy built the plan the primary did. */
function sameShape(a: Plan, b: Plan): boolean {
  return (
    a.reader === b.reader && a.steps.length === b.steps.length && a.steps.every((s, i) => s.kind === b.steps[i]!.kind)
  );
}

/** The copies of one script run, one per shard other than the primary's. */
export class ShardCopies {
  private actions = 0;

  constructor(
    readonly copies: readonly ShardCopy[],
    private readonly warn: (message: string) => void,
  ) {}

  /**
   * The primary's plan for its next `run()`/`register()`, with each copy's steps for its shard
   * (`plan.shardSteps`). Waits (at most COPY_WAIT_MS) for copies that have not built that plan yet.
   */
  planFor(plan: Plan): Plan | Promise<Plan> {
    const index = this.actions++;
    const lagging = this.copies.filter((copy) => !copy.reached(index));
    if (lagging.length === 0) return this.withCopies(plan, index);
    return new Promise<Plan>((resolve) => {
      const unsubscribe: (() => void)[] = [];
      const timer = setTimeout(() => {
        for (const copy of lagging) if (!copy.reached(index)) copy.stop();
      }, COPY_WAIT_MS);
      timer.unref();
      const check = (): void => {
        if (!lagging.every((copy) => copy.reached(index))) return;
        clearTimeout(timer);
        for (const stop of unsubscribe) stop();
        resolve(this.withCopies(plan, index));
      };
      for (const copy of lagging) unsubscribe.push(copy.onChange(check));
    });
  }

  private withCopies(plan: Plan, index: number): Plan {
    if (this.copies.length === 0) return plan;
    const shardSteps = new Map<string, readonly Step[]>();
    for (const copy of this.copies) {
      const theirs = copy.take(index);
      if (theirs && sameShape(theirs, plan)) shardSteps.set(copy.shard.id, theirs.steps);
      else {
        this.warn(
          `the script's top level did not build the same gear on shard ${copy.shard.id} (it depends on the ` +
            'shard, or failed there): that shard runs the gear with the initiator’s callbacks',
        );
      }
    }
    return { ...plan, shardSteps };
  }
}
