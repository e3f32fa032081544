import {
  catchError,
  EMPTY,
  Observable,
  tap,
  type MonoTypeOperatorFunction,
  type Subscriber,
  type Subscription,
} from 'rxjs';
import { isGlobalStep, type GlobalStep, type Step } from '../builder/steps.ts';
import type { Shard, Topology } from '../cluster/topology.ts';
import { sender, type ShardLink, type ShardTransport } from '../cluster/transport.ts';
import { hashSlot } from '../cluster/slots.ts';
import { stepOperator } from '../../operators/internal/stepOperator.ts';
import {
  FusedInput,
  fusedSteps,
  type FusedLink,
  type FusedOptions,
  type FusedOut,
} from '../../operators/internal/fused.ts';
import { accumulateFold } from '../../operators/accumulate.ts';
import { localGroupByFold } from '../../operators/localGroupBy.ts';
import { extractKey } from '../../operators/internal/keys.ts';
import { isPromiseLike, whileOpen } from '../rx/index.ts';
import type { ReaderContext } from '../../readers/types.ts';
import type { Plan } from '../builder/plan.ts';
import { bindToContext, currentContext, runInContext, type RuntimeContext } from './runtime.ts';
import type { Execution, ExecutionRun, RunOut, StepStats } from './Execution.ts';
import type { LoadSink, Trigger } from '../../readers/types.ts';

/** Everything one execution of a plan needs to know. */
export interface PlanRunSetup {
  plan: Plan;
  topology: Topology;
  /** The shards taking part, in topology order (all in `async` mode, the initiator alone in `async_local`). */
  shards: readonly Shard[];
  /** Index in `shards` of the initiator: where `collect` gathers and results come from. */
  initiator: number;
  /** Gather every shard's output at the initiator at the end (run's `collect` option). */
  collect: boolean;
  /** Mode `async_local`: global steps are no-ops. */
  local: boolean;
  /** Moves records at global steps; this process opens a link for each shard it runs. */
  transport: ShardTransport;
  /**
   * The shards (indices in `shards`) this process runs; default all of them. A worker process runs the shards
   * it holds leases for, and the transport carries records to and from the others.
   */
  owned?: readonly number[];
  /** The shard index (in `shards`) that owns a hash slot, or -1. */
  slotOwner(slot: number): number;
  /** A shard's stage-0 input: the reader on that shard. */
  read(context: ReaderContext): Observable<unknown>;
  /**
   * The same input as a list, for an execution on one shard (a trigger's records: `Trigger.loadInto`, or else
   * `Trigger.load`, called as its methods): when given, a one-shard plan takes it instead of subscribing
   * `read`'s Observable.
   */
  load?: ListInput;
  /** The runtime context callbacks of `shard` run in. */
  runtime(shard: Shard): RuntimeContext;
  /** Where errors, counters and shard progress go. */
  execution: Execution<unknown>;
  /** Time each step's callbacks (`ProfileExecutions`). */
  profile: boolean;
  /** Most async callbacks pending per step and shard. */
  concurrency: number;
}

/** An execution's input as a list: a trigger's (`loadInto` when it has one, else `load`). */
export type ListInput = Pick<Trigger, 'load' | 'loadInto'>;

/** What is worked out once per plan and shape of run (collect, local) instead of once per execution. */
interface Compiled {
  steps: readonly Step[];
  /** The fused chain's links (`fusable` plans), made on the first one-shard run without `ProfileExecutions`. */
  links?: readonly FusedLink[];
  /** No global step and every step fusable: a one-shard execution runs as one fused chain (`directRun`). */
  fusable: boolean;
}

const compiledPlans = new WeakMap<Plan, Compiled[]>();

/** The steps of `executionSteps`, and whether they fuse, computed once per plan (a registration's, say). */
function compile(plan: Plan, collect: boolean, local: boolean): Compiled {
  let cache = compiledPlans.get(plan);
  if (!cache) compiledPlans.set(plan, (cache = []));
  const slot = (collect && !local ? 1 : 0) + (local ? 2 : 0);
  let compiled = cache[slot];
  if (!compiled) {
    const steps = collect && !local ? [...plan.steps, { kind: 'collect', op: 'run' } as Step] : [...plan.steps];
    const fusable = steps.every((step) => !isGlobalStep(step) && FUSABLE.has(step.kind));
    compiled = cache[slot] = { steps, fusable };
  }
  return compiled;
}

const FUSABLE = new Set<Step['kind']>(['map', 'flatMap', 'forEach', 'filter', 'accumulate', 'localGroupBy']);

