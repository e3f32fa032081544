import { catchError, EMPTY, Observable } from 'rxjs';
import type { Step } from '../builder/steps.ts';
import type { Shard, Topology } from '../cluster/topology.ts';
import type { ShardTransport } from '../cluster/transport.ts';
import { hashSlot } from '../cluster/slots.ts';
import { stepOperator } from '../../operators/internal/stepOperator.ts';
import { extractKey } from '../../operators/internal/keys.ts';
import type { StepOptions } from '../../operators/internal/options.ts';
import type { ReaderContext } from '../../readers/types.ts';
import { splitStages, type Plan } from './plan.ts';
import { runInContext, type RuntimeContext } from './runtime.ts';

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
  transport: ShardTransport;
  /** The shard index that owns a hash slot, or -1. */
  slotOwner(slot: number): number;
  /** A shard's stage-0 input: the reader on that shard. */
  read(context: ReaderContext): Observable<unknown>;
  /** The runtime context callbacks of `shard` run in. */
  runtime(shard: Shard): RuntimeContext;
  /** Where callback, reader and transport errors go (the record is dropped, the run goes on). */
  onError(error: unknown, shard: Shard): void;
  /** Wraps each shard's pipeline after each step (profiling); identity by default. */
  instrument?: (step: Step, stepIndex: number, shard: Shard) => StepOptions | undefined;
}

/**
 * Builds the Observable of an execution's results, as DESIGN.md §1 draws it: every shard runs stage 0 on its
 * own reader; at a `collect` every shard's output goes to the initiator; at a `repartition(extractor)` each
 * record goes to the owner of `hashSlot(extractor(record))`; the last stage's output on the initiator is the
 * result. Every shard's pipeline is subscribed (their side effects happen even when only the initiator's
 * records are kept). Nothing runs until the returned Observable is subscribed.
 */
export function runPlan(setup: PlanRunSetup): Observable<unknown> {
  const { shards, initiator, transport } = setup;
  const steps =
    setup.collect && !setup.local ? [...setup.plan.steps, { kind: 'collect', op: 'run' } as const] : setup.plan.steps;
  const stages = splitStages(steps, setup.local);

  let streams: Observable<unknown>[] = shards.map((shard) => {
    const context = setup.runtime(shard);
    const readerContext: ReaderContext = {
      shard,
      topology: setup.topology,
      owns: (key) => shards[setup.slotOwner(hashSlot(key))] === shard,
      invoke: (fn) => runInContext(context, fn),
    };
    return setup.read(readerContext).pipe(
      catchError((error: unknown) => {
        setup.onError(error, shard);
        return EMPTY;
      }),
    );
  });

  let stepIndex = 0;
  for (const stage of stages) {
    const first = stepIndex;
    streams = streams.map((input, s) => {
      const shard = shards[s]!;
      const context = setup.runtime(shard);
      const onError = (error: unknown): void => setup.onError(error, shard);
      return stage.steps.reduce((stream, step, i) => {
        const extra = setup.instrument?.(step, first + i, shard);
        const operator = stepOperator(bindStep(step, context), { onError, ...extra });
        return stream.pipe(operator);
      }, input);
    });
    stepIndex += stage.steps.length;
    const exchange = stage.exchange;
    if (exchange) {
      stepIndex += 1;
      const route =
        exchange.kind === 'collect'
          ? () => initiator
          : (record: unknown) => {
              const owner = setup.slotOwner(hashSlot(extractKey(exchange.extractor, record)));
              if (owner < 0) throw new RangeError('repartition: no shard owns the slot of this record');
              return owner;
            };
      const outputs = streams.map((stream, s) =>
        stream.pipe(
          catchError((error: unknown) => {
            setup.onError(error, shards[s]!);
            return EMPTY;
          }),
        ),
      );
      streams = transport.exchange(outputs, route, (error) => setup.onError(error, shards[initiator]!));
    }
  }
  return initiatorResults(streams, initiator, (error, s) => setup.onError(error, shards[s]!));
}

/** Subscribes every shard's last stage, forwards the initiator's records and completes when all are done. */
function initiatorResults(
  streams: Observable<unknown>[],
  initiator: number,
  onError: (error: unknown, shard: number) => void,
): Observable<unknown> {
  return new Observable<unknown>((subscriber) => {
    let open = streams.length;
    const finished = (): void => {
      if (--open === 0) subscriber.complete();
    };
    const subscriptions = streams.map((stream, s) =>
      stream.subscribe({
        next: (record) => {
          if (s === initiator) subscriber.next(record);
        },
        error: (error: unknown) => {
          onError(error, s);
          finished();
        },
        complete: finished,
      }),
    );
    return () => {
      for (const subscription of subscriptions) subscription.unsubscribe();
    };
  });
}

/** The step with its callbacks bound to the shard's runtime context, so `execute()` inside them finds it. */
function bindStep(step: Step, context: RuntimeContext): Step {
  const bind = <F extends (...args: never[]) => unknown>(fn: F): F =>
    ((...args: Parameters<F>) => runInContext(context, fn, ...args)) as F;
  switch (step.kind) {
    case 'map':
    case 'flatMap':
    case 'forEach':
    case 'filter':
    case 'accumulate':
      return { ...step, fn: bind(step.fn) };
    case 'localGroupBy':
      return { ...step, extractor: bind(step.extractor), reducer: bind(step.reducer) };
    case 'repartition':
      return { ...step, extractor: bind(step.extractor) };
    case 'limit':
    case 'pipe':
    case 'collect':
      return step;
  }
}
