import { isObservable, type Observable } from 'rxjs';
import { formatError } from '../errors.ts';
import type { Step } from '../builder/steps.ts';
import type { Plan, RunResult } from '../builder/plan.ts';

export type { RunResult } from '../builder/plan.ts';

/** RedisGears' execution statuses; `pending_cluster` is reported while finished shards wait on the others. */
export type ExecutionStatus =
  | 'created'
  | 'running'
  | 'done'
  | 'aborted'
  | 'pending_cluster'
  | 'pending_receive'
  | 'pending_run'
  | 'pending_termination';

/** Counters of one step, summed over the shards. */
export interface StepStats {
  type: Step['kind'];
  /** The operation the step came from (`countBy`, …) or the kind itself. */
  op: string;
  recordsIn: number;
  recordsOut: number;
  /** Time spent in the step's callbacks, ms; only counted when `ProfileExecutions` is 1. */
  durationMs: number;
}

/** One shard's part in an execution. */
export interface ShardProgress {
  id: string;
  status: 'running' | 'done' | 'aborted';
  /** Its reader finished. */
  readDone: boolean;
}

/** `getExecution()`: an execution's status and profile (RedisGears' RG.GETEXECUTION). */
export interface ExecutionInfo {
  executionId: string;
  status: ExecutionStatus;
  registered: boolean;
  reader: string;
  desc: string | undefined;
  shards: ShardProgress[];
  shardsReceived: number;
  shardsCompleted: number;
  results: number;
  errors: string[];
  /** From start to end (or to now while running), ms. */
  totalDurationMs: number;
  /** From start until the last reader finished, ms (until now while reading). */
  readDurationMs: number;
  steps: StepStats[];
}

/** @internal Where a run reports to its execution: its results, its end (errors go to `reportError`). */
export interface RunOut<T> {
  readonly closed: boolean;
  next(record: T): void;
  error(error: unknown): void;
  complete(): void;
}

/**
 * @internal A plan run that reports to its execution directly instead of through an Observable (`runPlan`'s
 * one-shard fused chain): no subscriber, observer or subscription per execution — an event registration starts
 * one per event. `run` starts it and returns its teardown, if any.
 */
export interface ExecutionRun<T> {
  run(out: RunOut<T>): { unsubscribe(): void } | undefined;
}

/** The execution as its run's output (and as the observer of an Observable run): one object, no closures. */
class ExecutionOut<T> implements RunOut<T> {
  constructor(private readonly execution: Execution<T>) {}

  get closed(): boolean {
    return this.execution.finished;
  }

  next(record: T): void {
    // As a closed subscriber: nothing after the end (a callback that aborted its own execution, say).
    if (!this.execution.finished) this.execution.results.push(record);
  }

  error(error: unknown): void {
    this.execution.reportError(error);
    this.execution.end();
  }

  complete(): void {
    this.execution.end();
  }
}

/**
 * One run of a plan: id, status, results, errors and a profile. Subscribes the plan's results on `start()`
 * and settles `done` when every shard is done or the execution is aborted (results so far are kept).
 */
export class Execution<T = unknown> {
  private state: 'created' | 'running' | 'done' | 'aborted' = 'created';
  readonly results: T[] = [];
  readonly errors: string[] = [];
  readonly createdAt = Date.now();
  startedAt: number | undefined;
  finishedAt: number | undefined;
  readFinishedAt: number | undefined;
  readonly shards: ShardProgress[];
  readonly steps: StepStats[];
  /** Bumped by every record that moves; the idle watchdog compares it between ticks. */
  activity = 0;
  /** `done` and what settles it, made when first asked for (most executions of an event registration never are). */
  private donePromise: Promise<void> | undefined;
  private settle: (() => void) | undefined;
  private subscription: { unsubscribe(): void } | undefined;
  /**
   * One listener, or a list of them when more come (an event registration's execution has three or four, the
   * same few functions for every execution); none send.
   */
  private finishListeners: ((execution: Execution) => void) | ((execution: Execution) => void)[] | undefined;
  private sendersDone: Map<number, number> | undefined;

  constructor(
    readonly id: string,
    readonly plan: Plan,
    shardIds: readonly string[],
    steps: readonly Step[],
    readonly registrationId?: string,
  ) {
    this.shards = shardIds.map((shardId) => ({ id: shardId, status: 'running', readDone: false }));
    this.steps = steps.map((step) => ({ type: step.kind, op: step.op, recordsIn: 0, recordsOut: 0, durationMs: 0 }));
  }

  /** Settles (never rejects) when the execution is done or aborted. */
  get done(): Promise<void> {
    if (!this.donePromise) {
      if (this.finished) this.donePromise = Promise.resolve();
      else this.donePromise = new Promise((resolve) => (this.settle = resolve));
    }
    return this.donePromise;
  }

  get finished(): boolean {
    return this.finishedAt !== undefined;
  }

