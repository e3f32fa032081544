import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { GearsError, RedisReplyError } from '../../../../lib/errors.ts';
import { createRedisTopology } from '../../../../lib/cluster/redisTopology.ts';
import { RedisConnectionError, RedisStore } from '../../../../lib/store/redis/index.ts';
import type { KeyspaceEvent } from '../../../../lib/store/ShardStore.ts';
import { freePort, startRedis, type RedisServerHandle } from '../../../../lib/testing/servers.ts';
import { until } from '../../../support/until.ts';
import { untilSubscribed } from './helpers.ts';

// "Does not hang" bound: generous for a busy 2-core machine, far below ioredis' defaults (~30 s and more).
const BOUND_MS = 15_000;

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};
beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
});
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

async function rejectsWithin(promise: Promise<unknown>): Promise<unknown> {
  const started = Date.now();
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(Date.now() - started).toBeLessThan(BOUND_MS);
  return error;
}

/**
 * Bytes clients sent to the server on `port` that it has not read yet: the receive queues of its accepted
 * sockets in /proc/net/tcp and tcp6 (Linux, where the suite runs). A stopped server's queue says a command is
 * on the wire, where a sleep could only hope so.
 */
function unreadBytesAt(port: number): number {
  let unread = 0;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const [, local, , state, queues] = line.trim().split(/\s+/);
      if (state !== '01' || local === undefined || queues === undefined) continue; // 01: ESTABLISHED
      if (Number.parseInt(local.split(':')[1]!, 16) === port) unread += Number.parseInt(queues.split(':')[1]!, 16);
    }
  }
  return unread;
}

/** A redis-server on a given port (to bring a stopped node back at the same address). */
function spawnRedisOn(port: number): ChildProcess {
  return spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
}

describe('a node that goes away', () => {
  let server: RedisServerHandle;
  let revived: ChildProcess | undefined;
  afterEach(async () => {
    revived?.kill('SIGKILL');
    revived = undefined;
    await server.stop();
  });

  it('rejects commands within a bounded time with a RedisConnectionError, and serves again when it is back', async () => {
    server = await startRedis();
    const store = new RedisStore(server.url);
    try {
      await store.call('SET', 'k', 'v');
      await server.stop();
      for (const attempt of [
        store.call('GET', 'k'),
        store.scan('0'),
        store.readKeys(['k']),
        store.xrange('s', '-', '+'),
      ]) {
        const error = await rejectsWithin(attempt);
        expect(error).toBeInstanceOf(RedisConnectionError);
        expect((error as RedisConnectionError).address).toBe(`127.0.0.1:${server.port}`);
        expect((error as Error).message).toContain(`Redis 127.0.0.1:${server.port}`);
      }
      revived = spawnRedisOn(server.port);
      await vi.waitFor(async () => expect(await store.call('PING')).toBe('PONG'), { timeout: BOUND_MS, interval: 200 });
      expect(await store.call('SET', 'k', 'again')).toBe('OK');
    } finally {
      await store.close();
    }
  });

  it('rejects a command that was in flight when the node died', async () => {
    server = await startRedis();
    const store = new RedisStore(server.url);
    try {
      expect(await store.call('PING')).toBe('PONG');
      server.process.kill('SIGSTOP');
      const unread = unreadBytesAt(server.port);
      const inFlight = store.call('GET', 'k');
      await until(() => unreadBytesAt(server.port) > unread, 'the GET waiting unread at the stopped server');
      // SIGKILL while stopped: the server dies without running again (stop() would SIGCONT it first, and it
      // might answer the GET before the kill lands).
      const exited = new Promise((r) => server.process.once('exit', r));
      server.process.kill('SIGKILL');
      await exited;
      expect(await rejectsWithin(inFlight)).toBeInstanceOf(RedisConnectionError);
    } finally {
      await store.close();
    }
  });

  it('times out on a node that accepts but never answers, and recovers when it answers again', async () => {
    server = await startRedis();
    const store = new RedisStore(server.url, { redisOptions: { commandTimeout: 300 } });
    try {
      expect(await store.call('PING')).toBe('PONG');
      server.process.kill('SIGSTOP');
      const error = await rejectsWithin(store.call('GET', 'k'));
      expect(error).toBeInstanceOf(RedisConnectionError);
      expect((error as Error).message).toMatch(/timed out/i);
      server.process.kill('SIGCONT');
      await vi.waitFor(async () => expect(await store.call('PING')).toBe('PONG'), { timeout: BOUND_MS, interval: 100 });
      server.process.kill('SIGSTOP');
      const started = Date.now();
      await store.close(); // QUIT gets no answer: close gives up on it rather than wait
      expect(Date.now() - started).toBeLessThan(BOUND_MS);
    } finally {
      server.process.kill('SIGCONT');
      await store.close();
    }
  });

  it('keeps delivering keyspace events after the node restarts, turning notifications on again', async () => {
    server = await startRedis();
    const store = new RedisStore(server.url);
    const events: KeyspaceEvent[] = [];
    const subscription = store.keyspaceEvents().subscribe((e) => events.push(e));
    try {
      await untilSubscribed(store, events, 'before');
      const exited = new Promise((r) => server.process.once('exit', r));
      server.process.kill('SIGKILL');
      await exited;
      // A fresh server on the same port: notify-keyspace-events is off again, the subscription is gone.
      revived = spawnRedisOn(server.port);
      await untilSubscribed(store, events, 'after');
      expect(subscription.closed).toBe(false);
    } finally {
      subscription.unsubscribe();
      await store.close();
    }
  });

  it('fails to build a topology on an address where nothing listens, within a bounded time', async () => {
    server = await startRedis(); // for afterEach
    const port = await freePort();
    const error = await rejectsWithin(createRedisTopology(`redis://127.0.0.1:${port}`));
    expect(error).toBeInstanceOf(RedisConnectionError);
    expect((error as Error).message).toContain('ECONNREFUSED');
  });
});

