import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Gears } from '../../Gears.ts';
import type { Step } from '../../builder/steps.ts';
import type { Plan } from '../../builder/plan.ts';
import { currentContext, type RuntimeContext } from '../../engine/runtime.ts';
import { GearsError, formatError } from '../../errors.ts';

/** Gear code ran longer than `ScriptMaxBlockTime` without yielding: it was stopped (its execution aborted). */
export class ScriptTimeoutError extends GearsError {
  override readonly name = 'ScriptTimeoutError';
}

/** The heap grew past `ScriptMaxMemory` while gear code ran: that code was stopped (its execution aborted). */
export class ScriptMemoryError extends GearsError {
  override readonly name = 'ScriptMemoryError';
}

const MB = 1024 * 1024;
/** Never let the heap limit sit above this share of V8's own: past V8's limit the process dies. */
const HEAP_LIMIT_SHARE = 0.8;
/**
 * Loop iterations and calls between two clock reads: in a tight loop (~1 ns an iteration) a read every ~30 µs
 * costs under 1 %; an iteration that takes 30 µs delays the stop by at most a second.
 */
const BUDGET = 1 << 15;
/** How many stopped executions the guard remembers (their queued callbacks fail without running). */
const STOPPED_KEPT = 32;
/** The heap is read at most this often (ms): reading it costs ~1 µs. */
const HEAP_EVERY_MS = 1;

/* eslint-disable @typescript-eslint/no-explicit-any -- step callbacks are untyped data (steps.ts). */
type Fn = (...args: any[]) => any;

let gc: (() => void) | undefined;

/**
 * A full garbage collection: the heap of a gear that was just stopped is garbage, not use. `gc` is taken from
 * a context made while `--expose-gc` is on, and the flag is turned off again so scripts' contexts never see it.
 */
function collectGarbage(): void {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    try {
      gc = runInNewContext('gc') as () => void;
    } finally {
      setFlagsFromString('--no-expose-gc');
    }
  }
  gc();
}

const v8HeapLimit = getHeapStatistics().heap_size_limit;

/**
 * The budget behind the checks `instrument()` puts at every loop body and function entry of a script sent as
 * source text. The instrumented code decrements `n`; when it runs out, `check()` reads the clock (and, at most
 * every millisecond, the heap): past `ScriptMaxBlockTime` since the running gear callback was entered (or, for
 * code outside one — the top level, a timer, the part of an async callback after an `await` — since the current
 * run of JavaScript began), or with the heap past `ScriptMaxMemory` even after a garbage collection, it aborts
 * the current execution with the error and throws it. Once tripped, every later check throws again until that
 * code returns, so a gear's own `try/catch` cannot swallow the stop and loop on; a callback that swallows it and
 * returns anyway still fails. One guard serves a script's evaluations on every shard.
 */
export class ScriptGuard {
  /** Checks left before `check()` runs; read and decremented by the instrumented code. */
  n = BUDGET;
  /** Gear callbacks on the stack (entered through `plan()`'s wrappers). */
  private depth = 0;
  /** When `check()` first ran in the current callback (or run of code outside one); 0: not yet. */
  private since = 0;
  private heapReadAt = 0;
  /** The current callback (or run of code) had a garbage collection forced already. */
  private collected = false;
  private turnReset = false;
  private tripped: { error: GearsError; context: RuntimeContext | undefined } | undefined;
  /** Executions stopped lately, with their error: a callback of theirs still queued fails at once. */
  private readonly stopped = new Map<string, GearsError>();

  constructor(private readonly gears: Gears) {}

  /** Called by the instrumented code when `n` ran out. */
  check(): void {
    if (this.tripped) {
      if (this.depth > 0 || currentContext() === this.tripped.context) {
        this.n = -1;
        throw this.tripped.error;
      }
      this.tripped = undefined;
      this.since = 0;
    }
    const now = performance.now();
    if (this.since === 0) {
      this.since = now;
      this.collected = false;
      if (this.depth === 0) this.resetNextTurn();
    } else {
      const limit = Number(this.gears.configGet('ScriptMaxBlockTime')[0]);
      if (now - this.since > limit) this.trip(new ScriptTimeoutError(this.timeoutMessage(limit)));
    }
    if (now - this.heapReadAt >= HEAP_EVERY_MS) {
      this.heapReadAt = now;
      this.checkHeap();
    }
    this.n = BUDGET;
  }

