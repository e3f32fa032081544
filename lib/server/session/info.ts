/**
 * `INFO [section …]` as Redis 7.0 answers it: the default sections with no argument (or `default`), `all` adds
 * `commandstats` and `latencystats`, `everything` the same here (no module sections), several names give the union
 * (each section once), names are case-insensitive and an unknown one adds nothing. Lines are those the server can
 * tell (memory and CPU are the whole process's); there is no `keyspace` section (DBSIZE counts the keys).
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { arch, machine, release, type } from 'node:os';
import { VerbatimString, type Reply } from '../protocol/replies.ts';
import type { ServerContext } from './context.ts';

// The package's own package.json by name (a self-reference through its `exports`), so it resolves the same from
// lib/server (the source) and from dist/lib/server (the compiled package).
export const VERSION = (createRequire(import.meta.url)('rxgears/package.json') as { version: string }).version;

/**
 * The Redis version the embedded store emulates (its commands, replies and errors are Redis 7.0.15's, measured
 * with that release's own tests): what clients read from `redis_version` to decide which commands they may send.
 */
export const EMULATED_REDIS_VERSION = '7.0.15';

/** Redis' `run_id`: random per process start. */
const RUN_ID = randomBytes(20).toString('hex');

/** Every section, in Redis 7.0's order (`rxgears` is the server's own, shown by default too). */
const ALL_SECTIONS = [
  'server',
  'clients',
  'memory',
  'persistence',
  'stats',
  'replication',
  'cpu',
  'modules',
  'commandstats',
  'errorstats',
  'latencystats',
  'cluster',
  'rxgears',
];
/** What `INFO` and `INFO default` show: every section but the per-command ones, as in Redis. */
const DEFAULT_SECTIONS = ALL_SECTIONS.filter((s) => s !== 'commandstats' && s !== 'latencystats');

/** Commands parked in an embedded store (a Redis backend's blocked clients are in its own INFO). */
function blockedOn(store: object): number {
  return 'blockedCount' in store && typeof store.blockedCount === 'number' ? store.blockedCount : 0;
}

/** The backend's `redis_version` on `--redis` (asked once), the emulated one on the embedded store. */
const backendVersions = new WeakMap<object, Promise<string>>();

async function redisVersion(server: ServerContext): Promise<string> {
  const { gears } = server;
  if (gears.topology.kind !== 'redis') return EMULATED_REDIS_VERSION;
  let version = backendVersions.get(gears);
  if (version === undefined) {
    version = gears.shards[0]!.store.call('INFO', 'server').then(
      (reply) => /redis_version:([^\r\n]*)/.exec(String(reply))?.[1] ?? 'unknown',
      () => {
        backendVersions.delete(gears); // asked again next time: the backend may be back
        return 'unknown';
      },
    );
    backendVersions.set(gears, version);
  }
  return version;
}

function bytesHuman(n: number): string {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(2)}M` : `${(n / 1024).toFixed(2)}K`;
}

/** Each section's title and lines, made only when asked for. */
function section(server: ServerContext, name: string, version: string): [string, string[]] | undefined {
  const { gears, stats } = server;
  switch (name) {
    case 'server': {
      const uptime = Math.floor((Date.now() - server.startedAt) / 1000);
      return [
        'Server',
        [
          `redis_version:${version}`,
          'redis_git_sha1:00000000',
          'redis_git_dirty:0',
          'redis_mode:standalone',
          `os:${type()} ${release()} ${machine()}`,
          `arch_bits:${/64/.test(arch()) ? 64 : 32}`,
          `process_id:${process.pid}`,
          `run_id:${RUN_ID}`,
          `tcp_port:${server.port}`,
          `server_time_usec:${Date.now() * 1000}`,
          `uptime_in_seconds:${uptime}`,
          `uptime_in_days:${Math.floor(uptime / 86400)}`,
          `executable:${process.argv[1] ?? ''}`,
          `rxgears_version:${VERSION}`,
        ],
      ];
    }
    case 'clients':
      return [
        'Clients',
        [
          `connected_clients:${[...server.clients()].length}`,
          `blocked_clients:${gears.shards.reduce((n, shard) => n + blockedOn(shard.store), 0)}`,
        ],
      ];
    case 'memory': {
      // The whole process's (the engine and the embedded store share one heap): what the server can tell.
      const { rss, heapUsed } = process.memoryUsage();
      return [
        'Memory',
        [
          `used_memory:${heapUsed}`,
          `used_memory_human:${bytesHuman(heapUsed)}`,
          `used_memory_rss:${rss}`,
          `used_memory_rss_human:${bytesHuman(rss)}`,
          'maxmemory:0',
          'maxmemory_policy:noeviction',
        ],
      ];
    }
    case 'persistence':
      return ['Persistence', ['loading:0', 'async_loading:0']];
    case 'stats':
      return ['Stats', [`total_error_replies:${stats.totalErrorReplies}`]];
    case 'replication':
      return ['Replication', ['role:master', 'connected_slaves:0', 'master_repl_offset:0']];
    case 'cpu': {
      const { user, system } = process.cpuUsage();
      return [
        'CPU',
        [
          `used_cpu_sys:${(system / 1e6).toFixed(6)}`,
          `used_cpu_user:${(user / 1e6).toFixed(6)}`,
          'used_cpu_sys_children:0.000000',
          'used_cpu_user_children:0.000000',
        ],
      ];
    }
    case 'modules':
      return ['Modules', []];
    case 'errorstats':
      return ['Errorstats', stats.errorLines()];
    case 'cluster':
      return ['Cluster', ['cluster_enabled:0']];
    case 'commandstats':
      return ['Commandstats', stats.commandLines()];
    case 'latencystats':
      return ['Latencystats', []];
    case 'rxgears':
      return [
        'rxgears',
        [
          `backend:${gears.topology.kind}`,
          `shards:${gears.shards.length}`,
          ...gears.shards.map(
            (shard, i) => `shard${i}:id=${shard.id},slots=${shard.slots.map(([a, b]) => `${a}-${b}`).join(' ')}`,
          ),
        ],
      ];
    default:
      return undefined;
  }
}

/** The section names `INFO …args` asks for, in Redis' order, each once. */
export function infoSectionNames(args: readonly string[]): string[] {
  const asked = new Set<string>();
  for (const arg of args.length === 0 ? ['default'] : args) {
    const lower = arg.toLowerCase();
    if (lower === 'default') DEFAULT_SECTIONS.forEach((s) => asked.add(s));
    else if (lower === 'all' || lower === 'everything') ALL_SECTIONS.forEach((s) => asked.add(s));
    else asked.add(lower);
  }
  return [...ALL_SECTIONS.filter((s) => asked.has(s))];
}

/** `INFO [section …]`. */
export async function info(server: ServerContext, args: readonly string[]): Promise<Reply> {
  const names = infoSectionNames(args);
  const version = names.includes('server') ? await redisVersion(server) : '';
  const text = names
    .map((name) => section(server, name, version))
    .filter((s) => s !== undefined)
    .map(([title, lines]) => [`# ${title}`, ...lines, ''].join('\r\n'))
    .join('\r\n');
  return new VerbatimString(text);
}
