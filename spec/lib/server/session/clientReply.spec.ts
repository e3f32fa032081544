import { connect as netConnect, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Gears } from '../../../../lib/index.ts';
import { createServer, type RxgearsServer } from '../../../../lib/server/Server.ts';
import { frameEnd, requestFrame } from '../../../../lib/store/redis/frames.ts';
import { startRedis, type RedisServerHandle } from '../../../../lib/testing/servers.ts';

/** One raw connection: requests out as RESP frames, replies read frame by frame as they come. */
class Conversation {
  private received = Buffer.alloc(0);
  private waiting: (() => void) | undefined;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      this.waiting?.();
    });
  }

  static open(port: number): Promise<Conversation> {
    return new Promise((resolve, reject) => {
      const socket = netConnect(port, '127.0.0.1');
      socket.once('error', reject);
      socket.once('connect', () => resolve(new Conversation(socket)));
    });
  }

  send(...requests: string[][]): void {
    for (const request of requests) this.socket.write(requestFrame(request));
  }

  /** The next `n` frames, as text (the first frame after a dropped reply shows that nothing came before it). */
  async frames(n: number): Promise<string> {
    for (;;) {
      let end = 0;
      let count = 0;
      while (count < n && end < this.received.length) {
        const next = frameEnd(this.received, end);
        if (next < 0) break;
        end = next;
        count++;
      }
      if (count === n) {
        const text = this.received.toString('latin1', 0, end);
        this.received = this.received.subarray(end);
        return text;
      }
      await new Promise<void>((resolve) => (this.waiting = resolve));
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

/** CLIENT REPLY OFF / SKIP / ON and its errors on one connection: the replies that come, in order. */
async function replyModes(port: number): Promise<string> {
  const c = await Conversation.open(port);
  try {
    c.send(
      ['CLIENT', 'REPLY', 'OFF'],
      ['SET', 'reply:k', '1'],
      ['GET', 'reply:k'],
      ['NOSUCHCOMMAND'],
      ['CLIENT', 'REPLY', 'SKIP'],
      ['CLIENT', 'REPLY', 'ON'],
      ['CLIENT', 'REPLY', 'SKIP'],
      ['INCR', 'reply:k'],
      ['GET', 'reply:k'],
      ['CLIENT', 'REPLY', 'SKIP'],
      ['CLIENT', 'REPLY', 'ON'],
      ['CLIENT', 'REPLY', 'MAYBE'],
      ['CLIENT', 'REPLY'],
      ['PING'],
    );
    return await c.frames(6);
  } finally {
    c.close();
  }
}

/** Pub/sub with replies off: subscription replies and messages still come (Redis' pub/sub test, RESP2 and 3). */
async function pubsubWithRepliesOff(port: number, publisher: Redis, protocol: '2' | '3'): Promise<string> {
  const c = await Conversation.open(port);
  try {
    c.send(['HELLO', protocol]);
    await c.frames(1);
    c.send(['CLIENT', 'REPLY', 'OFF'], ['SUBSCRIBE', 'reply:ch'], ['PSUBSCRIBE', 'reply:c*']);
    let text = await c.frames(2);
    await publisher.publish('reply:ch', 'hello');
    text += await c.frames(2);
    c.send(['UNSUBSCRIBE', 'reply:ch'], ['PUNSUBSCRIBE', 'reply:c*']);
    text += await c.frames(2);
    // Out of subscribed mode, replies are still off: only ON answers.
    c.send(['GET', 'reply:k'], ['CLIENT', 'REPLY', 'ON'], ['PING']);
    return text + (await c.frames(2));
  } finally {
    c.close();
  }
}

describe('CLIENT REPLY', () => {
  let redis: RedisServerHandle;
  let gears: Gears;
  let server: RxgearsServer;
  let proxied: Gears;
  let proxy: RxgearsServer;
  let publishers: Redis[];

  beforeAll(async () => {
    redis = await startRedis();
    gears = await connect({ shards: 1 });
    server = await createServer(gears, { port: 0 });
    proxied = await connect(`redis://127.0.0.1:${redis.port}`);
    proxy = await createServer(proxied, { port: 0 });
    publishers = [redis.port, server.port, proxy.port].map(
      (port) => new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 }),
    );
  });

  afterAll(async () => {
    for (const publisher of publishers) publisher.disconnect();
    await proxy.close();
    await proxied.close();
    await server.close();
    await gears.close();
    await redis.stop();
  });

  it('drops replies as redis-server does for OFF, SKIP and ON, byte for byte (embedded and --redis)', async () => {
    const expected = await replyModes(redis.port);
    expect(expected).toContain('+OK\r\n$1\r\n2\r\n');
    expect(await replyModes(server.port)).toBe(expected);
    expect(await replyModes(proxy.port)).toBe(expected);
  });

  it.each(['2', '3'] as const)('still delivers pub/sub replies and messages with replies off (RESP%s)', async (p) => {
    const expected = await pubsubWithRepliesOff(redis.port, publishers[0]!, p);
    expect(expected).toContain('hello');
    expect(await pubsubWithRepliesOff(server.port, publishers[1]!, p)).toBe(expected);
    expect(await pubsubWithRepliesOff(proxy.port, publishers[2]!, p)).toBe(expected);
  });
});
