import { afterEach, describe, inject, it, expect } from 'vitest';
import { createConnection } from 'node:net';
import { connect } from '../../lib/index.ts';
import { startRedis, type RedisServerHandle } from '../../lib/testing/index.ts';

function ask(url: string, command: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = createConnection(Number(port), hostname, () => socket.write(command));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString());
    });
    socket.once('error', reject);
  });
}

it('starts a standalone redis-server of its own on a free port', async () => {
  const url = inject('redisUrl');
  expect(url).not.toMatch(/:6379$/);
  expect(await ask(url, 'PING\r\n')).toBe('+PONG\r\n');
});

it('starts a 3-master cluster whose slots split like redis-cli --cluster create', async () => {
  const urls = inject('clusterUrls');
  expect(urls).toHaveLength(3);
  const info = await ask(urls[0]!, 'CLUSTER INFO\r\n');
  expect(info).toContain('cluster_state:ok');
  expect(info).toContain('cluster_known_nodes:3');
});

describe('startRedis() with --requirepass', () => {
  let server: RedisServerHandle | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('waits until the server answers (authenticating), and puts the password in the url', async () => {
    server = await startRedis({ args: ['--requirepass', 'se cret:@'] });
    expect(server.password).toBe('se cret:@');
    expect(new URL(server.url).password).toBe(encodeURIComponent('se cret:@'));
    expect(await ask(server.url, 'PING\r\n')).toMatch(/^-NOAUTH/);
    const gears = await connect(server.url);
    try {
      expect(await gears.execute('PING')).toBe('PONG');
    } finally {
      await gears.close();
    }
  });
});

describe('restart()', () => {
  let server: RedisServerHandle | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('brings a killed server back on the same port, as a new process with nothing persisted', async () => {
    server = await startRedis();
    const first = server.process;
    expect(await ask(server.url, 'SET k v\r\n')).toBe('+OK\r\n');
    const exited = new Promise((resolve) => first.once('exit', resolve));
    first.kill('SIGKILL');
    await exited;
    await expect(ask(server.url, 'PING\r\n')).rejects.toThrow(/ECONNREFUSED/);
    await server.restart();
    expect(server.process).not.toBe(first);
    expect(server.process.pid).not.toBe(first.pid);
    expect(await ask(server.url, 'PING\r\n')).toBe('+PONG\r\n');
    expect(await ask(server.url, 'GET k\r\n')).toBe('$-1\r\n');
  });

  it('restarts a running server too, and refuses once stopped', async () => {
    server = await startRedis();
    const first = server.process;
    await server.restart();
    expect(first.signalCode).toBe('SIGKILL');
    expect(await ask(server.url, 'PING\r\n')).toBe('+PONG\r\n');
    await server.stop();
    await expect(server.restart()).rejects.toThrow(/was stopped/);
    server = undefined;
  });
});