/** The steps an execution runs: the plan's, plus the final collect of `run({ collect: true })`. */
export function executionSteps(plan: Plan, collect: boolean, local: boolean): readonly Step[] {
  return compile(plan, collect, local).steps;
}

/**
 * Builds the Observable of an execution's results, as DESIGN.md §1 draws it: every shard runs stage 0 on its
 * own reader; at a `collect` every shard's output goes to the initiator; at a `repartition(extractor)` each
 * record goes to the owner of `hashSlot(extractor(record))`; the last stage's output on the initiator is the
 * result. Every shard's pipeline is subscribed (their side effects happen even when only the initiator's
 * records are kept). Nothing runs until the returned Observable is subscribed.
 */
export function runPlan(setup: PlanRunSetup): Observable<unknown> {
  const compiled = compile(setup.plan, setup.collect, setup.local);
  if (isDirect(setup, compiled)) return directRun(setup, compiled);
  return graphRun(setup, compiled);
}

/**
 * `runPlan` for an execution that consumes its own results (`Execution.start`): a one-shard fused chain reports
 * to the execution directly (`ExecutionRun`), with no Observable and subscriber between them — what an event
 * registration's execution is, once per event; any other plan is `runPlan`'s Observable.
 */
export function executionRun(setup: PlanRunSetup): Observable<unknown> | ExecutionRun<unknown> {
  const compiled = compile(setup.plan, setup.collect, setup.local);
  if (isDirect(setup, compiled)) return new DirectStart(setup, compiled);
  return graphRun(setup, compiled);
}

/** The run is one fused chain on one shard (`directRun`). */
function isDirect(setup: PlanRunSetup, compiled: Compiled): boolean {
  return compiled.fusable && setup.shards.length === 1 && (setup.owned === undefined || setup.owned.length === 1);
}

/** Every other run: stages, exchanges at the global steps, the initiator's results. */
function graphRun(setup: PlanRunSetup, compiled: Compiled): Observable<unknown> {
  const { shards, initiator, execution } = setup;
  const report = (error: unknown): void => execution.reportError(error);
  const stats = execution.steps;
  const owned = setup.owned ?? shards.map((_, s) => s);
  const links: ShardLink<unknown>[] = [];

  // One stream per owned shard, in `owned` order: its reader, whose errors and end the first stage handles.
  let streams: Observable<unknown>[] = owned.map((s) => {
    const shard = shards[s]!;
    const context = setup.runtime(shard);
    const readerContext: ReaderContext = {
      shard,
      topology: setup.topology,
      owns: (key) => shards[setup.slotOwner(hashSlot(key))] === shard,
      invoke: (fn) => runInContext(context, fn),
      ...(setup.transport.demand ? { demand: () => setup.transport.demand!() } : {}),
    };
    return setup.read(readerContext);
  });
  let readers: ReaderEnd[] | undefined = owned.map((s) => ({ error: report, done: () => execution.readerDone(s) }));

  const steps = compiled.steps;
  let local: { step: Step; stat: StepStats; index: number }[] = [];
  for (let i = 0; i <= steps.length; i++) {
    const step = steps[i];
    if (step && !isGlobalStep(step)) {
      local.push({ step, stat: stats[i]!, index: i });
      continue;
    }
    // A stage ends here: its local steps run on every shard.
    const stage = local;
    const ends = readers;
    local = [];
    readers = undefined;
    streams = streams.map((input, o) => {
      const shard = shards[owned[o]!]!;
      const own = setup.plan.shardSteps?.get(shard.id);
      const shardStage = stage.map(({ step: localStep, stat, index }) => ({ step: own?.[index] ?? localStep, stat }));
      return stageStream(input, ends?.[o], shardStage, setup.runtime(shard), setup);
    });
    // In async_local mode global steps are no-ops.
    if (step && !setup.local) streams = exchange(streams, owned, step as GlobalStep, i, setup, links);
  }
  return initiatorResults(streams, owned, initiator, execution, links);
}

/**
 * A one-shard execution whose steps all fuse (no global step): the reader's records — or the trigger's list,
 * `setup.load` — go straight into one fused chain whose end is the execution's results. It computes what the
 * general graph computes for it (one stage, one shard, the initiator) without its layers: no stage
 * Observables, no `initiatorResults`, no `takeWhile` per stage. This is what an event registration's execution
 * usually is (`GB().forEach(…).register()`), and what it costs per event matters (bench/README, workload 4).
 */
function directRun(setup: PlanRunSetup, compiled: Compiled): Observable<unknown> {
  return new Observable<unknown>((subscriber) => {
    const run = new DirectRun(setup, compiled, subscriber);
    return run.start();
  });
}

