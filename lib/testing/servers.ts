import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GearsError } from '../errors.ts';

const run = promisify(execFile);

/** A throwaway `redis-server` process: connect to `url`, call `stop()` when done. */
export interface RedisServerHandle {
  host: string;
  port: number;
  /**
   * `redis://host:port`, with `:password@` when the server was started with `--requirepass`; `rediss://…` when
   * it was started with `tls: true` (connect with `tls` below: the certificate is self-signed).
   */
  url: string;
  /** With `tls: true`: the certificate authority to trust (`{ ca }` for ioredis' and Node's `tls` options). */
  tls?: RedisTlsFiles;
  /** The `--requirepass` password, if any. */
  password: string | undefined;
  /**
   * The server process, e.g. to `kill('SIGSTOP')` or `kill('SIGKILL')` it in a fault test. After `restart()`
   * this is the new process.
   */
  readonly process: ChildProcess;
  /**
   * Starts the server again on the same port, directory and arguments (killing it first if it still runs),
   * and resolves once it answers. A cluster node rejoins its cluster from its `nodes.conf`; data is not kept
   * (nothing is persisted). Lets a fault test bring a killed node back at the same address.
   */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** A throwaway 3-master (by default) Redis Cluster made with `redis-cli --cluster create`. */
export interface RedisClusterHandle {
  nodes: RedisServerHandle[];
  /** `redis://host:port` (`rediss://` with `tls: true`) of every master, the first one usable as the seed. */
  urls: string[];
  /** With `tls: true`: the authority every node's certificate is signed by. */
  tls?: RedisTlsFiles;
  /**
   * Resolves once every node reports `cluster_state:ok` (e.g. after a killed node was restarted); rejects
   * after `timeoutMs` (default 20 s).
   */
  waitForClusterOk(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface StartRedisOptions {
  /** Binary to run (default `redis-server` on PATH). */
  binary?: string;
  /**
   * Extra `redis-server` arguments, e.g. `['--requirepass', 'secret']` (the password then goes into `url`,
   * and readiness checks authenticate).
   */
  args?: string[];
  /** Port to listen on; default: a free one (see `freePort`), another one tried if it is taken meanwhile. */
  port?: number;
  /**
   * Serve TLS only (`--tls-port`, no plain port), with a certificate for 127.0.0.1 signed by a throwaway
   * certificate authority made with `openssl` (which must be on PATH). Clients need not present a certificate.
   * On a Cluster the bus speaks TLS too (`--tls-cluster yes`) and every node shares one authority. Another
   * server's `tls` shares its authority and certificate instead (e.g. a replica of it, with
   * `args: ['--replicaof', host, port, '--tls-replication', 'yes']`).
   */
  tls?: boolean | RedisTlsFiles;
}

/** A TLS server's files: its authority's certificate (PEM text, and where it is) to trust. */
export interface RedisTlsFiles {
  /** The authority's certificate, PEM: `new Redis(url, { tls: { ca } })`. */
  ca: string;
  /** The same certificate's file, e.g. for `redis-cli --tls --cacert` or `NODE_EXTRA_CA_CERTS`. */
  caFile: string;
  /** The server's certificate and key files (internal: the nodes of one Cluster share them). */
  certFile: string;
  keyFile: string;
}

/**
 * Makes a certificate authority and a certificate for 127.0.0.1 / localhost signed by it, in `dir` (openssl).
 */
async function makeTlsFiles(dir: string): Promise<RedisTlsFiles> {
  const file = (name: string): string => join(dir, name);
  const openssl = async (args: string[]): Promise<void> => {
    try {
      await run('openssl', args);
    } catch (cause) {
      throw new GearsError(`startRedis({ tls: true }) needs openssl on PATH: openssl ${args[0]} failed`, { cause });
    }
  };
  await openssl(
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=rxgears test CA'].concat([
      '-keyout',
      file('ca.key'),
      '-out',
      file('ca.crt'),
    ]),
  );
  await openssl(
    ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', file('redis.key')].concat([
      '-out',
      file('redis.csr'),
    ]),
  );
  await writeFile(file('san.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await openssl(
    ['x509', '-req', '-in', file('redis.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key')].concat([
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      file('san.cnf'),
      '-out',
      file('redis.crt'),
    ]),
  );
  return {
    ca: await readFile(file('ca.crt'), 'utf8'),
    caFile: file('ca.crt'),
    certFile: file('redis.crt'),
    keyFile: file('redis.key'),
  };
}

const HOST = '127.0.0.1';
const ATTEMPTS = 5;

/**
 * Port ranges below Linux' ephemeral range (32768–60999), so an outgoing connection's kernel-chosen port never
 * takes a test server's. A Cluster node also listens on its port + 10000 (the cluster bus), and Redis refuses
 * ports above 55535 for it: cluster nodes take 10000–22767 (bus 20000–32767), standalone servers 23000–32767.
 */
