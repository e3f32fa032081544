
/**
 * The store contract on the wire: what `rxgears serve` on the embedded store sends, byte for byte, against what a
 * real redis-server sends for the same requests — the shapes a client library's parsing hides (null array or null
 * bulk string, integers beyond 2^53, binary bytes, RESP3 types). One connection per script on each side.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connect, type Gears } from '../../../../lib/index.ts';
import { createServer, type RxgearsServer } from '../../../../lib/server/Server.ts';
import { exchange, splitReplies } from '../../server/helpers.ts';
import { uniquePrefix } from './runner.ts';
import { wireScripts, type WireArg } from './scripts/wire.ts';

function expand(arg: WireArg, prefix: string): string | Buffer {
  return typeof arg === 'string' ? arg.replaceAll('{p}', prefix) : Buffer.concat([Buffer.from(prefix), arg]);
}

describe('rxgears serve on the embedded store sends what redis-server sends', () => {
  let gears: Gears;
  let server: RxgearsServer;
  let redisPort: number;

  beforeAll(async () => {
    gears = await connect({ shards: 1 });
    server = await createServer(gears, { port: 0 });
    redisPort = Number(new URL(inject('redisUrl')).port);
  });

  afterAll(async () => {
    await server.close();
    await gears.close();
  });

  for (const script of wireScripts) {
    it(script.name, async () => {
      const prefix = uniquePrefix('wire');
      // HELLO's own reply names the server: it is sent, not compared.
      const hello = script.resp3 ? [['HELLO', '3']] : [];
      const requests = [...hello, ...script.steps.map((step) => step.map((arg) => expand(arg, prefix)))];
      const [expected, actual] = await Promise.all([exchange(redisPort, requests), exchange(server.port, requests)]);
      const names = script.steps.map((step) => step.map((a) => (typeof a === 'string' ? a : '<bytes>')).join(' '));
      const label = (replies: string[]) => replies.slice(hello.length).map((r, i) => `${names[i]} → ${r}`);
      expect(label(splitReplies(actual))).toEqual(label(splitReplies(expected)));
      const redis = new Redis(inject('redisUrl'), { lazyConnect: true });
      await redis.connect();
      try {
        const keys = await redis.keys(`${prefix}*`);
        if (keys.length > 0) await redis.del(...keys);
      } finally {
        redis.disconnect();
      }
    });
  }
});
