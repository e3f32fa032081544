import { inject } from 'vitest';
import { randomBytes } from 'node:crypto';
import { connect, type Gears } from '../../lib/index.ts';

/** A place rxgears can run: the embedded store with 1 or 3 shards, real standalone Redis, the real cluster. */
export interface Backend {
  name: string;
  /** Shards it has. */
  shards: number;
  /** A new engine on it, cloning records that cross shards (as a process boundary would). */
  connect(): Promise<Gears>;
  /** Whether the keyspace is shared with other spec files (then use `uniquePrefix()` and clean up). */
  shared: boolean;
}

export function memoryBackend(shards: number): Backend {
  return { name: `memory×${shards}`, shards, shared: false, connect: () => connect({ shards, cloneRecords: true }) };
}

export function redisBackend(): Backend {
  return {
    name: 'redis',
    shards: 1,
    shared: true,
    connect: () => connect({ redis: inject('redisUrl'), cloneRecords: true }),
  };
}

export function clusterBackend(): Backend {
  return {
    name: 'cluster',
    shards: 3,
    shared: true,
    connect: () => connect({ redis: inject('clusterUrls')[0]!, cloneRecords: true }),
  };
}

/** Every backend: embedded 1 and 3 shards, Redis, Redis Cluster. */
export function allBackends(): Backend[] {
  return [memoryBackend(1), memoryBackend(3), redisBackend(), clusterBackend()];
}

/** A key prefix no other test uses, e.g. `t:3f9a1c:`. */
export function uniquePrefix(label = 't'): string {
  return `${label}:${randomBytes(4).toString('hex')}:`;
}

/** Deletes every key matching `pattern` on every shard (SCAN, not KEYS, so it is safe on shared servers). */
export async function deleteKeys(gears: Gears, pattern: string): Promise<void> {
  const { results } = await gears
    .GB('KeysOnlyReader')
    .forEach((key) => gears.execute('DEL', key))
    .run(pattern);
  void results;
}