describe('a user with restricted permissions', () => {
  let server: RedisServerHandle;
  let admin: RedisStore;
  const url = (user: string, password: string): string => `redis://${user}:${password}@127.0.0.1:${server.port}`;

  beforeAll(async () => {
    server = await startRedis({
      args: [
        '--user',
        'noconfig',
        'on',
        '>secret',
        '~*',
        '&*',
        '+@all',
        '-config',
        '--user',
        'noscripts',
        'on',
        '>p@ss',
        '~*',
        '&*',
        '+@all',
        '-@scripting',
      ],
    });
    admin = new RedisStore(server.url);
  });
  afterAll(async () => {
    await admin.close();
    await server.stop();
  });

  it('fails with WRONGPASS for a wrong password, at once', async () => {
    const error = await rejectsWithin(createRedisTopology(url('noconfig', 'wrong')));
    expect(error).toBeInstanceOf(RedisReplyError);
    expect((error as Error).message).toBe('WRONGPASS invalid username-password pair or user is disabled.');
  });

  it('gets an error naming notify-keyspace-events when CONFIG is refused', async () => {
    const store = new RedisStore(url('noconfig', 'secret'));
    try {
      expect(await store.call('ACL', 'WHOAMI')).toBe('noconfig');
      const error = await new Promise<unknown>((resolve) => store.keyspaceEvents().subscribe({ error: resolve }));
      expect(error).toBeInstanceOf(GearsError);
      expect((error as Error).message).toContain('notify-keyspace-events KEA');
      expect((error as Error).cause).toBeInstanceOf(RedisReplyError);
      expect(((error as Error).cause as Error).message).toMatch(/^NOPERM/);
    } finally {
      await store.close();
    }
  });

  it('subscribes without CONFIG when told the setting is managed elsewhere', async () => {
    await admin.call('CONFIG', 'SET', 'notify-keyspace-events', 'KEA');
    const store = new RedisStore(url('noconfig', 'secret'), { configureKeyspaceEvents: false });
    const events: KeyspaceEvent[] = [];
    const subscription = store.keyspaceEvents().subscribe((e) => events.push(e));
    try {
      await untilSubscribed(store, events, 'probe');
    } finally {
      subscription.unsubscribe();
      await store.close();
      await admin.call('CONFIG', 'SET', 'notify-keyspace-events', '');
    }
  });

  it('reads keys with pipelines when scripts are refused', async () => {
    const store = new RedisStore(url('noscripts', 'p@ss'));
    try {
      await store.call('HSET', 'h', 'f', 'v');
      await store.call('SET', 's', 'x');
      expect(await store.readKeys(['h', 's', 'none'])).toEqual([
        { key: 'h', type: 'hash', value: { f: 'v' } },
        { key: 's', type: 'string', value: 'x' },
        { key: 'none', type: 'none', value: null },
      ]);
      await expect(store.call('EVAL', 'return 1', 0)).rejects.toThrow(/^NOPERM/);
    } finally {
      await store.close();
    }
  });
});
