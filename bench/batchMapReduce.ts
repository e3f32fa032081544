/**
 * Workload 1, batch map/reduce: count `person:*` hashes per family, rxgears
 * `GB().map(family).countBy(x => x).run('person:*')` against the loop a competent engineer writes with
 * ioredis (SCAN COUNT 1000, one pipelined HGETALL per key of the page, a Map of counts; on a Cluster the same
 * on every master, all masters in parallel). On standalone Redis and on a 3-master Cluster.
 */
import { Cluster, Redis } from 'ioredis';
import type { Gears } from '../lib/index.ts';
import { connect } from './engine.ts';
import { startRedis, startRedisCluster } from '../lib/testing/index.ts';
import { baselineClusterFamilies, baselineFamilies } from './baselines.ts';
import { assertFamilyCounts, familyFromName, loadPeople, loadPeopleOnCluster, total } from './data.ts';
import { log, measure, redisCpu, throughputRow, type BenchSettings, type ResultRow, type Side } from './harness.ts';

/** Issue 16's target (issue 1's was 1.2). */
export const TARGET_RATIO = 2.5;
export const BASELINE_NAME = 'ioredis SCAN 1000 + pipelined HGETALL';

/** The gear: one record per person, mapped to its family, counted per family. */
export async function rxgearsFamilies(gears: Gears, pattern = 'person:*'): Promise<Map<string, number>> {
  const { results, errors } = await gears
    .GB()
    .map((r) => familyFromName((r.value as Record<string, string>).name))
    .countBy((family) => family)
    .run(pattern);
  if (errors.length > 0) throw new Error(`rxgears run failed: ${errors[0]}`);
  return new Map(results.map(({ key, value }) => [key, value]));
}

/** The two sides over `people` persons, each run checked against the expected counts. */
export function sides(
  people: number,
  rxgears: () => Promise<Map<string, number>>,
  baseline: () => Promise<Map<string, number>>,
): Side[] {
  const checked = (name: string, run: () => Promise<Map<string, number>>): Side => ({
    name,
    run: async () => {
      const counts = await run();
      assertFamilyCounts(name, counts, people);
      return total(counts);
    },
  });
  return [checked('rxgears', rxgears), checked('baseline', baseline)];
}

export function peopleCount(settings: BenchSettings): number {
  return settings.quick ? 20_000 : 200_000;
}

export async function standalone(settings: BenchSettings): Promise<ResultRow> {
  const people = peopleCount(settings);
  const server = await startRedis();
  const redis = new Redis(server.url);
  let gears: Gears | undefined;
  try {
    log(`  loading ${people} hashes into standalone Redis :${server.port}`);
    await loadPeople(redis, 0, people);
    gears = await connect(server.url);
    const g = gears;
    const times = await measure(
      sides(
        people,
        () => rxgearsFamilies(g),
        () => baselineFamilies(redis),
      ),
      settings.runs,
      'standalone',
      { serverCpu: redisCpu([redis]) },
    );
    return throughputRow(
      {
        id: 1,
        workload: `batch map/reduce, standalone, ${people.toLocaleString('en-US')} hashes`,
        baselineName: BASELINE_NAME,
        notes: 'median records/s; GB().map(family).countBy(x => x).run("person:*")',
      },
      times[0]!,
      times[1]!,
      { minRatio: TARGET_RATIO },
    );
  } finally {
    await gears?.close();
    redis.disconnect();
    await server.stop();
  }
}

export async function cluster(settings: BenchSettings): Promise<ResultRow> {
  const people = peopleCount(settings);
  const servers = await startRedisCluster();
  const client = new Cluster(
    servers.nodes.map((n) => ({ host: n.host, port: n.port })),
    {
      enableAutoPipelining: true,
    },
  );
  let gears: Gears | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      client.once('ready', resolve);
      client.once('error', reject);
    });
    log(`  loading ${people} hashes into a 3-master Redis Cluster`);
    await loadPeopleOnCluster(client, 0, people);
    gears = await connect(servers.urls[0]!);
    const g = gears;
    const times = await measure(
      sides(
        people,
        () => rxgearsFamilies(g),
        () => baselineClusterFamilies(client),
      ),
      settings.runs,
      'cluster',
      { serverCpu: redisCpu(client.nodes('master')) },
    );
    return throughputRow(
      {
        id: 1,
        workload: `batch map/reduce, 3-master cluster, ${people.toLocaleString('en-US')} hashes`,
        baselineName: `${BASELINE_NAME}, masters in parallel`,
        notes: 'median records/s; the baseline runs its loop on every master at once (cluster.nodes("master"))',
      },
      times[0]!,
      times[1]!,
      { minRatio: TARGET_RATIO },
    );
  } finally {
    await gears?.close();
    client.disconnect();
    await servers.stop();
  }
}

export async function run(settings: BenchSettings): Promise<ResultRow[]> {
  return [await standalone(settings), await cluster(settings)];
}
