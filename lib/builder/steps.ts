import type { OperatorFunction } from 'rxjs';

/* eslint-disable @typescript-eslint/no-explicit-any -- steps hold user callbacks of any record type; the
   builder's generics keep the public API typed. */
type Fn = (...args: any[]) => any;

/**
 * The primitive steps a plan is made of. The builder records these as plain data (sugar operations expand into
 * them at build time, as in RedisGears), so a plan can be printed, tested without running, and shipped to
 * another process. `op` names the operation the user wrote, for `describe()` and execution profiles.
 */
export type Step =
  | { kind: 'map'; op: string; fn: Fn }
  | { kind: 'flatMap'; op: string; fn: Fn }
  | { kind: 'forEach'; op: string; fn: Fn }
  | { kind: 'filter'; op: string; fn: Fn }
  | { kind: 'accumulate'; op: string; fn: Fn; zero?: () => unknown; emitEmpty?: boolean }
  | { kind: 'localGroupBy'; op: string; extractor: Fn; reducer: Fn; zero?: () => unknown }
  | { kind: 'limit'; op: string; length: number; start: number }
  | { kind: 'pipe'; op: string; operators: OperatorFunction<any, any>[] }
  | { kind: 'collect'; op: string }
  | { kind: 'repartition'; op: string; extractor: Fn };

export type StepKind = Step['kind'];

/** The steps that move records between shards; a plan is split into stages at them. */
export type GlobalStep = Extract<Step, { kind: 'collect' | 'repartition' }>;

export function isGlobalStep(step: Step): step is GlobalStep {
  return step.kind === 'collect' || step.kind === 'repartition';
}

/** One line per step, e.g. `localGroupBy (countBy)`. */
export function describeStep(step: Step): string {
  const detail = step.kind === 'limit' ? `(${step.length}, ${step.start})` : '';
  return step.op === step.kind ? `${step.kind}${detail}` : `${step.kind}${detail} (${step.op})`;
}