  /**
   * The plan with every callback of its steps (and of each shard's steps) entered through the guard: each
   * call gets its own `ScriptMaxBlockTime`, and a call that was stopped fails even if it swallowed the stop.
   */
  plan(plan: Plan): Plan {
    const guarded = (steps: readonly Step[]): Step[] => steps.map((step) => this.step(step));
    const shardSteps = plan.shardSteps
      ? new Map([...plan.shardSteps].map(([shard, steps]) => [shard, guarded(steps)]))
      : undefined;
    return { ...plan, steps: guarded(plan.steps), ...(shardSteps ? { shardSteps } : {}) };
  }

  private step(step: Step): Step {
    switch (step.kind) {
      case 'map':
      case 'flatMap':
      case 'forEach':
      case 'filter':
        return { ...step, fn: this.wrap(step.fn) };
      case 'accumulate':
        return { ...step, fn: this.wrap(step.fn, 2), ...(step.zero ? { zero: this.wrap(step.zero, 0) } : {}) };
      case 'localGroupBy':
        return {
          ...step,
          extractor: this.wrap(step.extractor),
          reducer: this.wrap(step.reducer, 3),
          ...(step.zero ? { zero: this.wrap(step.zero, 0) } : {}),
        };
      case 'repartition':
        return { ...step, extractor: this.wrap(step.extractor) };
      case 'limit':
      case 'pipe':
      case 'collect':
        return step;
    }
  }

  /**
   * `fn` entered through the guard, called with exactly `arity` arguments as the engine calls step callbacks (no
   * `this`, no rest parameters or `arguments` object: this runs once per record; the arity test costs ~1 ns).
   */
  private wrap<F extends Fn>(fn: F, arity: 0 | 1 | 2 | 3 = 1): F {
    const call = fn as (a?: unknown, b?: unknown, c?: unknown) => unknown;
    const wrapped = (a?: unknown, b?: unknown, c?: unknown): unknown => {
      if (this.depth++ === 0) {
        this.since = 0;
        this.tripped = undefined;
        if (this.stopped.size > 0) this.refuseStopped();
      }
      let result: unknown;
      try {
        result = arity === 1 ? call(a) : arity === 2 ? call(a, b) : arity === 3 ? call(a, b, c) : call();
      } catch (error) {
        if (--this.depth === 0) this.since = 0;
        throw error;
      }
      // Code after the callback (an `await` continuation, a timer) starts a time budget of its own.
      if (--this.depth === 0) {
        this.since = 0;
        if (this.tripped) throw this.tripped.error;
      }
      return result;
    };
    return wrapped as F;
  }

  private trip(error: GearsError): never {
    const context = currentContext();
    this.tripped = { error, context };
    this.n = -1;
    // The execution stops on every shard: its other records would each run into the limit again.
    const id = context?.executionId;
    if (id !== undefined) {
      this.gears.abortRunning(id, formatError(error));
      this.stopped.set(id, error);
      if (this.stopped.size > STOPPED_KEPT) this.stopped.delete(this.stopped.keys().next().value!);
    }
    throw error;
  }

  /** Entering a callback of an execution stopped lately: it fails at once, without running. */
  private refuseStopped(): void {
    const id = currentContext()?.executionId;
    const error = id === undefined ? undefined : this.stopped.get(id);
    if (error) {
      this.depth--;
      throw error;
    }
  }

  private timeoutMessage(limit: number): string {
    const what = this.depth > 0 ? 'a gear callback' : 'the script';
    return `Execution timed out: ${what} ran longer than ScriptMaxBlockTime (${limit} ms) without yielding`;
  }

  private checkHeap(): void {
    const limit = Math.min(Number(this.gears.configGet('ScriptMaxMemory')[0]) * MB, v8HeapLimit * HEAP_LIMIT_SHARE);
    if (getHeapStatistics().used_heap_size <= limit) return;
    if (!this.collected) {
      // Once per callback: what is over the limit may be garbage (left by a gear stopped a moment ago).
      this.collected = true;
      collectGarbage();
      if (getHeapStatistics().used_heap_size <= limit) return;
    }
    this.trip(
      new ScriptMemoryError(
        `Execution stopped: the heap grew past ScriptMaxMemory (${Math.round(limit / MB)} MB) while gear code ran`,
      ),
    );
  }

  /** Code outside a callback gets a new time budget once the event loop turns (it then yielded). */
  private resetNextTurn(): void {
    if (this.turnReset) return;
    this.turnReset = true;
    setImmediate(() => {
      this.turnReset = false;
      if (this.depth > 0) return;
      this.since = 0;
      this.tripped = undefined;
    });
  }
}
