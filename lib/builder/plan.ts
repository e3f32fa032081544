import type { Step } from './steps.ts';
import { describeStep, isGlobalStep } from './steps.ts';
import type { ReaderName } from '../../readers/index.ts';

/** What a builder has recorded: where records come from and the primitive steps they go through. */
export interface Plan {
  readonly reader: ReaderName;
  readonly defaultArg: unknown;
  readonly desc: string | undefined;
  readonly steps: readonly Step[];
  /**
   * The same steps with another shard's own closures, by shard id: a script sent as source text is evaluated
   * once per shard, so its top-level bindings are per shard as in RedisGears. A shard not listed uses `steps`.
   */
  readonly shardSteps?: ReadonlyMap<string, readonly Step[]>;
  /** Where the plan came from, so a worker process can build it again (README "Scaling out"). */
  readonly origin?: PlanOrigin;
}

/**
 * How a worker builds a plan again: a script's source text and the number of the `run()`/`register()` call
 * that made it, or a named gear of a gear module with its fingerprint.
 */
export type PlanOrigin =
  | { kind: 'script'; source: string; index: number; filename?: string; description?: string; script: object }
  | { kind: 'gear'; name: string; fingerprint: string };

/** What an action resolves to: the records that reached the initiator and one string per error. */
export interface RunResult<T> {
  results: T[];
  errors: string[];
}

/** The plan as text, one step a line: `KeysReader('person:*')`, `map`, `localGroupBy (countBy)`, … */
export function describePlan(plan: Plan): string {
  const arg = typeof plan.defaultArg === 'string' ? `'${plan.defaultArg}'` : plan.defaultArg === undefined ? '' : '…';
  const lines = [`${plan.reader}(${arg})${plan.desc ? ` — ${plan.desc}` : ''}`];
  for (const step of plan.steps) lines.push(`  ${isGlobalStep(step) ? '⇄ ' : ''}${describeStep(step)}`);
  return lines.join('\n');
}