/** `directRun` as an `ExecutionRun`: the execution is the chain's output. */
class DirectStart implements ExecutionRun<unknown> {
  constructor(
    private readonly setup: PlanRunSetup,
    private readonly compiled: Compiled,
  ) {}

  run(out: RunOut<unknown>): Subscription | undefined {
    return new DirectRun(this.setup, this.compiled, out).start();
  }
}

/**
 * One subscription of `directRun`: the chain's options and its output in one object (no closure per hook, as
 * this is made once per event).
 */
class DirectRun implements FusedOptions, FusedOut, LoadSink {
  readonly concurrency: number;
  /**
   * Reading from the reader's Observable, each record enters the runtime context on its own (`wrap`); a list
   * input (a trigger's) enters it once for the whole list, so the chain needs no wrapped entries.
   */
  readonly wrap?: <A, B>(fn: (a: A, b: B) => void) => (a: A, b: B) => void;
  private readonly s: number;
  private readonly shard: Shard;
  private readonly context: RuntimeContext;
  private readonly input: FusedInput;
  private ended = false;

  constructor(
    private readonly setup: PlanRunSetup,
    compiled: Compiled,
    private readonly subscriber: Subscriber<unknown> | RunOut<unknown>,
  ) {
    const { execution } = setup;
    this.concurrency = setup.concurrency;
    this.s = setup.owned?.[0] ?? 0;
    this.shard = setup.shards[this.s]!;
    this.context = setup.runtime(this.shard);
    if (!setup.load) this.wrap = (fn) => bindToContext(this.context, fn, 2);
    const own = setup.plan.shardSteps?.get(this.shard.id);
    if (!own && !setup.profile) {
      // The links of the plan, made once: this chain's counters come from the execution, by position.
      compiled.links ??= compiled.steps.map((step) => fusedLink(step, undefined)!);
      this.input = new FusedInput(compiled.links, this, this, execution.steps);
      return;
    }
    const steps = compiled.steps;
    const links: FusedLink[] = [];
    for (let i = 0; i < steps.length; i++) {
      const stat = execution.steps[i]!;
      const step = own?.[i] ?? steps[i]!;
      links.push(fusedLink(setup.profile ? bindStep(step, this.context, stat) : step, stat)!);
    }
    this.input = new FusedInput(links, this, this);
  }

  /** Feeds the chain from the list input or the reader; returns the teardown. */
  start(): Subscription | undefined {
    const { setup, input } = this;
    const list = setup.load;
    if (list) {
      let records: readonly unknown[] | PromiseLike<readonly unknown[]>;
      try {
        if (list.loadInto) {
          list.loadInto(this);
          return undefined;
        }
        records = list.load!();
      } catch (error) {
        input.error(error);
        return undefined;
      }
      if (isPromiseLike(records))
        records.then(
          (loaded) => this.loaded(loaded),
          (error: unknown) => this.failed(error),
        );
      else this.loaded(records);
      return undefined;
    }
    const { shard, context } = this;
    const shards = setup.shards;
    const readerContext: ReaderContext = {
      shard,
      topology: setup.topology,
      owns: (key) => shards[setup.slotOwner(hashSlot(key))] === shard,
      invoke: (fn) => runInContext(context, fn),
    };
    return setup.read(readerContext).pipe(whileOpen(this.subscriber)).subscribe(input);
  }

  // LoadSink: the list input's records, all of them inside the shard's runtime context.
  loaded(records: readonly unknown[]): void {
    if (currentContext() === this.context) this.pushAll(records);
    else runInContext(this.context, pushAllOf, this, records);
  }

  failed(error: unknown): void {
    if (!this.closed) this.input.error(error);
  }

  /** @internal (`pushAllOf`) */
  pushAll(records: readonly unknown[]): void {
    for (let i = 0; i < records.length && !this.closed; i++) this.input.next(records[i]);
    if (!this.closed) this.input.complete();
  }

  // FusedOptions
  onError(error: unknown): void {
    this.setup.execution.reportError(error);
  }

  touch(): void {
    this.setup.execution.activity++;
  }

  sourceError(error: unknown): void {
    this.setup.execution.reportError(error);
  }

  sourceDone(): void {
    this.setup.execution.readerDone(this.s);
  }

  // FusedOut: the initiator's records are the results; the end of the chain is the shard's end.
  get closed(): boolean {
    return this.ended || this.subscriber.closed;
  }

  next(record: unknown): void {
    if (this.s === this.setup.initiator) this.subscriber.next(record);
  }

  error(error: unknown): void {
    if (this.ended) return;
    this.setup.execution.reportError(error);
    this.complete();
  }