const STANDALONE_PORTS = { from: 23_000, to: 32_767 };
const CLUSTER_PORTS = { from: 10_000, to: 22_767 };
const CLUSTER_BUS_OFFSET = 10_000;

/** The range in a random order: parallel test processes start from different places instead of colliding. */
function shuffled({ from, to }: { from: number; to: number }): number[] {
  const ports = Array.from({ length: to - from + 1 }, (_, i) => from + i);
  for (let i = ports.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [ports[i], ports[j]] = [ports[j]!, ports[i]!];
  }
  return ports;
}

/**
 * A free loopback port for a test server, found with get-port in a range below the kernel's ephemeral ports;
 * `{ cluster: true }`: one whose cluster bus port (+10000) is free too and within Redis' limit.
 */
export async function freePort(options: { cluster?: boolean } = {}): Promise<number> {
  const { default: getPort } = await import('get-port');
  if (!options.cluster) return getPort({ host: HOST, port: shuffled(STANDALONE_PORTS) });
  for (const candidate of shuffled(CLUSTER_PORTS)) {
    const port = await getPort({ host: HOST, port: candidate });
    if (port !== candidate) continue;
    if ((await getPort({ host: HOST, port: port + CLUSTER_BUS_OFFSET })) === port + CLUSTER_BUS_OFFSET) return port;
  }
  throw new GearsError('no free port for a cluster node in 10000-22767 (with its bus port 20000-32767)');
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

/** The value of the last `--requirepass` in `args`, if any. */
function passwordIn(args: readonly string[]): string | undefined {
  const at = args.lastIndexOf('--requirepass');
  return at >= 0 ? args[at + 1] : undefined;
}

/** `redis-cli` arguments that authenticate, when there is a password, and speak TLS, when the server does. */
function cliAuth(password: string | undefined, tls?: RedisTlsFiles): string[] {
  const auth = password === undefined ? [] : ['-a', password, '--no-auth-warning'];
  return tls ? [...auth, '--tls', '--cacert', tls.caFile] : auth;
}

/** A RESP bulk-string command, so a password with spaces or quotes goes through unharmed. */
function resp(...args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

/** One PING (after AUTH when there is a password): true when the server answered it. */
function pingOnce(port: number, password: string | undefined, tls: RedisTlsFiles | undefined): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket: Socket = tls ? tlsConnect({ host: HOST, port, ca: tls.ca }) : netConnect(port, HOST);
    let received = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500);
    socket.once(tls ? 'secureConnect' : 'connect', () =>
      socket.write((password === undefined ? '' : resp('AUTH', password)) + resp('PING')),
    );
    socket.on('data', (data) => {
      received += data.toString();
      // Up: PONG, or an answer that proves the server is serving (NOAUTH: a password we were not told of).
      if (received.includes('+PONG') || received.startsWith('-NOAUTH')) done(true);
      else if (received.startsWith('-WRONGPASS')) done(true);
      else if (received.startsWith('-LOADING')) done(false);
    });
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
    socket.once('close', () => done(false)); // closed by the other side (not Redis, or going away)
  });
}

async function waitForPing(
  port: number,
  password: string | undefined,
  tls: RedisTlsFiles | undefined,
  child: ChildProcess,
  log: () => string,
): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new GearsError(`redis-server on port ${port} exited: ${log()}`);
    }
    if (await pingOnce(port, password, tls)) return;
    if (Date.now() > deadline) throw new GearsError(`redis-server on port ${port} did not answer PING: ${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Kills a server process (waking it first if it was paused) and waits until it has exited. */
async function kill(child: ChildProcess): Promise<void> {
  if (!isRunning(child)) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGCONT'); // a paused server (fault tests) must be able to die
  child.kill('SIGKILL');
  await exited;
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
export function startRedis(options: StartRedisOptions = {}): Promise<RedisServerHandle> {
  return startRedisWith(options, undefined);
}

/** `startRedis`, with the TLS files of the Cluster it belongs to (else its own, made when `tls` is set). */
async function startRedisWith(
  options: StartRedisOptions,
  clusterTls: RedisTlsFiles | undefined,
): Promise<RedisServerHandle> {
  const binary = options.binary ?? 'redis-server';
  await assertRedisInstalled(binary);
  const cluster = (options.args ?? []).some((arg, i, all) => arg === '--cluster-enabled' && all[i + 1] === 'yes');
  // A port found free can be taken before redis-server binds it (another test process): try another one.
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freePort({ cluster }));
    try {
      return await startRedisOn(binary, port, options, clusterTls);
    } catch (error) {
      const clash = error instanceof GearsError && /Address already in use/i.test(error.message);
      if (!clash || options.port !== undefined || attempt >= ATTEMPTS) throw error;
    }
  }
}

async function startRedisOn(
  binary: string,
  port: number,
  options: StartRedisOptions,
  clusterTls: RedisTlsFiles | undefined,
): Promise<RedisServerHandle> {
  const dir = await mkdtemp(join(tmpdir(), 'rxgears-redis-'));
  const extra = options.args ?? [];
  const password = passwordIn(extra);
  let tls: RedisTlsFiles | undefined;
  try {
    const shared = typeof options.tls === 'object' ? options.tls : undefined;
    tls = clusterTls ?? shared ?? (options.tls === true ? await makeTlsFiles(dir) : undefined);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const listen = tls
    ? ['--port', '0', '--tls-port', String(port), '--tls-auth-clients', 'no']
        .concat(['--tls-cert-file', tls.certFile, '--tls-key-file', tls.keyFile, '--tls-ca-cert-file', tls.caFile])
        .concat(clusterTls ? ['--tls-cluster', 'yes'] : [])
    : ['--port', String(port)];
  const args = [...listen, '--bind', HOST, '--save', '', '--appendonly', 'no', '--dir', dir, ...extra];
  let output = '';
  const spawnServer = (): ChildProcess => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    child.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    return child;
  };
  let child = spawnServer();
  let stopped = false;
  const stop = async (): Promise<void> => {
    stopped = true;
    await kill(child);
    await rm(dir, { recursive: true, force: true });
  };
  const restart = async (): Promise<void> => {
    if (stopped) throw new GearsError(`redis-server on port ${port} was stopped; it cannot be restarted`);
    await kill(child);
    child = spawnServer();
    await waitForPing(port, password, tls, child, () => output);
  };
  try {
    await waitForPing(port, password, tls, child, () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  const auth = password === undefined ? '' : `:${encodeURIComponent(password)}@`;
  return {
    host: HOST,
    port,
    url: `${tls ? 'rediss' : 'redis'}://${auth}${HOST}:${port}`,
    password,
    ...(tls ? { tls } : {}),
    get process() {
      return child;
    },
    restart,
    stop,
  };
}

