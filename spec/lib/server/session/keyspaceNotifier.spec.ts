import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { useEmbeddedBesideRedis } from '../helpers.ts';

/** Commands whose notifications are compared, each class once, ending with a marker SET (the last message). */
const WRITES = [
  ['SET', 'kn:s', 'v'],
  ['APPEND', 'kn:s', 'w'],
  ['INCRBY', 'kn:n', '2'],
  ['PFADD', 'kn:hll', 'a'],
  ['PFMERGE', 'kn:hll2', 'kn:hll'],
  ['LPUSH', 'kn:l', 'a', 'b'],
  ['RPOP', 'kn:l'],
  ['SADD', 'kn:set', 'm'],
  ['SREM', 'kn:set', 'm'],
  ['HSET', 'kn:h', 'f', 'v'],
  ['HDEL', 'kn:h', 'f'],
  ['ZADD', 'kn:z', '1', 'm'],
  ['ZINCRBY', 'kn:z', '1', 'm'],
  ['XADD', 'kn:x', '*', 'f', 'v'],
  ['EXPIRE', 'kn:s', '100'],
  ['PERSIST', 'kn:s'],
  ['RENAME', 'kn:s', 'kn:s2'],
  ['DEL', 'kn:s2', 'kn:n', 'kn:l', 'kn:z', 'kn:x', 'kn:hll', 'kn:hll2'],
  ['SET', 'kn:end', 'x'],
];

/** The pub/sub messages a `PSUBSCRIBE *` client gets for WRITES under `flags` (with `$`: the marker), in order. */
async function notifications(port: number, flags: string): Promise<string[]> {
  const writer = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  const listener = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  try {
    await writer.config('SET', 'notify-keyspace-events', flags);
    const messages: string[] = [];
    const done = new Promise<void>((resolve) =>
      listener.on('pmessage', (_pattern: string, channel: string, message: string) => {
        messages.push(`${channel} ${message}`);
        if (channel.endsWith(':kn:end') || message === 'kn:end') resolve();
      }),
    );
    await listener.psubscribe('*');
    for (const [command, ...args] of WRITES) await writer.call(command!, ...args);
    await done;
    return messages;
  } finally {
    await writer.config('SET', 'notify-keyspace-events', '');
    writer.disconnect();
    listener.disconnect();
  }
}

describe('keyspace notifications over pub/sub (embedded store)', () => {
  const ports = useEmbeddedBesideRedis(); // CONFIG RESETSTAT and notify-keyspace-events are server-wide

  it.each(['KEA', 'K$', 'El$', 'Kgz$', 'Eshtx$'])('publishes what redis-server publishes for %s', async (flags) => {
    const expected = await notifications(ports.redis, flags);
    expect(expected.length).toBeGreaterThan(0);
    expect(await notifications(ports.server, flags)).toEqual(expected);
  });
});
