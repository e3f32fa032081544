import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { connect, type Gears } from '../../../lib/index.ts';
import { createServer, type RxgearsServer } from '../../../lib/server/Server.ts';

/**
 * node-redis 5 in RESP3 mode (issue 11): it sends `HELLO 3` and decodes RESP3 shapes itself, so an `hGetAll`
 * that comes back as an object proves the server answered a map (`%`), not a RESP2 flat array.
 */

let gears: Gears | undefined;
let server: RxgearsServer | undefined;
let client: ReturnType<typeof createClient> | undefined;

afterEach(async () => {
  if (client?.isOpen) await client.quit();
  await server?.close();
  await gears?.close();
  client = undefined;
  server = undefined;
  gears = undefined;
});

const BACKENDS: { name: string; gears: () => Promise<Gears> }[] = [
  { name: 'the embedded store', gears: () => connect() },
  { name: 'a real Redis (raw proxy)', gears: () => connect(inject('redisUrl')) },
];

describe.each(BACKENDS)('node-redis 5 with RESP: 3 against rxgears serve on $name', ({ gears: make }) => {
  it('gets RESP3 shapes: a map from hGetAll, a set from sMembers, doubles from zScore and WITHSCORES, and RG.* replies', async () => {
    gears = await make();
    server = await createServer(gears, { port: 0 });
    client = createClient({ url: `redis://127.0.0.1:${server.port}`, RESP: 3 });
    client.on('error', () => undefined);
    await client.connect();
    const p = `resp3:${randomBytes(4).toString('hex')}`;
    await client.hSet(`${p}:h`, { name: 'Rick', age: '70' });
    await client.sAdd(`${p}:s`, ['a', 'b']);
    await client.zAdd(`${p}:z`, { score: 1.5, value: 'm' });

    expect(await client.hGetAll(`${p}:h`)).toEqual({ name: 'Rick', age: '70' });
    const members = await client.sMembers(`${p}:s`);
    expect([...(members as Iterable<string>)].sort()).toEqual(['a', 'b']);
    expect(await client.zScore(`${p}:z`, 'm')).toBe(1.5);
    await client.zAdd(`${p}:z`, { score: 2, value: 'n' });
    expect(await client.zScore(`${p}:z`, 'n')).toBe(2);
    expect(await client.zRangeWithScores(`${p}:z`, 0, -1)).toEqual([
      { value: 'm', score: 1.5 },
      { value: 'n', score: 2 },
    ]);
    expect(await client.sendCommand(['RG.JSEXECUTE', "GB('ShardsIDReader').count().run()"])).toEqual([[1], []]);
  });

  it('gets each reply of a transaction in its RESP3 shape: multi().hGetAll().sMembers().zScore().exec()', async () => {
    gears = await make();
    server = await createServer(gears, { port: 0 });
    client = createClient({ url: `redis://127.0.0.1:${server.port}`, RESP: 3 });
    client.on('error', () => undefined);
    await client.connect();
    const p = `resp3tx:{${randomBytes(4).toString('hex')}}`;
    await client.hSet(`${p}:h`, { name: 'Rick' });
    await client.sAdd(`${p}:s`, ['a']);
    await client.zAdd(`${p}:z`, [
      { score: 1.5, value: 'm' },
      { score: 2, value: 'n' },
    ]);
    const [hash, members, score, popped] = await client
      .multi()
      .hGetAll(`${p}:h`)
      .sMembers(`${p}:s`)
      .zScore(`${p}:z`, 'n')
      .zPopMin(`${p}:z`)
      .exec();
    expect(hash).toEqual({ name: 'Rick' });
    expect([...(members as unknown as Iterable<string>)]).toEqual(['a']);
    expect(score).toBe(2);
    expect(popped).toEqual({ value: 'm', score: 1.5 });
  });
});
