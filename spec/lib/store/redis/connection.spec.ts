import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { DEFAULT_CONNECTION_OPTIONS, send, sendDirect } from '../../../../lib/store/redis/connection.ts';
import { fromBytes } from '../../../../lib/store/bytes.ts';
import { toReply } from '../../../../lib/store/redis/replies.ts';
import { uniquePrefix } from './helpers.ts';
import { connect } from '../../../../lib/index.ts';

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
    expect(await Promise.all([queued, direct])).toEqual(['PONG', Buffer.from('direct')]);
  });

  it('replies as Buffers and rejects with the Redis error reply', async () => {
    await client.call('RPUSH', key, 'a', 'b');
    expect(await sendDirect(client, 'LRANGE', [key, 0, -1])).toEqual([Buffer.from('a'), Buffer.from('b')]);
    await expect(sendDirect(client, 'GET', [key])).rejects.toThrow(/^WRONGTYPE/);
    await client.del(key);
  });
});

describe('send', () => {
  const client = new Redis(inject('redisUrl'), { ...DEFAULT_CONNECTION_OPTIONS });
  afterAll(() => client.disconnect());
  const next = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

  it('sends the first command of a turn directly and auto-pipelines the rest of the burst, in order', async () => {
    await client.del(`${key}:order`);
    await next();
    const burst = Array.from({ length: 20 }, (_, i) => send(client, 'RPUSH', [`${key}:order`, String(i)]));
    expect(client.autoPipelineQueueSize).toBe(19); // the first went straight to the socket
    await Promise.all(burst);
    expect(await client.lrange(`${key}:order`, 0, -1)).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    await client.del(`${key}:order`);
  });

  it('never overtakes commands still waiting in the auto-pipeline', async () => {
    await next();
    const queued = client.call('SET', `${key}:x`, 'queued'); // auto-pipelined: written on a later turn
    expect(client.autoPipelineQueueSize).toBe(1);
    const after = send(client, 'GET', [`${key}:x`]); // first send of the turn, but must queue behind the SET
    await queued;
    expect(toReply(await after)).toBe('queued');
    await client.del(`${key}:x`);
  });

  it("keeps the client's keyPrefix, like ioredis' call", async () => {
    const prefixed = new Redis(inject('redisUrl'), { ...DEFAULT_CONNECTION_OPTIONS, keyPrefix: `${key}:p:` });
    try {
      await next();
      await send(prefixed, 'SET', ['k', 'v']);
      expect(await client.get(`${key}:p:k`)).toBe('v');
      expect(toReply(await sendDirect(prefixed, 'GET', ['k']))).toBe('v');
    } finally {
      await client.del(`${key}:p:k`);
      prefixed.disconnect();
    }
  });

  it('sends a store string with escaped bytes as those bytes, auto-pipelined or not, and toReply gives it back', async () => {
    const binary = Buffer.from([0x61, 0xff, 0xfe, 0x00, 0x80]);
    const escaped = fromBytes(binary);
    await next();
    const burst = [send(client, 'SET', [`${key}:bin`, escaped]), send(client, 'GET', [`${key}:bin`])];
    expect(client.autoPipelineQueueSize).toBe(1); // the GET waits in the auto-pipeline
    const [, value] = await Promise.all(burst);
    expect(await client.getBuffer(`${key}:bin`)).toEqual(binary);
    expect(toReply(value)).toBe(escaped);
    await client.del(`${key}:bin`);
  });
});

describe('watchErrors', () => {
  it('keeps listening to a client passed to several engines until the last of them has closed', async () => {
    const client = new Redis(inject('redisUrl'), { ...DEFAULT_CONNECTION_OPTIONS });
    const before = client.listenerCount('error');
    const [first, second] = [await connect({ redis: client }), await connect({ redis: client })];
    expect(client.listenerCount('error')).toBe(before + 1);
    await first.close();
    // The other engine still hears the client's connection errors (ioredis logs them as unhandled otherwise).
    expect(client.listenerCount('error')).toBe(before + 1);
    await second.close();
    expect(client.listenerCount('error')).toBe(before);
    client.disconnect();
  });
});
