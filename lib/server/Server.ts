import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import type { Gears } from '../Gears.ts';
import { GearsError } from '../errors.ts';
import type { RespLimits } from './protocol/resp.ts';
import { Connection, SHUTTING_DOWN, type ConnectionHost } from './session/Connection.ts';
import { CommandStats } from './session/CommandStats.ts';
import { checkProtectedMode } from './session/exposure.ts';
import { WireProxy } from './session/WireProxy.ts';
import { KeyspaceNotifier } from './session/keyspaceNotifier.ts';
import { PubSub } from '../store/memory/pubsub.ts';
import { parseRedisUrl } from './protocol/client.ts';
import { deploymentsOf } from './rg/Deployments.ts';
import type { Logger } from '../logger.ts';

/** Options of the RESP server. */
export interface ServerOptions {
  /** TCP port (default 6380); 0 picks a free one, read it back from `server.port`. */
  port?: number;
  /** Address to bind (default 127.0.0.1: loopback only, say otherwise explicitly). */
  host?: string;
  /** Clients must `AUTH` (or `HELLO … AUTH default <pass>`) before anything but AUTH, HELLO, PING and QUIT. */
  requirePass?: string;
  /** The user name `AUTH user pass` must give with `requirePass` (default `default`; `AUTH pass` alone means it). */
  requireUser?: string;
  /** Give RG.JSEXECUTE scripts `require`, `process` and `import()` (off by default). */
  allowRequire?: boolean;
  /** Request limits (defaults: Redis' own — 512 MB bulk, 1M arguments). */
  limits?: Partial<RespLimits>;
  /** Stop reading from a client whose unsent replies exceed this many bytes (default 1 MB). */
  maxPendingReplyBytes?: number;
  /**
   * The Redis hash where scripts that registered gears through RG.JSEXECUTE are kept, to run again when a
   * server starts on that Redis (default `rxgears:deployments`); `false` keeps them in memory only. Not used
   * on the embedded store, where nothing outlives the process.
   */
  deploymentsKey?: string | false;
  /**
   * Redis' protected mode (default true): a `host` beyond loopback without `requirePass` is refused at start.
   * `false` is the explicit opt-out (`--protected-mode no`).
   */
  protectedMode?: boolean;
}

export const DEFAULT_SERVER_OPTIONS = {
  port: 6380,
  host: '127.0.0.1',
  allowRequire: false,
  maxPendingReplyBytes: 1024 * 1024,
} as const;

/** A running server. */
export interface RxgearsServer {
  /** The port it listens on (the one picked when `port` was 0). */
  readonly port: number;
  readonly host: string;
  readonly gears: Gears;
  /** Stops listening and closes every client connection (and, for `serve()`, the engine). Idempotent. */
  close(): Promise<void>;
  /**
   * Stops gracefully: stops accepting, refuses requests not yet started, lets those in progress finish for up
   * to `timeoutMs`, answers the ones still running then (blocked clients) with `ERR the server is shutting
   * down`, and closes as `close()` does.
   */
  shutdown(timeoutMs: number): Promise<ShutdownReport>;
}

/** What a graceful stop found: requests in progress when it began, and how many of them it had to cut off. */
export interface ShutdownReport {
  inFlight: number;
  cutOff: number;
}

function validate(options: ServerOptions): void {
  const { port, host, requirePass, maxPendingReplyBytes, deploymentsKey } = options;
  if (
    deploymentsKey !== undefined &&
    deploymentsKey !== false &&
    (typeof deploymentsKey !== 'string' || deploymentsKey === '')
  ) {
    throw new GearsError('deploymentsKey must be a non-empty string or false');
  }
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    throw new GearsError(`port must be an integer from 0 to 65535, got ${String(port)}`);
  }
  if (host !== undefined && (typeof host !== 'string' || host === '')) throw new GearsError('host must be an address');
  if (requirePass !== undefined && (typeof requirePass !== 'string' || requirePass === '')) {
    throw new GearsError('requirePass must be a non-empty string');
  }
  if (options.protectedMode !== undefined && typeof options.protectedMode !== 'boolean') {
    throw new GearsError('protectedMode must be a boolean');
  }
  checkProtectedMode(options);
  if (maxPendingReplyBytes !== undefined && !(Number.isInteger(maxPendingReplyBytes) && maxPendingReplyBytes > 0)) {
    throw new GearsError('maxPendingReplyBytes must be a positive integer');
  }
}

