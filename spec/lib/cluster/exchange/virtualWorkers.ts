import { GearsBuilder, type PlanRunner } from '../../../../lib/builder/GearsBuilder.ts';
import type { ShardTransport } from '../../../../lib/cluster/transport.ts';
import type { Execution, RunResult } from '../../../../lib/engine/Execution.ts';
import type { Plan } from '../../../../lib/builder/plan.ts';
import { runPart } from '../../../../lib/worker/runPart.ts';
import type { GBFunction, Gears } from '../../../../lib/Gears.ts';
import type { ReaderName } from '../../../../readers/index.ts';

let sequence = 0;

/**
 * Runs a plan the way N worker processes would, in this process: worker w runs the shards s with
 * s % N == w (`runPart`), each with a transport of its own (`transportFor(w)`). The results are the
 * initiator's worker's; the errors are every worker's.
 */
export async function runOnWorkers(
  gears: Gears,
  plan: Plan,
  arg: unknown,
  workers: number,
  transportFor: (worker: number) => ShardTransport,
): Promise<RunResult<unknown>> {
  const executionId = `${gears.shards[0]!.id}-v${++sequence}`;
  const parts: Execution[] = [];
  for (let w = 0; w < workers; w++) {
    const owned = gears.shards.map((_, s) => s).filter((s) => s % workers === w);
    if (owned.length === 0) continue;
    const transport = transportFor(w);
    parts.push(runPart({ executionId, plan, arg, topology: gears.topology, engine: gears, owned, transport }));
  }
  await Promise.all(parts.map((part) => part.done));
  return { results: parts.flatMap((p) => p.results), errors: parts.flatMap((p) => p.errors) };
}

/** `GB` whose `run()` goes to `runOnWorkers` instead of the engine. */
export function workersGB(gears: Gears, workers: number, transportFor: (worker: number) => ShardTransport): GBFunction {
  const runner: PlanRunner = {
    run: (plan, arg) => runOnWorkers(gears, plan, arg, workers, transportFor) as never,
    register: () => Promise.reject(new Error('not in this harness')),
    observe: () => {
      throw new Error('not in this harness');
    },
  };
  const GB = (reader: ReaderName = 'KeysReader', defaultArg: unknown = '*', desc?: string) =>
    new GearsBuilder(runner, { reader, defaultArg, desc, steps: [] });
  return GB as GBFunction;
}
