import type { Observable, OperatorFunction, UnaryFunction } from 'rxjs';
import { GearsBuildError, GearsError } from '../errors.ts';
import type { Step } from './steps.ts';
import type { Plan, RunResult } from './plan.ts';
import { describePlan } from './plan.ts';
import type { ReaderName } from '../../readers/index.ts';
import type { ReaderArg, ReaderOptions, RunOptions } from './readerTypes.ts';
import type { RegisterOptions } from './registerOptions.ts';
import type { Group } from '../../operators/localGroupBy.ts';
import type { FlatMapResult } from '../../operators/flatMap.ts';
import { assertLimitArguments } from '../../operators/limit.ts';
import { groupBySteps } from '../../operators/groupBy.ts';
import { batchGroupBySteps } from '../../operators/batchGroupBy.ts';
import { aggregateSteps } from '../../operators/aggregate.ts';
import { aggregateBySteps } from '../../operators/aggregateBy.ts';
import { countSteps } from '../../operators/count.ts';
import { countBySteps } from '../../operators/countBy.ts';
import { avgSteps } from '../../operators/avg.ts';
import { sortOptions, sortSteps, type SortOptions } from '../../operators/sort.ts';
import { distinctSteps } from '../../operators/distinct.ts';

/** What a builder needs from its engine to run. `Gears` implements it. */
export interface PlanRunner {
  register(plan: Plan, options: RegisterOptions): Promise<string>;
  run<T>(plan: Plan, arg: unknown, options: RunOptions & Record<string, unknown>): Promise<RunResult<T> | string>;
  observe<T>(plan: Plan, arg: unknown, options: RunOptions & Record<string, unknown>): Observable<T>;
}

type MaybePromise<T> = T | PromiseLike<T>;

function assertFunction(value: unknown, operation: string): void {
  if (typeof value !== 'function') throw new GearsBuildError(`${operation} argument must be a function`);
}

/**
 * An immutable plan under construction, typed by its record type `T`: every operation returns a new builder
 * (so one builder can be extended in several ways and run many times). Operations record primitive steps;
 * nothing runs before `run()` or `toObservable()`.
 *
 * @example
 * const { results } = await GB().map((r) => r.key).run('person:*')
 */
export class GearsBuilder<T, N extends ReaderName = ReaderName> {
  constructor(
    private readonly runner: PlanRunner,
    /** The recorded plan: reader, default argument, description and primitive steps. */
    readonly plan: Plan,
  ) {}

  private with<R>(...steps: Step[]): GearsBuilder<R, N> {
    return new GearsBuilder<R, N>(this.runner, { ...this.plan, steps: [...this.plan.steps, ...steps] });
  }

  /** One record in, one out; `mapper` may be async. */
  map<R>(mapper: (record: T) => MaybePromise<R>): GearsBuilder<R, N> {
    assertFunction(mapper, 'map');
    return this.with({ kind: 'map', op: 'map', fn: mapper });
  }

  /** One record in, many out: arrays and iterables expand in order, other values are one record. */
  flatMap<R>(expander: (record: T) => MaybePromise<FlatMapResult<R>>): GearsBuilder<R, N> {
    assertFunction(expander, 'flatMap');
    return this.with({ kind: 'flatMap', op: 'flatMap', fn: expander });
  }

  /** Runs `effect` for each record (awaited when async) and passes the record on. */
  forEach(effect: (record: T) => unknown): GearsBuilder<T, N> {
    assertFunction(effect, 'forEach');
    return this.with({ kind: 'forEach', op: 'forEach', fn: effect });
  }

  /** Keeps records for which `predicate` is truthy; a type guard narrows the record type. */
  filter<S extends T>(predicate: (record: T) => record is S): GearsBuilder<S, N>;
  filter(predicate: (record: T) => unknown): GearsBuilder<T, N>;
  filter(predicate: (record: T) => unknown): GearsBuilder<T, N> {
    assertFunction(predicate, 'filter');
    return this.with({ kind: 'filter', op: 'filter', fn: predicate });
  }

  /** Per shard, folds all records into one (`acc` starts `undefined`); nothing on empty input. */
  accumulate<A>(reducer: (accumulator: A | undefined, record: T) => MaybePromise<A>): GearsBuilder<A, N> {
    assertFunction(reducer, 'accumulate');
    return this.with({ kind: 'accumulate', op: 'accumulate', fn: reducer });
  }

  /** Per shard and key, folds records → `{ key, value }`. */
  localGroupBy<A>(
    extractor: (record: T) => unknown,
    reducer: (key: string, accumulator: A | undefined, record: T) => MaybePromise<A>,
  ): GearsBuilder<Group<A>, N> {
    assertFunction(extractor, 'localGroupBy');
    assertFunction(reducer, 'localGroupBy');
    return this.with({ kind: 'localGroupBy', op: 'localGroupBy', extractor, reducer });
  }

  /** At most `length` records after skipping `start`, per shard. */
  limit(length: number, start = 0): GearsBuilder<T, N> {
    assertLimitArguments(length, start);
    return this.with({ kind: 'limit', op: 'limit', length, start });
  }

