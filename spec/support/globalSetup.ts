import type { TestProject } from 'vitest/node';
import { startRedis, startRedisCluster } from '../../lib/testing/servers.ts';

/**
 * One throwaway standalone Redis and one 3-master Redis Cluster for the whole run, on free loopback ports.
 * Specs reach them with `inject('redisUrl')` / `inject('clusterUrls')` and must use unique key prefixes.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [redis, cluster] = await Promise.all([startRedis(), startRedisCluster()]);
  project.provide('redisUrl', redis.url);
  project.provide('redisPid', redis.process.pid ?? 0);
  project.provide('clusterUrls', cluster.urls);
  return async () => {
    await Promise.all([redis.stop(), cluster.stop()]);
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    redisPid: number;
    clusterUrls: string[];
  }
}
