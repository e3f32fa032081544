/**
 * Test data for the benchmarks, loaded the fast way (pipelines, `DEBUG POPULATE`) so loading takes seconds,
 * not minutes, and the expected answers to check every run against.
 */
import type { Cluster, Redis } from 'ioredis';

/** Families in the person data set: `person:<i>` has name `First Family<i % FAMILIES>`. */
export const FAMILIES = 50;

/** The family of person `i`, as the gear and the baseline extract it from the name. */
export function familyOf(i: number): string {
  return `Family${i % FAMILIES}`;
}

/** The family out of a name `First Family<n>`: the same function on every side. */
export function familyFromName(name: string | undefined): string {
  return name?.split(' ')[1] ?? '';
}

/** Sum of counts: the records a counting side processed. */
export function total(counts: ReadonlyMap<string, number>): number {
  let sum = 0;
  for (const n of counts.values()) sum += n;
  return sum;
}

/** The answer every person count must give for people `0 … n-1`. */
export function expectedFamilyCounts(n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let f = 0; f < FAMILIES; f++) counts.set(familyOf(f), Math.floor(n / FAMILIES) + (f < n % FAMILIES ? 1 : 0));
  return counts;
}

/** Throws unless `actual` holds exactly the expected counts (a fast wrong answer is not a result). */
export function assertFamilyCounts(label: string, actual: ReadonlyMap<string, number>, n: number): void {
  const expected = expectedFamilyCounts(n);
  const wrong = [...expected].filter(([family, count]) => actual.get(family) !== count);
  if (wrong.length > 0 || actual.size !== expected.size) {
    const [family, count] = wrong[0] ?? ['(size)', expected.size];
    throw new Error(
      `${label}: wrong counts, e.g. ${family}: expected ${count}, got ${actual.get(family) ?? actual.size}`,
    );
  }
}

const PIPELINE = 1000;
/** Pipelines in flight at once while loading: enough to keep Redis busy, few enough to bound memory. */
const IN_FLIGHT = 8;

/** Writes `person:<from>` … `person:<to - 1>` (hash: name, age) with pipelined HSETs on one node. */
export async function loadPeople(redis: Redis, from: number, to: number): Promise<void> {
  let inFlight: Promise<unknown>[] = [];
  for (let start = from; start < to; start += PIPELINE) {
    const pipeline = redis.pipeline();
    for (let i = start; i < Math.min(to, start + PIPELINE); i++) {
      pipeline.hset(`person:${i}`, 'name', `First ${familyOf(i)}`, 'age', String(i % 100));
    }
    inFlight.push(pipeline.exec());
    if (inFlight.length >= IN_FLIGHT) {
      await Promise.all(inFlight);
      inFlight = [];
    }
  }
  await Promise.all(inFlight);
}

/**
 * The same on a Cluster: an auto-pipelining `Cluster` client routes each HSET to its master and batches
 * what is queued together (a plain pipeline would need every key in one slot).
 */
export async function loadPeopleOnCluster(cluster: Cluster, from: number, to: number): Promise<void> {
  const batch = PIPELINE * IN_FLIGHT;
  for (let start = from; start < to; start += batch) {
    const writes: Promise<unknown>[] = [];
    for (let i = start; i < Math.min(to, start + batch); i++) {
      writes.push(cluster.hset(`person:${i}`, 'name', `First ${familyOf(i)}`, 'age', String(i % 100)));
    }
    await Promise.all(writes);
  }
}

/**
 * `n` string keys `key:0` … on one node: `DEBUG POPULATE` when the server allows it (start it with
 * `--enable-debug-command local`), else pipelined MSETs. Returns which way was used.
 */
export async function populateKeys(redis: Redis, n: number): Promise<'DEBUG POPULATE' | 'pipelined MSET'> {
  try {
    await redis.call('DEBUG', 'POPULATE', String(n), 'key', '8');
    return 'DEBUG POPULATE';
  } catch {
    // DEBUG refused (Redis 7 default `enable-debug-command no`, managed services): plain writes.
  }
  const perCommand = 100;
  let inFlight: Promise<unknown>[] = [];
  for (let start = 0; start < n; start += perCommand * PIPELINE) {
    const pipeline = redis.pipeline();
    for (let c = start; c < Math.min(n, start + perCommand * PIPELINE); c += perCommand) {
      const args: string[] = [];
      for (let i = c; i < Math.min(n, c + perCommand); i++) args.push(`key:${i}`, 'value');
      pipeline.mset(...args);
    }
    inFlight.push(pipeline.exec());
    if (inFlight.length >= IN_FLIGHT) {
      await Promise.all(inFlight);
      inFlight = [];
    }
  }
  await Promise.all(inFlight);
  return 'pipelined MSET';
}

/** `DBSIZE` of a node, to check a load before timing anything. */
export async function dbSize(redis: Redis): Promise<number> {
  return Number(await redis.dbsize());
}
