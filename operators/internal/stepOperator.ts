import { identity, pipe, type OperatorFunction, type UnaryFunction, type Observable } from 'rxjs';
import type { Step } from '../../lib/builder/steps.ts';
import type { StepOptions } from './options.ts';
import { map } from '../map.ts';
import { flatMap } from '../flatMap.ts';
import { forEach } from '../forEach.ts';
import { filter } from '../filter.ts';
import { accumulate } from '../accumulate.ts';
import { localGroupBy } from '../localGroupBy.ts';
import { limit } from '../limit.ts';

/* eslint-disable @typescript-eslint/no-explicit-any -- a step is untyped data; the builder types the chain. */
type AnyOperator = OperatorFunction<any, any>;

/**
 * The RxJS operator of one primitive step. Global steps (`collect`, `repartition`) are the identity here:
 * moving records between shards is the engine's job, so on a single stream they change nothing.
 */
export function stepOperator(step: Step, options: StepOptions = {}): AnyOperator {
  switch (step.kind) {
    case 'map':
      return map(step.fn, options);
    case 'flatMap':
      return flatMap(step.fn, options);
    case 'forEach':
      return forEach(step.fn, options);
    case 'filter':
      return filter(step.fn, options);
    case 'accumulate':
      return accumulate(step.fn, {
        ...options,
        ...(step.zero ? { zero: step.zero } : {}),
        ...(step.emitEmpty ? { emitEmpty: true } : {}),
      });
    case 'localGroupBy':
      return localGroupBy(step.extractor, step.reducer, { ...options, ...(step.zero ? { zero: step.zero } : {}) });
    case 'limit':
      return limit(step.length, step.start);
    case 'pipe':
      return step.operators.length === 0
        ? identity
        : (pipe as (...fns: UnaryFunction<Observable<any>, Observable<any>>[]) => AnyOperator)(...step.operators);
    case 'collect':
    case 'repartition':
      return identity;
  }
}

/** The steps of an expansion as one operator over a single stream (what the plan computes on one shard). */
export function stepsOperator<T, R>(steps: readonly Step[], options: StepOptions = {}): OperatorFunction<T, R> {
  const operators = steps.map((step) => stepOperator(step, options));
  return (source) => operators.reduce<Observable<any>>((stream, operator) => stream.pipe(operator), source);
}
