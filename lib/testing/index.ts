/**
 * `rxgears/testing`: property-test your own gear functions the way rxgears tests itself — random Redis data
 * sets, the same gear on 1 and N shards and on real Redis, and throwaway Redis servers and clusters.
 */
export {
  startRedis,
  startRedisCluster,
  freePort,
  type RedisServerHandle,
  type RedisClusterHandle,
  type StartRedisOptions,
  type RedisTlsFiles,
} from './servers.ts';
export {
  redisDataSet,
  redisValue,
  entryCommands,
  writeDataSet,
  type RedisDataSet,
  type RedisEntry,
  type RedisEntryType,
  type DataSetOptions,
} from './arbitraries.ts';
export {
  assertShardInvariant,
  assertSameOutcomes,
  TopologyPool,
  type GearFactory,
  type GearContext,
  type Runnable,
  type Outcome,
  type TopologySpec,
  type ShardInvariantOptions,
} from './invariant.ts';
