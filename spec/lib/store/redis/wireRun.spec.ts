/**
 * `WireConnection.requestRun` against a real redis-server: a run's replies come back as the bytes Redis sent, in
 * order, whether they came in one read or several, without the push frames Redis may put between them, with
 * errors and redirections flagged, and with what came when the connection ended first.
 */
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { requestFrame } from '../../../../lib/store/redis/frames.ts';
import { splitReplies } from '../../server/helpers.ts';
import { WireConnection, type RunReplies, type WireEndpoint } from '../../../../lib/store/redis/wire.ts';
import { uniquePrefix } from './helpers.ts';

function run(connection: WireConnection, requests: (string | Buffer)[][], cut = false): Promise<RunReplies> {
  const frames = requests.map((request) => requestFrame(request));
  // `cut`: the run's bytes in pieces that do not follow the requests' boundaries.
  const bytes = cut ? [Buffer.concat(frames)].flatMap((all) => [all.subarray(0, 7), all.subarray(7)]) : frames;
  return new Promise((resolve) => connection.requestRun(bytes, requests.length, resolve));
}

describe('WireConnection.requestRun', () => {
  let endpoint: WireEndpoint;
  const prefix = uniquePrefix('wireRun');
  const connections: WireConnection[] = [];
  const open = (protocol: 2 | 3 = 2): WireConnection => {
    const connection = new WireConnection(endpoint, protocol);
    connections.push(connection);
    return connection;
  };

  beforeAll(() => {
    const url = new URL(inject('redisUrl'));
    endpoint = { host: url.hostname, port: Number(url.port) };
  });

  afterAll(async () => {
    const connection = open();
    await run(connection, [['DEL', `${prefix}a`, `${prefix}big`, `${prefix}t`, `${prefix}list`]]);
    for (const each of connections) each.close();
  });

  it('answers a run with its replies in order, errors flagged, the bytes cut anywhere', async () => {
    const connection = open();
    const replies = await run(
      connection,
      [['SET', `${prefix}a`, Buffer.from([0xff, 0x00, 0x0d, 0x0a])], ['GET', `${prefix}a`], ['INCR', `${prefix}a`], ['PING']],
      true,
    );
    expect(replies.failure).toBeUndefined();
    expect(replies.count).toBe(4);
    expect(replies.errors).toEqual([2]);
    expect(replies.redirected).toBe(false);
    expect(splitReplies(replies.replies)).toEqual([
      '+OK\r\n',
      '$4\r\n\xff\x00\r\n\r\n',
      '-ERR value is not an integer or out of range\r\n',
      '+PONG\r\n',
    ]);
  });

  it('gathers replies that span several reads, and keeps runs and single requests apart', async () => {
    const connection = open();
    const big = Buffer.alloc(300_000, 0x61);
    await run(connection, [['SET', `${prefix}big`, big]]);
    const single = new Promise<Buffer | Error>((resolve) => connection.request(requestFrame(['PING', 'one']), resolve));
    const first = run(connection, [['GET', `${prefix}big`], ['STRLEN', `${prefix}big`], ['GET', `${prefix}big`]]);
    const second = run(connection, [['PING', 'two']]);
    expect((await single).toString()).toBe('$3\r\none\r\n');
    const replies = await first;
    expect(replies.errors).toBeUndefined();
    const expected = `$300000\r\n${big.toString('latin1')}\r\n`;
    expect(splitReplies(replies.replies)).toEqual([expected, ':300000\r\n', expected]);
    expect((await second).replies.toString()).toBe('$3\r\ntwo\r\n');
  });

  it('leaves out the push frames Redis sends between the replies of a run (RESP3 client tracking)', async () => {
    const connection = open(3);
    const replies = await run(connection, [
      ['CLIENT', 'TRACKING', 'ON'],
      ['GET', `${prefix}t`],
      ['SET', `${prefix}t`, '1'], // invalidates the key this connection read: a push frame to it
      ['GET', `${prefix}t`],
      ['CLIENT', 'TRACKING', 'OFF'],
    ]);
    expect(splitReplies(replies.replies)).toEqual(['+OK\r\n', '_\r\n', '+OK\r\n', '$1\r\n1\r\n', '+OK\r\n']);
  });

  it('settles with the replies that came and the error when the connection ends first', async () => {
    const connection = open();
    const pending = run(connection, [['PING'], ['BLPOP', `${prefix}list`, '0']]);
    // Redis closes it once the BLPOP blocks: the PING's reply was sent before, so it is in.
    const probe = open();
    const ask = (request: string[]): Promise<string> =>
      new Promise((resolve) => probe.request(requestFrame(request), (reply) => resolve(String(reply))));
    let id: string | undefined;
    await vi.waitFor(
      async () => {
        id = /id=(\d+) [^\n]*cmd=blpop/.exec(await ask(['CLIENT', 'LIST']))?.[1];
        expect(id).toBeDefined();
      },
      { timeout: 15_000, interval: 20 },
    );
    expect(await ask(['CLIENT', 'KILL', 'ID', id!])).toBe(':1\r\n');
    const replies = await pending;
    expect(replies.failure).toBeInstanceOf(Error);
    expect(replies.count).toBe(1);
    expect(replies.replies.toString()).toBe('+PONG\r\n');
    const late = await run(connection, [['PING']]);
    expect(late.failure).toBeInstanceOf(Error);
    expect(late.count).toBe(0);
  });
});