  complete(): void {
    if (this.ended) return;
    this.ended = true;
    this.setup.execution.shardDone(this.s);
    this.subscriber.complete();
  }
}

/** `run.pushAll(records)`, as a function `runInContext` can call without a closure. */
function pushAllOf(run: DirectRun, records: readonly unknown[]): void {
  run.pushAll(records);
}

/** A step as a link of a fused chain (`fusedSteps`), or undefined for the steps that stay operators. */
function fusedLink(step: Step, stat: StepStats | undefined): FusedLink | undefined {
  switch (step.kind) {
    case 'map':
    case 'flatMap':
    case 'forEach':
    case 'filter':
      return stat ? { kind: step.kind, fn: step.fn, stat } : { kind: step.kind, fn: step.fn };
    case 'accumulate':
      return {
        kind: 'fold',
        open: accumulateFold(step.fn, {
          ...(step.zero ? { zero: step.zero } : {}),
          ...(step.emitEmpty ? { emitEmpty: true } : {}),
        }),
        ...(stat ? { stat } : {}),
      };
    case 'localGroupBy':
      return {
        kind: 'fold',
        open: localGroupByFold(step.extractor, step.reducer, step.zero ? { zero: step.zero } : {}),
        ...(stat ? { stat } : {}),
      };
    default:
      return undefined;
  }
}

/** What the first stage does when its shard's reader fails or ends. */
interface ReaderEnd {
  error(error: unknown): void;
  done(): void;
}

/**
 * One stage's local steps on one shard, after `input` (a reader, whose errors and end `reader` handles, or a
 * shard's inbox). Runs of map, flatMap, forEach, filter, accumulate and localGroupBy steps become one fused
 * operator that counts its own steps' records and enters the shard's runtime context once per record; every
 * other step is its own operator with its callbacks bound, and one counting layer between it and its
 * neighbours (out of the one before, into the one after). Whether a callback turns out async does not matter:
 * a fused link awaits a Promise as its own operator would (`fusedSteps`).
 */
function stageStream(
  input: Observable<unknown>,
  reader: ReaderEnd | undefined,
  steps: readonly { step: Step; stat: StepStats }[],
  context: RuntimeContext,
  setup: PlanRunSetup,
): Observable<unknown> {
  const { execution, concurrency } = setup;
  const report = (error: unknown): void => execution.reportError(error);
  const touch = (): void => {
    execution.activity++;
  };
  const wrap = <A, B>(fn: (a: A, b: B) => void): ((a: A, b: B) => void) => bindToContext(context, fn, 2);
  // With ProfileExecutions every callback is timed (and enters the context) on its own.
  const timed = (step: Step, stat: StepStats): Step => (setup.profile ? bindStep(step, context, stat) : step);
  let stream = input;
  let guarded = reader === undefined;
  const guard = (): void => {
    if (guarded || !reader) return;
    guarded = true;
    stream = stream.pipe(
      catchError((error: unknown) => {
        reader.error(error);
        return EMPTY;
      }),
      onComplete(reader.done),
    );
  };
  // The step before the current one when it counts nothing itself (not fused): the next layer counts its out.
  let uncounted: StepStats | undefined;
  for (let k = 0; k < steps.length;) {
    const { step, stat } = steps[k]!;
    let link = fusedLink(timed(step, stat), stat);
    if (link) {
      const links: FusedLink[] = [];
      for (
        ;
        link;
        link = k < steps.length ? fusedLink(timed(steps[k]!.step, steps[k]!.stat), steps[k]!.stat) : undefined
      ) {
        links.push(link);
        k++;
      }
      if (uncounted) stream = stream.pipe(count(execution, uncounted, undefined));
      const options: FusedOptions = { onError: report, concurrency, touch, wrap };
      if (!guarded && reader) {
        guarded = true;
        options.sourceError = reader.error;
        options.sourceDone = reader.done;
      }
      stream = stream.pipe(fusedSteps(links, options));
      uncounted = undefined;
      continue;
    }
    guard();
    const operator = stepOperator(bindStep(step, context, setup.profile ? stat : undefined), {
      onError: report,
      concurrency,
    });
    stream = stream.pipe(count(execution, uncounted, stat), operator);
    uncounted = stat;
    k++;
  }
  guard();
  return uncounted ? stream.pipe(count(execution, uncounted, undefined)) : stream;
}

/**
 * Opens this process's links of the exchange at a global step: each owned shard's output is sent to the shard
 * the step names, and its next stage reads its inbox.
 */
