import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { DEFAULT_CONNECTION_OPTIONS, sendDirect } from '../../../lib/store/redis/connection.ts';
import { uniquePrefix } from './helpers.ts';

const key = `${uniquePrefix('conn')}list`;

describe('sendDirect', () => {
  const client = new Redis(inject('redisUrl'), { ...DEFAULT_CONNECTION_OPTIONS });
  afterAll(() => client.disconnect());

  it('sends past auto-pipelining, which `call` would queue for a later turn', async () => {
    await client.ping();
    const queued = client.call('PING');
    expect(client.autoPipelineQueueSize).toBe(1);
    const direct = sendDirect(client, 'ECHO', ['direct']);
    expect(client.autoPipelineQueueSize).toBe(1);
    expect(await Promise.all([queued, direct])).toEqual(['PONG', 'direct']);
  });

  it('replies as strings and rejects with the Redis error reply', async () => {
    await client.call('RPUSH', key, 'a', 'b');
    expect(await sendDirect(client, 'LRANGE', [key, 0, -1])).toEqual(['a', 'b']);
    await expect(sendDirect(client, 'GET', [key])).rejects.toThrow(/^WRONGTYPE/);
    await client.del(key);
  });
});