  /** `running`, or `pending_cluster` while some shards are done and wait on the others. */
  get status(): ExecutionStatus {
    if (this.state !== 'running') return this.state;
    return this.waiting ? 'pending_cluster' : 'running';
  }

  /** Some shard finished its part (reader or whole plan) and others have not: they are waited on. */
  get waiting(): boolean {
    const all = this.shards.length;
    const partly = (n: number): boolean => n > 0 && n < all;
    const done = this.shards.filter((s) => s.status === 'done').length;
    const read = this.shards.filter((s) => s.readDone).length;
    return partly(done) || partly(read) || (this.sendersDone !== undefined && [...this.sendersDone.values()].some(partly));
  }

  /**
   * Waiting on something no reader will end: shards wait on each other, or every reader is done and records
   * are still in callbacks (an async one that has not settled). A reader still reading is not waiting.
   */
  get stalled(): boolean {
    return this.state === 'running' && (this.waiting || this.shards.every((s) => s.readDone));
  }

  /** @internal a shard finished sending at the global step with index `stepIndex`. */
  senderDone(stepIndex: number): void {
    const sendersDone = (this.sendersDone ??= new Map());
    sendersDone.set(stepIndex, (sendersDone.get(stepIndex) ?? 0) + 1);
    this.activity++;
  }

  /** @internal starts consuming the results: an Observable's, or those of a run that reports here directly. */
  start(results: Observable<T> | ExecutionRun<T>): void {
    if (this.state !== 'created') return;
    this.state = 'running';
    this.startedAt = Date.now();
    const out = new ExecutionOut(this);
    this.subscription = isObservable(results) ? results.subscribe(out) : results.run(out);
    // Finished while subscribing (a synchronous source): nothing to keep.
    if (this.finished) this.subscription = undefined;
  }

  /** @internal The run is over (its `complete`): the execution is done. */
  end(): void {
    this.finish('done');
  }

  /**
   * Appends `"<Name>: <message>"` to `errors` — while it runs: an aborted execution's errors end with the
   * reason it was aborted for, not with what its callbacks threw as they were unwound.
   */
  reportError(error: unknown): void {
    if (this.finished) return;
    this.errors.push(formatError(error));
  }

  /** @internal a shard's reader finished. */
  readerDone(index: number): void {
    const shard = this.shards[index];
    if (!shard || shard.readDone) return;
    shard.readDone = true;
    this.activity++;
    if (this.shards.every((s) => s.readDone)) this.readFinishedAt = Date.now();
  }

  /** @internal a shard finished its whole plan. */
  shardDone(index: number): void {
    const shard = this.shards[index];
    if (shard) shard.status = 'done';
    this.activity++;
  }

  /**
   * Stops every shard's readers and pipelines; the results gathered so far stay. Aborting an execution that
   * already finished does nothing and returns false.
   */
  abort(reason?: string): boolean {
    if (this.finished) return false;
    if (reason) this.errors.push(reason);
    this.subscription?.unsubscribe();
    for (const shard of this.shards) if (shard.status === 'running') shard.status = 'aborted';
    this.finish('aborted');
    return true;
  }

  /** Calls `listener` (with this execution) once, when the execution finishes (at once if it has). */
  onFinish(listener: (execution: Execution) => void): void {
    if (this.finished) listener(this);
    else if (!this.finishListeners) this.finishListeners = listener;
    else if (typeof this.finishListeners === 'function') this.finishListeners = [this.finishListeners, listener];
    else this.finishListeners.push(listener);
  }

  /** `{ results, errors }` as the actions return them (copies). */
  result(): RunResult<T> {
    return { results: [...this.results], errors: [...this.errors] };
  }

  /** Status and profile, as `getExecution()` reports them. */
  info(): ExecutionInfo {
    const now = Date.now();
    const start = this.startedAt ?? now;
    return {
      executionId: this.id,
      status: this.status,
      registered: this.registrationId !== undefined,
      reader: this.plan.reader,
      desc: this.plan.desc,
      shards: this.shards.map((s) => ({ ...s })),
      shardsReceived: this.startedAt === undefined ? 0 : this.shards.length,
      shardsCompleted: this.shards.filter((s) => s.status === 'done').length,
      results: this.results.length,
      errors: [...this.errors],
      totalDurationMs: (this.finishedAt ?? now) - start,
      readDurationMs: (this.readFinishedAt ?? this.finishedAt ?? now) - start,
      steps: this.steps.map((s) => ({ ...s })),
    };
  }

  private finish(state: 'done' | 'aborted'): void {
    if (this.finished) return;
    this.state = state;
    this.finishedAt = Date.now();
    this.readFinishedAt ??= this.finishedAt;
    // The pipeline is over: what it holds (operators, the reader, the trigger) need not live as long as this
    // execution is kept for getExecution / getResults.
    this.subscription = undefined;
    this.settle?.();
    const listeners = this.finishListeners;
    this.finishListeners = undefined;
    if (typeof listeners === 'function') listeners(this);
    else if (listeners) for (const listener of listeners) listener(this);
  }
}
