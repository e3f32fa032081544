import { Gears, type GearsOptions } from './Gears.ts';
import { GearsError } from './errors.ts';
import { createMemoryTopology } from './cluster/memoryTopology.ts';
import { SLOT_COUNT } from './cluster/slots.ts';
import { createRedisTopology } from './cluster/redisTopology.ts';
import type { RedisStore } from './store/redis/index.ts';
import { checkRedisTarget } from './store/redis/clientShape.ts';
import type { Registry } from 'prom-client';
import type { DriverOptions } from './worker/driver.ts';

/** An ioredis `Redis` or `Cluster` client rxgears can run on; it stays yours to close. */
export type RedisClient = Exclude<Parameters<typeof createRedisTopology>[0], string>;

/** Where the data is: the embedded store (default, `shards` of them) or a Redis / Redis Cluster. */
export interface ConnectOptions extends GearsOptions, DriverOptions {
  /** Embedded memory store with this many shards (default 1), slots split like `redis-cli --cluster create`. */
  shards?: number;
  /** A `redis://` / `rediss://` URL (standalone or Cluster, detected) or an ioredis `Redis` / `Cluster` you own. */
  redis?: string | RedisClient;
  /**
   * Prometheus metrics from the start: `true` for a registry of their own, or your prom-client `Registry`.
   * Read them with `metricsOf(gears).registry.metrics()`.
   */
  metrics?: boolean | Registry;
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
export async function connect(target: string | ConnectOptions = {}, more: ConnectOptions = {}): Promise<Gears> {
  const options: ConnectOptions = typeof target === 'string' ? { ...more, redis: target } : target;
  if (options === null || typeof options !== 'object')
    throw new GearsError('connect() takes a URL or an options object');
  const { shards, redis, metrics, app, gears: gearModule, tasksPerMaster, ...engineOptions } = options;
  if ((app !== undefined || gearModule !== undefined) && redis === undefined)
    throw new GearsError("connect(): 'app' and 'gears' need Redis (workers meet there): connect(url, { app })");
  if (tasksPerMaster !== undefined && app === undefined)
    throw new GearsError("connect(): 'tasksPerMaster' is for a driver of worker processes: connect(url, { app })");
  if (redis !== undefined) checkRedisTarget(redis, 'connect()');
  if (redis !== undefined && shards !== undefined) {
    throw new GearsError("connect(): 'shards' is for the embedded store; a Redis Cluster brings its own shards");
  }
  if (metrics !== undefined && typeof metrics !== 'boolean' && !isRegistry(metrics)) {
    throw new GearsError("connect(): 'metrics' must be true or a prom-client Registry");
  }
  const count = shards ?? 1;
  if (redis === undefined && (!Number.isInteger(count) || count < 1 || count > SLOT_COUNT)) {
    throw new GearsError(`connect(): 'shards' must be an integer from 1 to ${SLOT_COUNT}`);
  }
  const topology = redis !== undefined ? await createRedisTopology(redis) : createMemoryTopology(count);
  // With `app`, runs go to the app's worker processes (README "Scaling out").
  const gears =
    app !== undefined || gearModule !== undefined
      ? await (
          await import('./worker/driver.ts')
        ).createDriver(topology, engineOptions, {
          ...(app !== undefined ? { app } : {}),
          ...(gearModule !== undefined ? { gears: gearModule } : {}),
          ...(tasksPerMaster !== undefined ? { tasksPerMaster } : {}),
        })
      : new Gears(topology, engineOptions);
  logConnections(gears);
  if (metrics) {
    // Loaded only when asked for: prom-client is not needed by an engine without metrics.
    const { metricsOf } = await import('./metrics/GearsMetrics.ts');
    try {
      metricsOf(gears, metrics === true ? {} : { registry: metrics });
    } catch (error) {
      await gears.close();
      throw error;
    }
  }
  return gears;
}

/** Connection lost / regained, per shard, in the engine's log with the node's address and the error. */
function logConnections(gears: Gears): void {
  for (const shard of gears.shards) {
    const store = shard.store as Partial<Pick<RedisStore, 'onConnection' | 'address'>>;
    store.onConnection?.((event, err) =>
      event === 'lost'
        ? gears.logFrom(shard, 'warning', `connection to Redis ${String(store.address)} lost`, {
            address: store.address,
            ...(err ? { err } : {}),
          })
        : gears.logFrom(shard, 'notice', `connection to Redis ${String(store.address)} regained`, {
            address: store.address,
          }),
    );
  }
}

function isRegistry(value: unknown): value is Registry {
  return typeof value === 'object' && value !== null && typeof (value as Registry).metrics === 'function';
}
