import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect as netConnect } from 'node:net';
import { frameEnd, requestFrame } from '../../../lib/store/redis/frames.ts';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { connect, type Gears } from '../../../lib/index.ts';
import { createServer, type RxgearsServer } from '../../../lib/server/Server.ts';
import { startRedis, type RedisServerHandle } from '../../../lib/testing/servers.ts';

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to its end, feeding `input` on stdin, and collects its output. */
export function runProcess(
  command: string,
  args: readonly string[],
  options: { input?: string | Buffer; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    child.stdin.on('error', () => undefined); // the program may exit before reading all of it
    child.stdin.end(options.input ?? '');
  });
}

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** An `rxgears serve` child process: its port, and `stop()` (SIGTERM) resolving with how it exited. */
export interface ServeProcess {
  port: number;
  stop(): Promise<[number | null, NodeJS.Signals | null]>;
}

/**
 * `rxgears serve --port 0 …args` through the real CLI (`bin/rxgears.js`) as a child process, with `env` added to
 * this process' environment; resolves once it printed the line it listens on.
 */
export async function startServe(args: readonly string[], env: Record<string, string> = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, [join(ROOT, 'bin/rxgears.js'), 'serve', '--port', '0', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('exit', (code, signal) => resolve([code, signal])),
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const stop = async (): Promise<[number | null, NodeJS.Signals | null]> => {
    child.kill('SIGTERM');
    return exited;
  };
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const match = /rxgears listening on 127\.0\.0\.1:(\d+)\n/.exec(out);
        if (match) resolve(Number(match[1]));
      });
      void exited.then(() => reject(new Error(`serve exited before listening: ${out} ${stderr}`)));
    });
    return { port, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** `redis-cli -p <port> …args`, raw output (not a TTY), lines without the trailing newline. */
export async function redisCli(port: number, args: readonly string[], input?: string): Promise<string[]> {
  const result = await runProcess('redis-cli', ['-p', String(port), ...args], input === undefined ? {} : { input });
  if (result.code !== 0) throw new Error(`redis-cli exited with ${result.code}: ${result.stderr}`);
  return result.stdout.replace(/\n$/, '').split('\n');
}

/**
 * Sends raw bytes on a fresh connection, half-closes it, and resolves with everything the server sent once it
 * closed the connection (the server answers what it was sent, then closes: no timing involved).
 */
export function sendRaw(port: number, chunks: readonly (string | Buffer)[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(port, '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (d: Buffer) => received.push(d));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') return; // the server closed on a protocol error
      reject(error);
    });
    socket.on('close', () => resolve(Buffer.concat(received)));
    socket.on('connect', () => {
      for (const chunk of chunks) socket.write(chunk);
      socket.end();
    });
  });
}

/** What {@link useEmbeddedServer} gives the tests of a `describe`: live once its `beforeAll` has run. */
export interface EmbeddedServer {
  readonly gears: Gears;
  readonly server: RxgearsServer;
  readonly redis: Redis;
  /** `redis.call(name, …args)`. */
  call(...args: string[]): Promise<unknown>;
}

/**
 * A server on `shards` embedded shards and one ioredis client, started before the calling `describe`'s tests and
 * closed after them.
 */
export function useEmbeddedServer(shards = 3): EmbeddedServer {
  let gears: Gears | undefined;
  let server: RxgearsServer | undefined;
  let redis: Redis | undefined;
  beforeAll(async () => {
    gears = await connect({ shards });
    server = await createServer(gears, { port: 0 });
    redis = new Redis({ port: server.port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    await redis?.quit();
    await server?.close();
    await gears?.close();
  });
  return {
    get gears() {
      return gears!;
    },
    get server() {
      return server!;
    },
    get redis() {
      return redis!;
    },
    call: (...args) => redis!.call(args[0]!, ...args.slice(1)),
  };
}

/** The ports of {@link useEmbeddedBesideRedis}: live once its `beforeAll` has run. */
export interface PortsBesideRedis {
  /** A redis-server of the calling spec file's own (CONFIG RESETSTAT, notify-keyspace-events are server-wide). */
  readonly redis: number;
  /** `createServer` on 1 embedded shard: what is compared with `redis`, byte for byte. */
  readonly server: number;
}

/**
 * A redis-server and a server on 1 embedded shard, started before the calling `describe`'s tests and stopped
 * after them: for specs that send both the same requests and compare the answers.
 */
export function useEmbeddedBesideRedis(): PortsBesideRedis {
  let redis: RedisServerHandle | undefined;
  let gears: Gears | undefined;
  let server: RxgearsServer | undefined;
  beforeAll(async () => {
    redis = await startRedis();
    gears = await connect({ shards: 1 });
    server = await createServer(gears, { port: 0 });
  });
  afterAll(async () => {
    await server?.close();
    await gears?.close();
    await redis?.stop();
  });
  return {
    get redis() {
      return redis!.port;
    },
    get server() {
      return server!.port;
    },
  };
}

/**
 * A server on embedded shards and two clients, all closed after each test of the calling spec file. `b`'s
 * command timeout bounds how long it waits for an answer: a server that stayed blocked would never answer it.
 */
export function useServerWithTwoClients(): (
  shards: number,
  config: Record<string, number>,
  timeouts?: { a?: number; b?: number },
) => Promise<{ a: Redis; b: Redis }> {
  let gears: Gears | undefined;
  let server: RxgearsServer | undefined;
  const clients: Redis[] = [];
  afterEach(async () => {
    for (const redis of clients.splice(0)) redis.disconnect();
    await server?.close();
    await gears?.close();
    server = undefined;
    gears = undefined;
  });
  return async (shards, config, timeouts = {}) => {
    gears = await connect({ shards, config });
    server = await createServer(gears, { port: 0 });
    const client = (commandTimeout: number): Redis => {
      const redis = new Redis({ port: server!.port, host: '127.0.0.1', maxRetriesPerRequest: 1, commandTimeout });
      clients.push(redis);
      return redis;
    };
    return { a: client(timeouts.a ?? 30_000), b: client(timeouts.b ?? 30_000) };
  };
}

/**
 * Sends `requests` as RESP frames on one fresh connection and resolves with the bytes of the first `replies`
 * replies (counted with the proxy's own framing, so nothing waits on time).
 */
export function exchange(
  port: number,
  requests: readonly (readonly (string | Buffer)[])[],
  replies = requests.length,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      let offset = 0;
      for (let n = 0; n < replies; n++) {
        const end = frameEnd(received, offset);
        if (end === -1) return;
        offset = end;
      }
      socket.destroy();
      resolve(received.subarray(0, offset));
    });
    socket.on('connect', () => socket.write(Buffer.concat(requests.map((r) => requestFrame(r)))));
  });
}

/** The replies in `bytes`, each as its own text (latin1, so every byte shows). */
export function splitReplies(bytes: Buffer): string[] {
  const replies: string[] = [];
  for (let offset = 0; offset < bytes.length;) {
    const end = frameEnd(bytes, offset);
    replies.push(bytes.toString('latin1', offset, end));
    offset = end;
  }
  return replies;
}
