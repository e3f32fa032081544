import { GearsBuilder, type PlanRunner } from '../../../../lib/builder/GearsBuilder.ts';
import { slotTable } from '../../../../lib/cluster/topology.ts';
import type { ShardTransport } from '../../../../lib/cluster/transport.ts';
import { BATCH_READERS } from '../../../../lib/engine/batchReaders.ts';
import { Execution, type RunResult } from '../../../../lib/engine/Execution.ts';
import type { Plan } from '../../../../lib/engine/plan.ts';
import { executionSteps, runPlan } from '../../../../lib/engine/runPlan.ts';
import type { GBFunction, Gears } from '../../../../lib/Gears.ts';
import type { ReaderName } from '../../../../readers/types.ts';

let sequence = 0;

/**
 * Runs a plan the way N worker processes would, in this process: worker w runs the shards s with
 * s % N == w, each worker with a transport of its own (`transportFor(w)`), each with its own Execution.
 * The results are the initiator's worker's; the errors are every worker's.
 */
export async function runOnWorkers(
  gears: Gears,
  plan: Plan,
  arg: unknown,
  workers: number,
  transportFor: (worker: number) => ShardTransport,
): Promise<RunResult<unknown>> {
  const shards = gears.shards;
  const table = slotTable(shards);
  const initiator = table[0]!;
  const id = `${shards[initiator]!.id}-v${++sequence}`;
  const read = BATCH_READERS[plan.reader]!;
  const parts: Execution[] = [];
  for (let w = 0; w < workers; w++) {
    const owned = shards.map((_, s) => s).filter((s) => s % workers === w);
    if (owned.length === 0) continue;
    const execution = new Execution(
      id,
      plan,
      shards.map((s) => s.id),
      executionSteps(plan, true, false),
    );
    const results = runPlan({
      plan,
      topology: gears.topology,
      shards,
      initiator,
      collect: true,
      local: false,
      transport: transportFor(w),
      owned,
      slotOwner: (slot) => table[slot] ?? -1,
      read: (context) => read(context, arg ?? plan.defaultArg, {}),
      runtime: (shard) => ({ engine: gears, shard, executionId: id }),
      execution,
      profile: false,
      concurrency: 64,
    });
    execution.start(results);
    parts.push(execution);
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