  /** Global: every record goes to the initiator shard. */
  collect(): GearsBuilder<T, N> {
    return this.with({ kind: 'collect', op: 'collect' });
  }

  /** Global: each record goes to the shard that owns `hashSlot(extractor(record))`. */
  repartition(extractor: (record: T) => unknown): GearsBuilder<T, N> {
    assertFunction(extractor, 'repartition');
    return this.with({ kind: 'repartition', op: 'repartition', extractor });
  }

  /** Repartition by key, then fold each key's records → `{ key, value }`. */
  groupBy<A>(
    extractor: (record: T) => unknown,
    reducer: (key: string, accumulator: A | undefined, record: T) => MaybePromise<A>,
  ): GearsBuilder<Group<A>, N> {
    assertFunction(extractor, 'groupBy');
    assertFunction(reducer, 'groupBy');
    return this.with(...groupBySteps(extractor, reducer as never));
  }

  /** Repartition by key, then `reducer(key, records)` with each key's whole list → `{ key, value }`. */
  batchGroupBy<V>(
    extractor: (record: T) => unknown,
    reducer: (key: string, records: T[]) => MaybePromise<V>,
  ): GearsBuilder<Group<V>, N> {
    assertFunction(extractor, 'batchGroupBy');
    assertFunction(reducer, 'batchGroupBy');
    return this.with(...batchGroupBySteps(extractor, reducer as never));
  }

  /** Local fold from a copy of `zero`, collect, global fold of the shards' results. */
  aggregate<A>(
    zero: A,
    seqOp: (accumulator: A, record: T) => MaybePromise<A>,
    combOp: (accumulator: A, shardResult: A) => MaybePromise<A>,
  ): GearsBuilder<A, N> {
    assertFunction(seqOp, 'aggregate');
    assertFunction(combOp, 'aggregate');
    return this.with(...aggregateSteps(zero, seqOp as never, combOp as never));
  }

  /** Per-key `aggregate` → `{ key, value }`. */
  aggregateBy<A>(
    extractor: (record: T) => unknown,
    zero: A,
    seqOp: (key: string, accumulator: A, record: T) => MaybePromise<A>,
    combOp: (key: string, accumulator: A, partial: A) => MaybePromise<A>,
  ): GearsBuilder<Group<A>, N> {
    assertFunction(extractor, 'aggregateBy');
    assertFunction(seqOp, 'aggregateBy');
    assertFunction(combOp, 'aggregateBy');
    return this.with(...aggregateBySteps(extractor, zero, seqOp as never, combOp as never));
  }

  /** The number of records (0 on empty input). */
  count(): GearsBuilder<number, N> {
    return this.with(...countSteps());
  }

  /** `{ key, value: count }` per key; the extractor defaults to the record itself. */
  countBy(extractor: (record: T) => unknown = (record) => record): GearsBuilder<Group<number>, N> {
    assertFunction(extractor, 'countBy');
    return this.with(...countBySteps(extractor as never));
  }

  /** The mean of `extractor(record)` (default `Number(record)`); nothing on empty input. */
  avg(extractor: (record: T) => unknown = Number): GearsBuilder<number, N> {
    assertFunction(extractor, 'avg');
    return this.with(...avgSteps(extractor as never));
  }

  /** Global sort, ascending by default; `sort(true)` or `sort({ reverse, compare })`. */
  sort(reverseOrOptions?: boolean | SortOptions<T>): GearsBuilder<T, N> {
    const options = sortOptions(reverseOrOptions);
    if (options.compare !== undefined) assertFunction(options.compare, 'sort');
    if (options.reverse !== undefined && typeof options.reverse !== 'boolean') {
      throw new GearsBuildError('sort reverse argument must be a boolean');
    }
    return this.with(...sortSteps(options as SortOptions<never>));
  }

  /** Global de-duplication by value (objects by canonical JSON). */
  distinct(): GearsBuilder<T, N> {
    return this.with(...distinctSteps());
  }

  /** Any RxJS operators as one local step, run on each shard. */
  pipe(): GearsBuilder<T, N>;
  pipe<A>(op1: OperatorFunction<T, A>): GearsBuilder<A, N>;
  pipe<A, B>(op1: OperatorFunction<T, A>, op2: OperatorFunction<A, B>): GearsBuilder<B, N>;
  pipe<A, B, C>(
    op1: OperatorFunction<T, A>,
    op2: OperatorFunction<A, B>,
    op3: OperatorFunction<B, C>,
  ): GearsBuilder<C, N>;
  pipe<A, B, C, D>(
    op1: OperatorFunction<T, A>,
    op2: OperatorFunction<A, B>,
    op3: OperatorFunction<B, C>,
    op4: OperatorFunction<C, D>,
  ): GearsBuilder<D, N>;
  pipe(...operators: UnaryFunction<Observable<never>, Observable<unknown>>[]): GearsBuilder<unknown, N>;
  pipe(...operators: UnaryFunction<Observable<never>, Observable<unknown>>[]): GearsBuilder<unknown, N> {
    operators.forEach((operator) => assertFunction(operator, 'pipe'));
    return this.with({ kind: 'pipe', op: 'pipe', operators: operators as OperatorFunction<unknown, unknown>[] });
  }

