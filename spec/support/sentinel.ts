import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, startRedis, type RedisServerHandle, type RedisTlsFiles } from '../../lib/testing/index.ts';
import { until } from './until.ts';

const HOST = '127.0.0.1';
export const MASTER_NAME = 'mymaster';

/** A master, its replica and one Sentinel watching them, all real processes on free loopback ports. */
export interface SentinelGroup {
  /** The two data nodes, in the order they were started (the first is the master until a failover). */
  nodes: [RedisServerHandle, RedisServerHandle];
  /** `{ host, port }` of the Sentinel, for ioredis' `sentinels`. */
  sentinel: { host: string; port: number };
  /** A client of the Sentinel itself. */
  admin: Redis;
  /** With `tls: true`: the authority of the data nodes' certificate. */
  tls?: RedisTlsFiles;
  /** The port of the node Sentinel names as master now. */
  masterPort(): Promise<number>;
  /**
   * `SENTINEL FAILOVER` to the other node; resolves once Sentinel names it as master and it says `role:master`.
   * Sentinel turns the old master into its replica some 10–20 s later (its INFO period): a second failover in the
   * same group would wait for that.
   */
  failover(): Promise<number>;
  stop(): Promise<void>;
}

/** One `redis-server --sentinel` on a free port, with a config file of its own (Sentinel rewrites it). */
async function startSentinel(config: string[]): Promise<{ port: number; stop: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'rxgears-sentinel-'));
  const port = await freePort();
  const file = join(dir, 'sentinel.conf');
  await writeFile(file, [`port ${port}`, `bind ${HOST}`, `dir ${dir}`, ...config].join('\n') + '\n');
  let output = '';
  const child: ChildProcess = spawn('redis-server', [file, '--sentinel'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  child.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  const pingOnce = async (): Promise<boolean> => {
    const probe = new Redis({ host: HOST, port, lazyConnect: true, retryStrategy: null, maxRetriesPerRequest: 0 });
    probe.on('error', () => undefined);
    try {
      return (await probe.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      probe.disconnect();
    }
  };
  try {
    await until(
      async () => {
        if (child.exitCode !== null) throw new Error(`redis-server --sentinel on ${port} exited: ${output}`);
        return pingOnce();
      },
      `Sentinel on ${port} answering PING`,
      10_000,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, stop };
}

/**
 * Starts a master, a replica of it and a Sentinel monitoring them as `mymaster` (quorum 1), and waits until
 * Sentinel knows the replica and the replica is in sync — so `failover()` has a replica to promote. `args` go to
 * both data nodes (`--requirepass secret` also makes the replica and Sentinel authenticate with it).
 *
 * @example
 * const group = await startSentinelGroup();
 * const client = new Redis({ sentinels: [group.sentinel], name: MASTER_NAME });
 */
export async function startSentinelGroup(
  options: { password?: string; args?: string[]; tls?: boolean } = {},
): Promise<SentinelGroup> {
  const { password } = options;
  const auth = password === undefined ? [] : ['--requirepass', password, '--masterauth', password];
  const extra = [...auth, ...(options.args ?? [])];
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(stops.splice(0).map((stop) => stop()));
  };
  try {
    // With `tls`: the data nodes serve TLS only (one authority), the replica and Sentinel reach them over TLS;
    // Sentinel's own port stays plain (ioredis' `sentinelTLS` is a separate matter).
    const master = await startRedis({ args: extra, ...(options.tls ? { tls: true } : {}) });
    stops.push(() => master.stop());
    const tls = master.tls;
    const replica = await startRedis({
      args: [...extra, '--replicaof', HOST, String(master.port), ...(tls ? ['--tls-replication', 'yes'] : [])],
      ...(tls ? { tls } : {}),
    });
    stops.push(() => replica.stop());
    const sentinelProcess = await startSentinel([
      ...(tls
        ? ['tls-replication yes', `tls-ca-cert-file ${tls.caFile}`].concat([
            `tls-cert-file ${tls.certFile}`,
            `tls-key-file ${tls.keyFile}`,
          ])
        : []),
      `sentinel monitor ${MASTER_NAME} ${HOST} ${master.port} 1`,
      `sentinel down-after-milliseconds ${MASTER_NAME} 2000`,
      `sentinel failover-timeout ${MASTER_NAME} 10000`,
      ...(password === undefined ? [] : [`sentinel auth-pass ${MASTER_NAME} ${password}`]),
    ]);
    stops.push(sentinelProcess.stop);
    const admin = new Redis({ host: HOST, port: sentinelProcess.port });
    admin.on('error', () => undefined);
    stops.push(async () => admin.disconnect());
    const nodes: [RedisServerHandle, RedisServerHandle] = [master, replica];
    const nodeClient = (port: number): Redis =>
      new Redis({
        host: HOST,
        port,
        ...(password === undefined ? {} : { password }),
        ...(tls ? { tls: { ca: tls.ca } } : {}),
        lazyConnect: true,
      });
    const infoOf = async (port: number): Promise<string> => {
      const client = nodeClient(port);
      client.on('error', () => undefined);
      try {
        return await client.info('replication');
      } catch {
        return '';
      } finally {
        client.disconnect();
      }
    };
    const masterPort = async (): Promise<number> => {
      const reply = (await admin.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER_NAME)) as [string, string];
      return Number(reply[1]);
    };
    /** Sentinel names `port` master and it says so; `inSync`: the other node replicates from it, in sync. */
    const settled = async (port: number, inSync: boolean): Promise<boolean> => {
      if ((await masterPort()) !== port) return false;
      if (!(await infoOf(port)).includes('role:master')) return false;
      if (!inSync) return true;
      const other = nodes.find((n) => n.port !== port)!;
      if (!(await infoOf(other.port)).includes('master_link_status:up')) return false;
      const replicas = (await admin.call('SENTINEL', 'REPLICAS', MASTER_NAME)) as string[][];
      return replicas.some((fields) => {
        const f = new Map<string, string>();
        for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i]!, fields[i + 1]!);
        return (
          f.get('port') === String(other.port) && f.get('flags') === 'slave' && f.get('master-link-status') === 'ok'
        );
      });
    };
    await until(() => settled(master.port, true), 'Sentinel knowing the master and its replica, in sync', 30_000);
    return {
      nodes,
      sentinel: { host: HOST, port: sentinelProcess.port },
      admin,
      ...(tls ? { tls } : {}),
      masterPort,
      async failover() {
        const before = await masterPort();
        const next = nodes.find((n) => n.port !== before)!.port;
        await admin.call('SENTINEL', 'FAILOVER', MASTER_NAME);
        await until(() => settled(next, false), `the failover to :${next}`, 40_000);
        return next;
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
