import type { Cluster, Redis } from 'ioredis';

export { RedisStore, DEFAULT_REDIS_STORE_OPTIONS, type RedisStoreOptions } from './RedisStore.ts';
export { RedisConnectionError } from './errors.ts';
export { DEFAULT_CONNECTION_OPTIONS } from './connection.ts';
export type { ReadStrategy } from './readKeys.ts';

/** An ioredis client rxgears can run on (lib/cluster's `createRedisTopology` uses it and leaves closing it to its owner). */
export type RedisClient = Redis | Cluster;