  // RedisGears' lower-case names, so scripts port line by line.
  /** Alias of `flatMap`. */
  flatmap<R>(expander: (record: T) => MaybePromise<FlatMapResult<R>>): GearsBuilder<R, N> {
    return this.flatMap(expander);
  }
  /** Alias of `forEach`. */
  foreach(effect: (record: T) => unknown): GearsBuilder<T, N> {
    return this.forEach(effect);
  }
  /** Alias of `localGroupBy`. */
  localgroupby<A>(
    extractor: (record: T) => unknown,
    reducer: (key: string, accumulator: A | undefined, record: T) => MaybePromise<A>,
  ): GearsBuilder<Group<A>, N> {
    return this.localGroupBy(extractor, reducer);
  }
  /** Alias of `groupBy`. */
  groupby<A>(
    extractor: (record: T) => unknown,
    reducer: (key: string, accumulator: A | undefined, record: T) => MaybePromise<A>,
  ): GearsBuilder<Group<A>, N> {
    return this.groupBy(extractor, reducer);
  }
  /** Alias of `batchGroupBy`. */
  batchgroupby<V>(
    extractor: (record: T) => unknown,
    reducer: (key: string, records: T[]) => MaybePromise<V>,
  ): GearsBuilder<Group<V>, N> {
    return this.batchGroupBy(extractor, reducer);
  }
  /** Alias of `aggregateBy`. */
  aggregateby<A>(
    extractor: (record: T) => unknown,
    zero: A,
    seqOp: (key: string, accumulator: A, record: T) => MaybePromise<A>,
    combOp: (key: string, accumulator: A, partial: A) => MaybePromise<A>,
  ): GearsBuilder<Group<A>, N> {
    return this.aggregateBy(extractor, zero, seqOp, combOp);
  }
  /** Alias of `countBy`. */
  countby(extractor?: (record: T) => unknown): GearsBuilder<Group<number>, N> {
    return this.countBy(extractor);
  }

  /**
   * Runs the plan once over the data and resolves with `{ results, errors }`; with `unblocking: true` resolves
   * at once with the execution id instead.
   */
  run(arg?: ReaderArg<N>, options?: RunOptions & ReaderOptions<N> & { unblocking?: false }): Promise<RunResult<T>>;
  run(arg: ReaderArg<N> | undefined, options: RunOptions & ReaderOptions<N> & { unblocking: true }): Promise<string>;
  run(arg?: ReaderArg<N>, options?: RunOptions & ReaderOptions<N>): Promise<RunResult<T> | string>;
  run(
    arg?: ReaderArg<N>,
    options: RunOptions & ReaderOptions<N> = {} as ReaderOptions<N>,
  ): Promise<RunResult<T> | string> {
    return this.runner.run<T>(
      this.plan,
      arg === undefined ? this.plan.defaultArg : arg,
      options as RunOptions & Record<string, unknown>,
    );
  }

  /**
   * The results as an Observable: each subscription runs the plan once, emits records as they reach the
   * initiator, and completes when all shards are done. If any record failed (the errors `run()` would list),
   * it errors at the end with an `ExecutionFailedError` carrying them, after every good record was emitted.
   */
  toObservable(arg?: ReaderArg<N>, options: RunOptions & ReaderOptions<N> = {} as ReaderOptions<N>): Observable<T> {
    return this.runner.observe<T>(
      this.plan,
      arg === undefined ? this.plan.defaultArg : arg,
      options as RunOptions & Record<string, unknown>,
    );
  }

  /**
   * Runs the plan on events instead of once: keyspace events (KeysReader), stream entries (StreamReader) or
   * `gears.trigger()` calls (CommandReader). Resolves with the registration id once it listens on every shard.
   *
   * @example
   * await GB().map((r) => r.key).forEach((k) => log(k)).register('person:*', { eventTypes: ['hset'] });
   */
  register(prefixOrOptions?: string | RegisterOptions, options: RegisterOptions = {}): Promise<string> {
    // RedisGears' first positional argument is the key regex: anything but a string or options is refused.
    if (prefixOrOptions !== undefined && typeof prefixOrOptions !== 'string' && !isOptionsObject(prefixOrOptions))
      return Promise.reject(new GearsError('regex argument must be a string'));
    const merged =
      typeof prefixOrOptions === 'string'
        ? { ...options, prefix: prefixOrOptions }
        : { ...prefixOrOptions, ...options };
    return this.runner.register(this.plan, merged);
  }

  /** The plan as text, one primitive step a line, with the operation each came from. */
  describe(): string {
    return describePlan(this.plan);
  }
}

/** A plain options object (not an array, not null). */
function isOptionsObject(value: unknown): value is RegisterOptions {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
