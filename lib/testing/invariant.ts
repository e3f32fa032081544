import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { connect } from '../connect.ts';
import type { Gears, GBFunction } from '../Gears.ts';
import type { RunResult } from '../engine/Execution.ts';
import { canonicalJson } from '../../operators/internal/keys.ts';
import { writeDataSet, type RedisDataSet } from './arbitraries.ts';

/** Something that runs: a builder from `GB()`. */
export interface Runnable {
  run(arg?: never, options?: never): Promise<RunResult<unknown>>;
}

/** What a gear under test is given: the bound `GB`, the glob covering this run's keys, and the key prefix. */
export interface GearContext {
  GB: GBFunction;
  /** `<prefix>*`: pass it to `run()` (the harness does). */
  pattern: string;
  /** Every key of the data set starts with it (unique per pool on Redis, so tests sharing a server never collide). */
  prefix: string;
}

/** Builds the gear under test; the harness runs it with `run(context.pattern)`. */
export type GearFactory = (GB: GBFunction, context: GearContext) => Runnable;

/** Where to compare: embedded shard counts (`1`, `3`) and Redis URLs (standalone or Cluster). */
export type TopologySpec = number | string;

export interface ShardInvariantOptions {
  /** Default `[1, 3]`. */
  topologies?: readonly TopologySpec[];
  /** fast-check runs (default 50). */
  numRuns?: number;
  /** fast-check seed, to replay a failure. */
  seed?: number;
  /** How a result is compared (default canonical JSON; results compare as multisets). */
  normalize?: (record: unknown) => string;
}

/** One topology's outcome: its results and errors as sorted multisets. */
export interface Outcome {
  topology: TopologySpec;
  results: string[];
  errors: string[];
}

const describeTopology = (t: TopologySpec): string => (typeof t === 'number' ? `embedded×${t}` : t);

/**
 * Engines for a set of topologies, kept open across the runs of one property: embedded engines are made
 * afresh for every run (an empty keyspace costs nothing), Redis ones are connected once.
 */
export class TopologyPool {
  private readonly redis = new Map<string, Promise<Gears>>();
  /** Redis servers are shared with other tests: this pool's keys get a prefix of its own, the same every run. */
  private readonly redisPrefix = `inv:${randomBytes(4).toString('hex')}:`;

  constructor(readonly topologies: readonly TopologySpec[]) {}

  /** Runs `gear` over `data` on every topology and returns the outcomes (keys written under a fresh prefix, deleted after). */
  async outcomes(
    gear: GearFactory,
    data: RedisDataSet,
    normalize: (record: unknown) => string = canonicalJson,
  ): Promise<Outcome[]> {
    const outcomes: Outcome[] = [];
    for (const topology of this.topologies) {
      const gears = await this.engine(topology);
      // A fixed prefix per topology keeps key placement (hash slots) the same when a seed is replayed.
      const prefix = typeof topology === 'number' ? 'inv:' : this.redisPrefix;
      const pattern = `${prefix}*`;
      try {
        await writeDataSet(gears.execute, data, prefix);
        const { results, errors } = await gear(gears.GB, { GB: gears.GB, pattern, prefix }).run(pattern as never);
        outcomes.push({ topology, results: results.map(normalize).sort(), errors: [...errors].sort() });
      } finally {
        if (typeof topology === 'number') await gears.close();
        else
          await gears
            .GB('KeysOnlyReader')
            .forEach((key) => gears.execute('DEL', key))
            .run(pattern);
      }
    }
    return outcomes;
  }

  /** Closes the Redis engines. */
  async close(): Promise<void> {
    await Promise.all([...this.redis.values()].map(async (gears) => (await gears).close()));
    this.redis.clear();
  }

  private engine(topology: TopologySpec): Promise<Gears> {
    if (typeof topology === 'number') return connect({ shards: topology, cloneRecords: true });
    let gears = this.redis.get(topology);
    if (!gears) {
      gears = connect({ redis: topology, cloneRecords: true });
      this.redis.set(topology, gears);
    }
    return gears;
  }
}

/** Throws, describing both sides, when any topology's outcome differs from the first one's. */
export function assertSameOutcomes(outcomes: readonly Outcome[]): void {
  const [first, ...rest] = outcomes;
  if (!first) return;
  for (const other of rest) {
    const same =
      JSON.stringify(other.results) === JSON.stringify(first.results) &&
      JSON.stringify(other.errors) === JSON.stringify(first.errors);
    if (!same) {
      throw new Error(
        `results differ between ${describeTopology(first.topology)} and ${describeTopology(other.topology)}:\n` +
          `  ${describeTopology(first.topology)}: ${JSON.stringify({ results: first.results, errors: first.errors })}\n` +
          `  ${describeTopology(other.topology)}: ${JSON.stringify({ results: other.results, errors: other.errors })}`,
      );
    }
  }
}

/**
 * Property-tests a gear function: for data sets drawn from `data`, the multiset of its results (and of its
 * errors) must be the same on every topology — 1 embedded shard, 3 embedded shards, real Redis, a real
 * Cluster. On a difference fast-check shrinks the data set and the thrown error shows the smallest one.
 *
 * @example
 * await assertShardInvariant(
 *   (GB) => GB().filter((r) => r.type === 'hash').countBy((r) => Object.keys(r.value).length),
 *   redisDataSet({ types: ['hash', 'string'] }),
 *   { topologies: [1, 3] },
 * );
 */
export async function assertShardInvariant(
  gear: GearFactory,
  data: fc.Arbitrary<RedisDataSet>,
  options: ShardInvariantOptions = {},
): Promise<void> {
  const pool = new TopologyPool(options.topologies ?? [1, 3]);
  try {
    await fc.assert(
      fc.asyncProperty(data, async (dataSet) => {
        assertSameOutcomes(await pool.outcomes(gear, dataSet, options.normalize));
      }),
      {
        numRuns: options.numRuns ?? 50,
        includeErrorInReport: true,
        ...(options.seed === undefined ? {} : { seed: options.seed }),
      },
    );
  } finally {
    await pool.close();
  }
}
