import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Gears } from '../../../../lib/index.ts';
import { createServer, type RxgearsServer } from '../../../../lib/server/Server.ts';
import { until } from '../../../support/until.ts';
import { exchange } from '../helpers.ts';

describe('pub/sub on the embedded store through the server', () => {
  let gears: Gears;
  let server: RxgearsServer;
  const clients: Redis[] = [];
  const client = (): Redis => {
    const redis = new Redis({ port: server.port, maxRetriesPerRequest: 1 });
    clients.push(redis);
    return redis;
  };

  beforeAll(async () => {
    gears = await connect({ shards: 3 });
    server = await createServer(gears, { port: 0 });
  });

  afterAll(async () => {
    for (const redis of clients) redis.disconnect();
    await server?.close();
    await gears?.close();
  });

  it('delivers PUBLISH to channel and pattern subscribers and answers how many received it', async () => {
    const [subscriber, publisher] = [client(), client()];
    const got: string[] = [];
    subscriber.on('message', (channel: string, message: string) => got.push(`message ${channel} ${message}`));
    subscriber.on('pmessage', (pattern: string, channel: string, message: string) =>
      got.push(`pmessage ${pattern} ${channel} ${message}`),
    );
    expect(await subscriber.subscribe('news', 'sport')).toBe(2);
    expect(await subscriber.psubscribe('n*')).toBe(3);
    expect(await publisher.publish('news', 'hello')).toBe(2);
    expect(await publisher.publish('weather', 'rain')).toBe(0);
    await until(() => got.length === 2, 'both deliveries');
    expect(got).toEqual(['message news hello', 'pmessage n* news hello']);
    expect(await publisher.call('PUBSUB', 'CHANNELS')).toEqual(expect.arrayContaining(['news', 'sport']));
    expect(await publisher.call('PUBSUB', 'CHANNELS', 's*')).toEqual(['sport']);
    expect(await publisher.call('PUBSUB', 'NUMSUB', 'news', 'none')).toEqual(['news', 1, 'none', 0]);
    expect(await publisher.call('PUBSUB', 'NUMPAT')).toBe(1);
    await expect(publisher.call('PUBSUB', 'NOPE')).rejects.toThrow("ERR unknown subcommand or wrong number of arguments for 'NOPE'");
    expect(await subscriber.unsubscribe('news', 'sport')).toBe(1);
    expect(await subscriber.punsubscribe('n*')).toBe(0);
    expect(await publisher.publish('news', 'again')).toBe(0);
  });

  it('refuses other commands in RESP2 subscribed mode with Redis\' error, and answers PING as an array', async () => {
    const reply = await exchange(server.port, [['SUBSCRIBE', 'c'], ['GET', 'k'], ['PING']]);
    expect(reply.toString()).toBe(
      "*3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n*2\r\n$4\r\npong\r\n$0\r\n\r\n",
    );
  });

  it('sends RESP3 pushes after HELLO 3, and lets other commands run meanwhile', async () => {
    const publisher = client();
    const reply = exchange(server.port, [['HELLO', '3'], ['SUBSCRIBE', 'r3'], ['SET', 'k', 'v']], 4);
    await until(async () => Number(await publisher.publish('r3', 'hi')) === 1, 'the subscriber is there');
    const text = (await reply).toString();
    expect(text).toContain('>3\r\n$9\r\nsubscribe\r\n$2\r\nr3\r\n:1\r\n+OK\r\n>3\r\n$7\r\nmessage\r\n$2\r\nr3\r\n$2\r\nhi\r\n');
  });

  it('forgets a subscriber that disconnected', async () => {
    const [subscriber, publisher] = [client(), client()];
    await subscriber.subscribe('gone');
    expect(await publisher.publish('gone', 'x')).toBe(1);
    subscriber.disconnect();
    await until(async () => Number(await publisher.publish('gone', 'x')) === 0, 'the subscription is dropped');
  });

  it('answers wrong arity as Redis does', async () => {
    const redis = client();
    await expect(redis.call('PUBLISH', 'only-channel')).rejects.toThrow(
      "ERR wrong number of arguments for 'publish' command",
    );
  });
});
