export { RedisStore, DEFAULT_REDIS_STORE_OPTIONS, type RedisStoreOptions } from './RedisStore.ts';
export { createRedisTopology, type RedisTopologyOptions } from './topology.ts';
export { RedisConnectionError } from './errors.ts';
export { DEFAULT_CONNECTION_OPTIONS } from './connection.ts';
export type { ReadStrategy } from './readKeys.ts';
