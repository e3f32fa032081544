import { Gears, type GearsOptions } from './Gears.ts';
import { GearsError } from './errors.ts';
import { createMemoryTopology } from './cluster/memoryTopology.ts';
import { SLOT_COUNT } from './cluster/slots.ts';
import { createRedisTopology } from './store/redis/index.ts';

/** An ioredis `Redis` or `Cluster` client rxgears can run on; it stays yours to close. */
export type RedisClient = Exclude<Parameters<typeof createRedisTopology>[0], string>;

/** Where the data is: the embedded store (default, `shards` of them) or a Redis / Redis Cluster. */
export interface ConnectOptions extends GearsOptions {
  /** Embedded memory store with this many shards (default 1), slots split like `redis-cli --cluster create`. */
  shards?: number;
  /** A `redis://` / `rediss://` URL (standalone or Cluster, detected) or an ioredis `Redis` / `Cluster` you own. */
  redis?: string | RedisClient;
}

/**
 * Opens an engine. With no argument: the embedded memory store, one shard. A URL or `{ redis }` connects to
 * Redis and detects standalone vs Cluster (one shard per master).
 *
 * @example
 * const gears = await connect();                          // embedded, 1 shard
 * const gears = await connect({ shards: 3 });             // embedded cluster of 3
 * const gears = await connect('redis://127.0.0.1:6379');  // Redis or Redis Cluster
 */
export async function connect(target: string | ConnectOptions = {}): Promise<Gears> {
  const options: ConnectOptions = typeof target === 'string' ? { redis: target } : target;
  if (options === null || typeof options !== 'object')
    throw new GearsError('connect() takes a URL or an options object');
  const { shards, redis, ...engineOptions } = options;
  if (redis !== undefined && shards !== undefined) {
    throw new GearsError("connect(): 'shards' is for the embedded store; a Redis Cluster brings its own shards");
  }
  if (redis !== undefined) return new Gears(await createRedisTopology(redis), engineOptions);
  const count = shards ?? 1;
  if (!Number.isInteger(count) || count < 1 || count > SLOT_COUNT) {
    throw new GearsError(`connect(): 'shards' must be an integer from 1 to ${SLOT_COUNT}`);
  }
  return new Gears(createMemoryTopology(count), engineOptions);
}
