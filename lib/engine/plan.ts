import type { Step, GlobalStep } from '../builder/steps.ts';
import { describeStep, isGlobalStep } from '../builder/steps.ts';
import type { ReaderName } from '../../readers/types.ts';

/** What a builder has recorded: where records come from and the primitive steps they go through. */
export interface Plan {
  readonly reader: ReaderName;
  readonly defaultArg: unknown;
  readonly desc: string | undefined;
  readonly steps: readonly Step[];
}

/** A run of local steps, ended by the global step that moves its output (none for the last stage). */
export interface Stage {
  readonly steps: readonly Step[];
  readonly exchange: GlobalStep | undefined;
}

/**
 * Splits a plan's steps into stages at its global steps. With `local` (mode `async_local`) global steps are
 * no-ops and the plan is one stage.
 */
export function splitStages(steps: readonly Step[], local = false): Stage[] {
  const stages: Stage[] = [];
  let current: Step[] = [];
  for (const step of steps) {
    if (!isGlobalStep(step)) current.push(step);
    else if (!local) {
      stages.push({ steps: current, exchange: step });
      current = [];
    }
  }
  stages.push({ steps: current, exchange: undefined });
  return stages;
}

/** The plan as text, one step a line: `KeysReader('person:*')`, `map`, `localGroupBy (countBy)`, … */
export function describePlan(plan: Plan): string {
  const arg = typeof plan.defaultArg === 'string' ? `'${plan.defaultArg}'` : plan.defaultArg === undefined ? '' : '…';
  const lines = [`${plan.reader}(${arg})${plan.desc ? ` — ${plan.desc}` : ''}`];
  for (const step of plan.steps) lines.push(`  ${isGlobalStep(step) ? '⇄ ' : ''}${describeStep(step)}`);
  return lines.join('\n');
}