function listen(server: NetServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const failed = (error: Error): void =>
      reject(new GearsError(`cannot listen on ${host}:${port}: ${error.message}`, { cause: error }));
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

/**
 * Serves `gears` over RESP: the RG commands, a few connection commands of its own, and every other command
 * proxied to the engine's store. The engine stays the caller's to close. Before it listens, the deployments
 * stored in the engine's Redis (`deploymentsKey`) run again, so their registrations are back when the first
 * client connects; one that fails is logged through the engine's logger and skipped.
 *
 * @example
 * const gears = await connect({ shards: 3 });
 * const server = await createServer(gears, { port: 0 });
 * // redis-cli -p <server.port> RG.JSEXECUTE "GB().run()"
 * await server.close(); await gears.close();
 */
export async function createServer(gears: Gears, options: ServerOptions = {}): Promise<RxgearsServer> {
  validate(options);
  const settings = { ...DEFAULT_SERVER_OPTIONS, ...options };
  const deployments = deploymentsOf(gears, {
    ...(settings.deploymentsKey !== undefined ? { key: settings.deploymentsKey } : {}),
    allowRequire: settings.allowRequire,
  });
  await deployments.ready;
  const connections = new Set<Connection>();
  let nextId = 0;
  let port: number = settings.port;
  let stopping = false;
  const wire = WireProxy.for(gears);
  const net = createNetServer({ allowHalfOpen: true, noDelay: true });
  const pubsub = gears.topology.kind === 'memory' ? new PubSub() : undefined;
  const keyspace = pubsub && new KeyspaceNotifier(gears, pubsub);
  await keyspace?.refresh();
  const host: ConnectionHost = {
    gears,
    requirePass: settings.requirePass,
    requireUser: settings.requireUser ?? 'default',
    allowRequire: settings.allowRequire,
    deployments,
    limits: settings.limits ?? {},
    maxPendingReplyBytes: settings.maxPendingReplyBytes,
    get port() {
      return port;
    },
    startedAt: Date.now(),
    stats: new CommandStats(),
    wire,
    pubsub,
    keyspace,
    get stopping() {
      return stopping;
    },
    clients: () => connections,
    forget: (connection) => connections.delete(connection),
  };
  net.on('connection', (socket) => {
    connections.add(new Connection(++nextId, socket, host));
  });
  net.on('error', () => undefined); // after listen() succeeded, errors are per connection
  port = await listen(net, settings.port, settings.host);
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= new Promise<void>((resolve) => {
      stopping = true;
      net.close(() => resolve());
      for (const connection of connections) connection.destroy();
      wire?.close();
      keyspace?.close();
    }));
  const shutdown = async (timeoutMs: number): Promise<ShutdownReport> => {
    stopping = true;
    net.close();
    const busy = [...connections].filter((connection) => connection.inFlight);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(busy.map((connection) => connection.idle())),
      new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timer);
    const stuck = busy.filter((connection) => connection.inFlight);
    for (const connection of stuck) connection.cutOff(SHUTTING_DOWN);
    await close();
    return { inFlight: busy.length, cutOff: stuck.length };
  };
  return { port, host: settings.host, gears, close, shutdown };
}

/** `serve()` options: the server's, plus where the data is (`connect()`'s `redis` or `shards`). */
export interface ServeOptions extends ServerOptions {
  /** A `redis://` URL (standalone or Cluster); without it, the embedded store. */
  redis?: string;
  /** Embedded store shards (default 1). */
  shards?: number;
  /** With `redis`: run scripts on this app's worker processes (`connect(url, { app })`, README "Scaling out"). */
  app?: string;
  /** With `app`: the tasks per master the app's workers use (`connect(url, { app, tasksPerMaster })`). */
  tasksPerMaster?: number;
  /** The engine's logger (`connect({ logger })`): pino-style `{ debug, info, warn, error }`. */
  logger?: Logger;
}

/**
 * Connects an engine and serves it: what `rxgears serve` runs. `close()` stops the server and closes the engine.
 * When the Redis URL carries credentials and no `requirePass` is given, clients must AUTH with those same
 * credentials: a Redis that needs AUTH is not opened to anyone who can reach the server.
 *
 * @example
 * const server = await serve({ shards: 3, port: 0 });
 * console.log(`listening on ${server.port}`);
 */
export async function serve(options: ServeOptions = {}): Promise<RxgearsServer> {
  const { redis, shards, app, tasksPerMaster, logger, ...serverOptions } = options;
  if (redis !== undefined && serverOptions.requirePass === undefined) {
    const { username, password } = parseRedisUrl(redis);
    if (password !== undefined) {
      serverOptions.requirePass = password;
      serverOptions.requireUser = username ?? 'default';
    }
  }
  validate(serverOptions);
  const { connect } = await import('../connect.ts');
  const gears = await connect({
    ...(redis !== undefined ? { redis } : {}),
    ...(logger !== undefined ? { logger } : {}),
    ...(shards !== undefined ? { shards } : {}),
    ...(app !== undefined ? { app } : {}),
    ...(tasksPerMaster !== undefined ? { tasksPerMaster } : {}),
  });
  let server: RxgearsServer;
  try {
    server = await createServer(gears, serverOptions);
  } catch (error) {
    await gears.close();
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    port: server.port,
    host: server.host,
    gears,
    close: () => (closing ??= server.close().then(() => gears.close())),
    shutdown: async (timeoutMs) => {
      const report = await server.shutdown(timeoutMs);
      await (closing ??= gears.close());
      return report;
    },
  };
}
