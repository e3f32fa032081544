/**
 * The hand-written ioredis code rxgears is measured against: what a competent engineer writes without
 * rxgears. Nothing here imports rxgears, so a baseline child process (bench/child.ts) loads ioredis only.
 */
import type { Cluster, Redis } from 'ioredis';
import { familyFromName } from './data.ts';

export { total } from './data.ts';

/**
 * Workload 1 on one node: SCAN a page (COUNT 1000), HGETALL its keys in one pipeline, count families in a
 * Map, repeat until the cursor is back at 0.
 */
export async function baselineFamilies(redis: Redis, pattern = 'person:*'): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length === 0) continue;
    const pipeline = redis.pipeline();
    for (const key of keys) pipeline.hgetall(key);
    for (const [error, hash] of (await pipeline.exec()) ?? []) {
      if (error) throw error;
      const family = familyFromName((hash as Record<string, string>).name);
      counts.set(family, (counts.get(family) ?? 0) + 1);
    }
  } while (cursor !== '0');
  return counts;
}

/** Workload 1 on a Cluster: the same loop on every master at once (`cluster.nodes('master')`), merged. */
export async function baselineClusterFamilies(cluster: Cluster, pattern = 'person:*'): Promise<Map<string, number>> {
  const perNode = await Promise.all(cluster.nodes('master').map((node) => baselineFamilies(node, pattern)));
  const counts = new Map<string, number>();
  for (const node of perNode) for (const [family, n] of node) counts.set(family, (counts.get(family) ?? 0) + n);
  return counts;
}

/** Workload 2: ioredis' `scanStream({ count: 1000 })`, adding up the keys of each page. */
export function baselineCount(redis: Redis): Promise<number> {
  return new Promise((resolve, reject) => {
    let keys = 0;
    redis
      .scanStream({ count: 1000 })
      .on('data', (page: string[]) => (keys += page.length))
      .on('end', () => resolve(keys))
      .on('error', reject);
  });
}