function exchange(
  streams: Observable<unknown>[],
  owned: readonly number[],
  step: GlobalStep,
  stepIndex: number,
  setup: PlanRunSetup,
  links: ShardLink<unknown>[],
): Observable<unknown>[] {
  const { execution, initiator } = setup;
  const stat = execution.steps[stepIndex]!;
  const report = (error: unknown): void => execution.reportError(error);
  const target =
    step.kind === 'collect'
      ? () => initiator
      : (record: unknown) => {
          const owner = setup.slotOwner(hashSlot(extractKey(step.extractor, record)));
          if (owner < 0) throw new RangeError('repartition: no shard owns the slot of this record');
          return owner;
        };
  const route = (record: unknown): number => {
    stat.recordsIn++;
    const to = target(record);
    stat.recordsOut++;
    execution.activity++;
    return to;
  };
  const id = `${execution.id}:${stepIndex}`;
  return streams.map((output, o) => {
    const link = setup.transport.open<unknown>({ id, self: owned[o]!, shards: setup.shards.length });
    links.push(link);
    link.run(sender(link, output, route, report, () => execution.senderDone(stepIndex)));
    return link.inbox;
  });
}

/**
 * Subscribes every owned shard's last stage, forwards the initiator's records (when this process runs it)
 * and completes when all are done. Unsubscribed before that (an abort), it aborts this process's links so
 * shards elsewhere stop waiting for them.
 */
function initiatorResults(
  streams: Observable<unknown>[],
  owned: readonly number[],
  initiator: number,
  execution: Execution<unknown>,
  links: readonly ShardLink<unknown>[],
): Observable<unknown> {
  return new Observable<unknown>((subscriber) => {
    let open = streams.length;
    const finished = (s: number): void => {
      execution.shardDone(s);
      if (--open === 0) subscriber.complete();
    };
    const subscriptions = streams.map((stream, o) => {
      const s = owned[o]!;
      return stream.pipe(whileOpen(subscriber)).subscribe({
        next: (record) => {
          if (s === initiator) subscriber.next(record);
        },
        error: (error: unknown) => {
          execution.reportError(error);
          finished(s);
        },
        complete: () => finished(s),
      });
    });
    if (open === 0) subscriber.complete();
    return () => {
      for (const subscription of subscriptions) subscription.unsubscribe();
      if (open > 0) for (const link of links) link.abort(`execution ${execution.id} aborted`);
    };
  });
}

/**
 * Counts the records passing between two local steps — `recordsOut` of the step before, `recordsIn` of the
 * step after — and marks the execution active. One `tap` layer per step: counting in and out separately cost
 * a third of the engine's time per record (workload 3).
 */
function count<T>(execution: Execution<unknown>, before?: StepStats, after?: StepStats): MonoTypeOperatorFunction<T> {
  if (before && after)
    return tap(() => {
      before.recordsOut++;
      after.recordsIn++;
      execution.activity++;
    });
  if (before)
    return tap(() => {
      before.recordsOut++;
      execution.activity++;
    });
  return tap(() => {
    after!.recordsIn++;
    execution.activity++;
  });
}

function onComplete<T>(callback: () => void): MonoTypeOperatorFunction<T> {
  return tap({ complete: callback });
}

/**
 * The step with its callbacks bound to the shard's runtime context, so `execute()` inside them finds it; with
 * `profile`, each call's time (until its Promise settles, for async ones) is added to the step's duration.
 */
function bindStep(step: Step, context: RuntimeContext, profile: StepStats | undefined): Step {
  const bind = <F extends (...args: never[]) => unknown>(fn: F, arity: 1 | 2 | 3 = 1): F => {
    if (!profile) return bindToContext(context, fn, arity);
    return ((...args: Parameters<F>) => {
      const started = performance.now();
      const add = (): void => {
        profile.durationMs += performance.now() - started;
      };
      let result: unknown;
      try {
        result = runInContext(context, fn, ...args);
      } catch (error) {
        add();
        throw error;
      }
      if (isPromiseLike(result)) return Promise.resolve(result).finally(add);
      add();
      return result;
    }) as F;
  };
  switch (step.kind) {
    case 'map':
    case 'flatMap':
    case 'forEach':
    case 'filter':
      return { ...step, fn: bind(step.fn) };
    case 'accumulate':
      return { ...step, fn: bind(step.fn, 2) };
    case 'localGroupBy':
      return { ...step, extractor: bind(step.extractor), reducer: bind(step.reducer, 3) };
    case 'repartition':
      return { ...step, extractor: bind(step.extractor) };
    case 'limit':
    case 'pipe':
    case 'collect':
      return step;
  }
}