/**
 * Starts `masters` (default 3) cluster-enabled servers — on `ports` when given, otherwise on free ports whose
 * cluster bus ports (+10000) are free and valid too — and joins them with
 * `redis-cli --cluster create … --cluster-replicas 0`, so the slots split as 0-5460, 5461-10922, 10923-16383.
 * Resolves once every node reports `cluster_state:ok`.
 *
 * @example
 * const cluster = await startRedisCluster();
 * const gears = await connect(cluster.urls[0]);
 */
export async function startRedisCluster(
  options: Omit<StartRedisOptions, 'port'> & { masters?: number; ports?: number[] } = {},
): Promise<RedisClusterHandle> {
  const masters = options.ports?.length ?? options.masters ?? 3;
  for (const port of options.ports ?? []) {
    if (!Number.isInteger(port) || port < 1 || port > 55_535) {
      throw new GearsError(`cluster node port ${port} must be an integer from 1 to 55535 (its bus port is +10000)`);
    }
  }
  const password = passwordIn(options.args ?? []);
  const nodes: RedisServerHandle[] = [];
  // One authority and certificate for every node (all on 127.0.0.1), so a client trusts one `ca`.
  const tlsDir = options.tls === true ? await mkdtemp(join(tmpdir(), 'rxgears-cluster-tls-')) : undefined;
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((n) => n.stop()));
    if (tlsDir !== undefined) await rm(tlsDir, { recursive: true, force: true });
  };
  let tls: RedisTlsFiles | undefined;
  const waitForClusterOk = async (timeoutMs = 20_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    for (const node of nodes) {
      for (;;) {
        const info = await run('redis-cli', [
          '-h',
          node.host,
          '-p',
          String(node.port),
          ...cliAuth(password, tls),
          'CLUSTER',
          'INFO',
        ]).then(
          ({ stdout }) => stdout,
          () => '', // not answering (yet)
        );
        if (info.includes('cluster_state:ok')) break;
        if (Date.now() > deadline) throw new GearsError(`cluster node ${node.port} never reached cluster_state:ok`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  try {
    tls = typeof options.tls === 'object' ? options.tls : tlsDir !== undefined ? await makeTlsFiles(tlsDir) : undefined;
    for (let i = 0; i < masters; i++) {
      nodes.push(
        await startRedisWith(
          {
            ...(options.binary !== undefined ? { binary: options.binary } : {}),
            ...(options.ports?.[i] !== undefined ? { port: options.ports[i] } : {}),
            args: [
              '--cluster-enabled',
              'yes',
              '--cluster-config-file',
              `nodes-${i}.conf`,
              '--cluster-node-timeout',
              '2000',
              ...(options.args ?? []),
            ],
          },
          tls,
        ),
      );
    }
    await run('redis-cli', [
      ...cliAuth(password, tls),
      '--cluster',
      'create',
      ...nodes.map((n) => `${n.host}:${n.port}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    await waitForClusterOk();
  } catch (error) {
    await stop();
    throw error;
  }
  return { nodes, urls: nodes.map((n) => n.url), waitForClusterOk, stop, ...(tls ? { tls } : {}) };
}
