import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GearsError } from '../errors.ts';

const run = promisify(execFile);

/** A throwaway `redis-server` process: connect to `url`, call `stop()` when done. */
export interface RedisServerHandle {
  host: string;
  port: number;
  url: string;
  /** The server process, e.g. to `kill('SIGSTOP')` it in a fault test. */
  process: ChildProcess;
  stop(): Promise<void>;
}

/** A throwaway 3-master (by default) Redis Cluster made with `redis-cli --cluster create`. */
export interface RedisClusterHandle {
  nodes: RedisServerHandle[];
  /** `redis://host:port` of every master, the first one usable as the seed. */
  urls: string[];
  stop(): Promise<void>;
}

export interface StartRedisOptions {
  /** Binary to run (default `redis-server` on PATH). */
  binary?: string;
  /** Extra `redis-server` arguments, e.g. `['--requirepass', 'secret']`. */
  args?: string[];
}

const HOST = '127.0.0.1';

/** Asks the kernel for a free loopback port. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function assertRedisInstalled(binary: string): Promise<void> {
  try {
    await run(binary, ['--version']);
  } catch (cause) {
    throw new GearsError(
      `${binary} was not found. Install it (Debian/Ubuntu: "apt-get install -y redis-server", macOS: "brew install redis") ` +
        'or pass { binary } pointing at one.',
      { cause },
    );
  }
}

async function waitForPing(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new GearsError(`redis-server on port ${port} exited: ${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = netConnect(port, HOST);
      socket.setTimeout(500);
      socket.once('connect', () => socket.write('PING\r\n'));
      socket.once('data', (data) => {
        socket.destroy();
        resolve(data.toString().startsWith('+PONG'));
      });
      socket.once('error', () => resolve(false));
      socket.once('timeout', () => {
        socket.destroy();
        resolve(false);
      });
    });
    if (ok) return;
    if (Date.now() > deadline) throw new GearsError(`redis-server on port ${port} did not answer PING: ${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Starts a throwaway `redis-server` on a free loopback port, keeping nothing on disk.
 *
 * @example
 * const redis = await startRedis();
 * const gears = await connect(redis.url);
 * // …
 * await gears.close(); await redis.stop();
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServerHandle> {
  const binary = options.binary ?? 'redis-server';
  await assertRedisInstalled(binary);
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'rxgears-redis-'));
  const child = spawn(
    binary,
    ['--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no', '--dir', dir, ...(options.args ?? [])],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  child.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGCONT'); // a paused server (fault tests) must be able to die
      child.kill('SIGKILL');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitForPing(port, child, () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  return { host: HOST, port, url: `redis://${HOST}:${port}`, process: child, stop };
}

/**
 * Starts `masters` (default 3) cluster-enabled servers and joins them with
 * `redis-cli --cluster create … --cluster-replicas 0`, so the slots split as 0-5460, 5461-10922, 10923-16383.
 * Resolves once every node reports `cluster_state:ok`.
 *
 * @example
 * const cluster = await startRedisCluster();
 * const gears = await connect(cluster.urls[0]);
 */
export async function startRedisCluster(options: StartRedisOptions & { masters?: number } = {}): Promise<RedisClusterHandle> {
  const masters = options.masters ?? 3;
  const nodes: RedisServerHandle[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((n) => n.stop()));
  };
  try {
    for (let i = 0; i < masters; i++) {
      nodes.push(
        await startRedis({
          ...options,
          args: ['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${i}.conf`, '--cluster-node-timeout', '2000', ...(options.args ?? [])],
        }),
      );
    }
    await run('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `${n.host}:${n.port}`), '--cluster-replicas', '0', '--cluster-yes']);
    const deadline = Date.now() + 20_000;
    for (const node of nodes) {
      for (;;) {
        const { stdout } = await run('redis-cli', ['-h', node.host, '-p', String(node.port), 'CLUSTER', 'INFO']);
        if (stdout.includes('cluster_state:ok')) break;
        if (Date.now() > deadline) throw new GearsError(`cluster node ${node.port} never reached cluster_state:ok`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { nodes, urls: nodes.map((n) => n.url), stop };
}
