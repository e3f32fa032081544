import { EMPTY } from 'rxjs';
import { GearsError } from '../errors.ts';
import { isLaterPiece } from '../cluster/pieces.ts';
import { slotTable, type Topology } from '../cluster/topology.ts';
import type { ShardTransport } from '../cluster/transport.ts';
import { readerFor } from '../engine/options.ts';
import { Execution } from '../engine/Execution.ts';
import type { Plan } from '../builder/plan.ts';
import { executionSteps, runPlan } from '../engine/runPlan.ts';
import type { RuntimeEngine } from '../engine/runtime.ts';

/** Readers whose records do not come from keys: one batch per shard (a master), whatever its slots. */
const PER_SHARD_READERS: ReadonlySet<string> = new Set(['ShardsIDReader', 'GeneratorReader']);

/** One process's part of a distributed batch execution (`run()` in mode `async`, collecting at the end). */
export interface PartSpec {
  /** The same on every process taking part: it names the exchanges. */
  executionId: string;
  plan: Plan;
  /** The reader's argument (the plan's default when undefined) and options. */
  arg?: unknown;
  readerOptions?: Record<string, unknown>;
  topology: Topology;
  /** Where `execute()` inside the gear's callbacks goes. */
  engine: RuntimeEngine;
  /** The shards this process runs (indices in `topology.shards`). */
  owned: readonly number[];
  /** Carries records to and from the shards other processes run. */
  transport: ShardTransport;
  /** Most async callbacks pending per step and shard (default 64). */
  concurrency?: number;
}

/**
 * Starts this process's part: the owned shards' pipelines, linked to the others through `transport`. The
 * returned Execution settles when the owned shards are done; it holds the results when this process runs
 * the initiator (the owner of slot 0), and the errors raised here. A worker runs one part per execution;
 * N parts over disjoint `owned` sets together compute what one process computes
 * (`spec/lib/cluster/exchange/RedisTransport.property.spec.ts`).
 */
export function runPart(spec: PartSpec): Execution {
  const { plan, topology } = spec;
  const shards = topology.shards;
  const read = readerFor(plan.reader).run;
  if (!read) throw new GearsError('reader do not support run');
  for (const s of spec.owned)
    if (!shards[s]) throw new GearsError(`shard index ${s} is not in the topology (${shards.length} shards)`);
  const table = slotTable(shards);
  const execution = new Execution(
    spec.executionId,
    plan,
    shards.map((s) => s.id),
    executionSteps(plan, true, false),
  );
  const results = runPlan({
    plan,
    topology,
    shards,
    initiator: Math.max(0, table[0]!),
    collect: true,
    local: false,
    transport: spec.transport,
    owned: spec.owned,
    slotOwner: (slot) => table[slot] ?? -1,
    // A master split into parts (`tasksPerMaster`): the readers that read per shard, not per key, read on its
    // first part only, so the run reads what it reads on the whole master.
    read: (context) =>
      isLaterPiece(context.shard) && PER_SHARD_READERS.has(plan.reader)
        ? EMPTY
        : read(context, spec.arg ?? plan.defaultArg, spec.readerOptions ?? {}),
    runtime: (shard) => ({ engine: spec.engine, shard, executionId: spec.executionId }),
    execution,
    profile: false,
    concurrency: spec.concurrency ?? 64,
  });
  execution.start(results);
  return execution;
}
