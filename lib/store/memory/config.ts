/**
 * CONFIG GET / SET / RESETSTAT / REWRITE / HELP on the embedded store: Redis 7.0's settings with their defaults,
 * types, aliases (`*-ziplist-*` = `*-listpack-*`) and error texts. The settings that change what the store does
 * (see {@link StoreConfig}) take effect; every other Redis setting is validated, kept and answered by CONFIG GET
 * but changes nothing here. Settings that would promise security or networking the embedded store does not do
 * (`requirepass`, `port`, `bind`, `tls-*`, `dir`, …) are refused rather than silently ignored.
 */
import { RedisReplyError } from '../../errors.ts';
import { compileGlob } from './glob.ts';

type Kind =
  | { t: 'bool' }
  | { t: 'int'; min: number; max: number }
  | { t: 'memory'; min: number; percent?: boolean }
  | { t: 'enum'; values: string[] }
  | { t: 'notify' }
  | { t: 'save' }
  | { t: 'string' }
  | { t: 'immutable' }
  | { t: 'refused' };

/** INT64_MAX, as close as a number gets (bounds are checked on numbers; texts print it exactly). */
const I64 = Number.MAX_SAFE_INTEGER * 1024;
const I32 = 2147483647;
const INT64_MAX_TEXT = '9223372036854775807';
const int = (min = 0, max = I64): Kind => ({ t: 'int', min, max });
const memory = (min = 0): Kind => ({ t: 'memory', min });
const oneOf = (...values: string[]): Kind => ({ t: 'enum', values });

/** Settings whose type is more than "a string" (every setting of Redis 7.0 not here and not refused is one). */
const KINDS: Record<string, Kind> = {
  'hash-max-listpack-entries': int(),
  'hash-max-listpack-value': memory(),
  'zset-max-listpack-entries': int(),
  'zset-max-listpack-value': memory(),
  'set-max-intset-entries': int(),
  'list-max-listpack-size': int(-I32 - 1, I32),
  'list-compress-depth': int(0, I32),
  'stream-node-max-entries': int(),
  'stream-node-max-bytes': memory(),
  'hll-sparse-max-bytes': memory(),
  'proto-max-bulk-len': memory(1048576),
  'client-query-buffer-limit': memory(1048576),
  maxmemory: memory(),
  'maxmemory-clients': { t: 'memory', min: 0, percent: true },
  'maxmemory-policy': oneOf(
    'volatile-lru',
    'volatile-lfu',
    'volatile-random',
    'volatile-ttl',
    'allkeys-lru',
    'allkeys-lfu',
    'allkeys-random',
    'noeviction',
  ),
  'maxmemory-samples': int(1, 64),
  'maxmemory-eviction-tenacity': int(0, 100),
  'notify-keyspace-events': { t: 'notify' },
  'busy-reply-threshold': int(),
  'active-expire-effort': int(1, 10),
  hz: int(0, I32),
  databases: { t: 'immutable' },
  daemonize: { t: 'immutable' },
  'io-threads': { t: 'immutable' },
  'io-threads-do-reads': { t: 'immutable' },
  supervised: { t: 'immutable' },
  'cluster-enabled': { t: 'immutable' },
  'cluster-config-file': { t: 'immutable' },
  'cluster-port': { t: 'immutable' },
  pidfile: { t: 'immutable' },
  appenddirname: { t: 'immutable' },
  appendfilename: { t: 'immutable' },
  'enable-debug-command': { t: 'immutable' },
  'enable-module-command': { t: 'immutable' },
  'enable-protected-configs': { t: 'immutable' },
  'disable-thp': { t: 'immutable' },
  'syslog-enabled': { t: 'immutable' },
  'syslog-ident': { t: 'immutable' },
  'syslog-facility': { t: 'immutable' },
  'tcp-backlog': { t: 'immutable' },
  unixsocket: { t: 'immutable' },
  unixsocketperm: { t: 'immutable' },
  'always-show-logo': { t: 'immutable' },
  'set-proc-title': { t: 'immutable' },
  'proc-title-template': { t: 'string' },
  appendfsync: oneOf('always', 'everysec', 'no'),
  loglevel: oneOf('debug', 'verbose', 'notice', 'warning'),
  'acl-pubsub-default': oneOf('allchannels', 'resetchannels'),
  'sanitize-dump-payload': oneOf('no', 'yes', 'clients'),
  'oom-score-adj': oneOf('no', 'yes', 'relative', 'absolute'),
  'repl-diskless-load': oneOf('disabled', 'on-empty-db', 'swapdb'),
  'cluster-preferred-endpoint-type': oneOf('ip', 'hostname', 'unknown-endpoint'),
  'propagation-error-behavior': oneOf('ignore', 'panic', 'panic-on-replicas'),
  'shutdown-on-sigint': oneOf('default', 'save', 'nosave', 'now', 'force'),
  'shutdown-on-sigterm': oneOf('default', 'save', 'nosave', 'now', 'force'),
  save: { t: 'save' },
  timeout: int(0, I32),
  'tcp-keepalive': int(0, I32),
  maxclients: int(1, I32),
  'slowlog-log-slower-than': int(-1, I64),
  'slowlog-max-len': int(0, I64),
  'latency-monitor-threshold': int(0, I64),
  'lfu-log-factor': int(0, I32),
  'lfu-decay-time': int(0, I32),
  'tracking-table-max-keys': int(),
  'acllog-max-len': int(),
  'active-defrag-ignore-bytes': memory(1),
  'auto-aof-rewrite-min-size': memory(),
  'repl-backlog-size': memory(1),
  'cluster-link-sendbuf-limit': memory(),
  'min-replicas-to-write': int(0, I32),
  'min-replicas-max-lag': int(0, I32),
  'replica-priority': int(0, I32),
};

/** Networking and security: CONFIG SET of these is refused (the embedded store has no such thing to change). */
const REFUSED = [
  'requirepass',
  'masterauth',
  'masteruser',
  'port',
  'tls-port',
  'bind',
  'bind-source-addr',
  'dir',
  'dbfilename',
  'aclfile',
  'logfile',
  'protected-mode',
  'replicaof',
  'slaveof',
];

/**
 * Redis 7.0.15's `CONFIG GET *` on a default server (`name=value`, `|`-separated), minus `port` and `dir`,
 * which depend on how it was started.
 */
const DEFAULTS =
  'acl-pubsub-default=resetchannels|aclfile=|acllog-max-len=128|active-defrag-cycle-max=25|' +
  'active-defrag-cycle-min=1|active-defrag-ignore-bytes=104857600|active-defrag-max-scan-fields=1000|' +
  'active-defrag-threshold-lower=10|active-defrag-threshold-upper=100|active-expire-effort=1|activedefrag=no|' +
  'activerehashing=yes|always-show-logo=no|aof-disable-auto-gc=no|aof-load-truncated=yes|' +
  'aof-rewrite-incremental-fsync=yes|aof-timestamp-enabled=no|aof-use-rdb-preamble=yes|aof_rewrite_cpulist=|' +
  'appenddirname=appendonlydir|appendfilename=appendonly.aof|appendfsync=everysec|appendonly=no|' +
  'auto-aof-rewrite-min-size=67108864|auto-aof-rewrite-percentage=100|bgsave_cpulist=|bind=* -::*|' +
  'bind-source-addr=|bio_cpulist=|busy-reply-threshold=5000|' +
  'client-output-buffer-limit=normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60|' +
  'client-query-buffer-limit=1073741824|cluster-allow-pubsubshard-when-down=yes|' +
  'cluster-allow-reads-when-down=no|cluster-allow-replica-migration=yes|cluster-announce-bus-port=0|' +
  'cluster-announce-hostname=|cluster-announce-ip=|cluster-announce-port=0|cluster-announce-tls-port=0|' +
  'cluster-config-file=nodes.conf|cluster-enabled=no|cluster-link-sendbuf-limit=0|cluster-migration-barrier=1|' +
  'cluster-node-timeout=15000|cluster-port=0|cluster-preferred-endpoint-type=ip|cluster-replica-no-failover=no|' +
  'cluster-replica-validity-factor=10|cluster-require-full-coverage=yes|cluster-slave-no-failover=no|' +
  'cluster-slave-validity-factor=10|crash-log-enabled=yes|crash-memcheck-enabled=yes|daemonize=no|' +
  'databases=16|dbfilename=dump.rdb|dir=|disable-thp=yes|dynamic-hz=yes|enable-debug-command=no|' +
  'enable-module-command=no|enable-protected-configs=no|hash-max-listpack-entries=128|' +
  'hash-max-listpack-value=64|hll-sparse-max-bytes=3000|hz=10|ignore-warnings=|io-threads=1|' +
  'io-threads-do-reads=no|jemalloc-bg-thread=yes|latency-monitor-threshold=0|latency-tracking=yes|' +
  'latency-tracking-info-percentiles=50 99 99.9|lazyfree-lazy-eviction=no|lazyfree-lazy-expire=no|' +
  'lazyfree-lazy-server-del=no|lazyfree-lazy-user-del=no|lazyfree-lazy-user-flush=no|lfu-decay-time=1|' +
  'lfu-log-factor=10|list-compress-depth=0|list-max-listpack-size=-2|logfile=|loglevel=notice|' +
  'masterauth=|masteruser=|maxclients=10000|maxmemory=0|maxmemory-clients=0|' +
  'maxmemory-eviction-tenacity=10|maxmemory-policy=noeviction|maxmemory-samples=5|min-replicas-max-lag=10|' +
  'min-replicas-to-write=0|no-appendfsync-on-rewrite=no|notify-keyspace-events=|oom-score-adj=no|' +
  'oom-score-adj-values=0 200 800|pidfile=|port=0|proc-title-template={title} {listen-addr} {server-mode}|' +
  'propagation-error-behavior=ignore|protected-mode=yes|proto-max-bulk-len=536870912|rdb-del-sync-files=no|' +
  'rdb-save-incremental-fsync=yes|rdbchecksum=yes|rdbcompression=yes|repl-backlog-size=1048576|' +
  'repl-backlog-ttl=3600|repl-disable-tcp-nodelay=no|repl-diskless-load=disabled|repl-diskless-sync=yes|' +
  'repl-diskless-sync-delay=5|repl-diskless-sync-max-replicas=0|repl-ping-replica-period=10|repl-timeout=60|' +
  'replica-announce-ip=|replica-announce-port=0|replica-announced=yes|replica-ignore-disk-write-errors=no|' +
  'replica-ignore-maxmemory=yes|replica-lazy-flush=no|replica-priority=100|replica-read-only=yes|' +
  'replica-serve-stale-data=yes|replicaof=|requirepass=|sanitize-dump-payload=no|save=3600 1 300 100 60 10000|' +
  'server_cpulist=|set-max-intset-entries=512|set-proc-title=yes|shutdown-on-sigint=default|' +
  'shutdown-on-sigterm=default|shutdown-timeout=10|slowlog-log-slower-than=10000|slowlog-max-len=128|' +
  'socket-mark-id=0|stop-writes-on-bgsave-error=yes|stream-node-max-bytes=4096|stream-node-max-entries=100|' +
  'supervised=no|syslog-enabled=no|syslog-facility=local0|syslog-ident=redis|tcp-backlog=511|' +
  'tcp-keepalive=300|timeout=0|tls-auth-clients=yes|tls-ca-cert-dir=|tls-ca-cert-file=|tls-cert-file=|' +
  'tls-ciphers=|tls-ciphersuites=|tls-client-cert-file=|tls-client-key-file=|tls-client-key-file-pass=|' +
  'tls-cluster=no|tls-dh-params-file=|tls-key-file=|tls-key-file-pass=|tls-port=0|' +
  'tls-prefer-server-ciphers=no|tls-protocols=|tls-replication=no|tls-session-cache-size=20480|' +
  'tls-session-cache-timeout=300|tls-session-caching=yes|tracking-table-max-keys=1000000|unixsocket=|' +
  'unixsocketperm=0|zset-max-listpack-entries=128|zset-max-listpack-value=64';

/** Old names Redis 7.0 still answers to, as aliases of the current setting. */
const ALIASES: Record<string, string> = {
  'hash-max-ziplist-entries': 'hash-max-listpack-entries',
  'hash-max-ziplist-value': 'hash-max-listpack-value',
  'zset-max-ziplist-entries': 'zset-max-listpack-entries',
  'zset-max-ziplist-value': 'zset-max-listpack-value',
  'list-max-ziplist-size': 'list-max-listpack-size',
  'cluster-slave-no-failover': 'cluster-replica-no-failover',
  'cluster-slave-validity-factor': 'cluster-replica-validity-factor',
  'min-slaves-to-write': 'min-replicas-to-write',
  'min-slaves-max-lag': 'min-replicas-max-lag',
  'repl-ping-slave-period': 'repl-ping-replica-period',
  'slave-announce-ip': 'replica-announce-ip',
  'slave-announce-port': 'replica-announce-port',
  'slave-ignore-maxmemory': 'replica-ignore-maxmemory',
  'slave-lazy-flush': 'replica-lazy-flush',
  'slave-priority': 'replica-priority',
  'slave-read-only': 'replica-read-only',
  'slave-serve-stale-data': 'replica-serve-stale-data',
  slaveof: 'replicaof',
  'lua-time-limit': 'busy-reply-threshold',
};

const DEFAULT_VALUES: ReadonlyMap<string, string> = new Map(
  DEFAULTS.split('|').map((pair) => {
    const at = pair.indexOf('=');
    return [pair.slice(0, at), pair.slice(at + 1)] as const;
  }),
);

/** Every name CONFIG GET answers to (current names and aliases). */
const ALL_NAMES = [...DEFAULT_VALUES.keys(), ...Object.keys(ALIASES)];

const NOTIFY_CLASSES = 'Ag$lshzxeKEtmdn';

function kindOf(name: string): Kind {
  if (REFUSED.includes(name)) return { t: 'refused' };
  const kind = KINDS[name];
  if (kind !== undefined) return kind;
  const value = DEFAULT_VALUES.get(name);
  return value === 'yes' || value === 'no' ? { t: 'bool' } : { t: 'string' };
}

const MEMORY = /^(\d+)(b|k|kb|m|mb|g|gb)?$/i;
const UNITS: Record<string, number> = { b: 1, k: 1000, kb: 1024, m: 1e6, mb: 1048576, g: 1e9, gb: 1073741824 };

function parseMemory(value: string): number | undefined {
  if (value === '') return 0; // what Redis' memtoull makes of an empty string
  const m = MEMORY.exec(value);
  if (m === null) return undefined;
  const n = Number(m[1]) * UNITS[(m[2] ?? 'b').toLowerCase()]!;
  return n <= I64 ? n : undefined;
}

/** Redis' canonical form of a notify-keyspace-events value (`KEA` → `AKE`), or undefined when invalid. */
function canonicalNotify(value: string): string | undefined {
  const flags = new Set<string>();
  for (const c of value) {
    if (!NOTIFY_CLASSES.includes(c)) return undefined;
    if (c === 'A') for (const x of 'g$lshzxetd') flags.add(x);
    else flags.add(c);
  }
  const all = [...'g$lshzxetd'].every((x) => flags.has(x));
  // Redis 7.0 prints `n` only beside single classes (with all of them it is lost in the `A`).
  let out = all ? 'A' : [...'g$lshzxetdn'].filter((x) => flags.has(x)).join('');
  if (flags.has('K')) out += 'K';
  if (flags.has('E')) out += 'E';
  if (flags.has('m')) out += 'm';
  return out;
}

function setFailed(name: string, reason: string): RedisReplyError {
  return new RedisReplyError(`ERR CONFIG SET failed (possibly related to argument '${name}') - ${reason}`);
}

/** Checks a value for a setting; returns the value as CONFIG GET will print it. */
function validate(name: string, value: string): string {
  const kind = kindOf(name);
  switch (kind.t) {
    case 'bool': {
      const v = value.toLowerCase();
      if (v !== 'yes' && v !== 'no') throw setFailed(name, "argument must be 'yes' or 'no'");
      return v;
    }
    case 'int': {
      if (
        !/^-?\d+$/.test(value) ||
        BigInt(value) > BigInt(INT64_MAX_TEXT) ||
        BigInt(value) < -BigInt(INT64_MAX_TEXT) - 1n
      ) {
        throw setFailed(name, "argument couldn't be parsed into an integer");
      }
      const n = Number(value);
      if (n < kind.min || n > kind.max) {
        throw setFailed(
          name,
          `argument must be between ${kind.min} and ${kind.max === I64 ? INT64_MAX_TEXT : kind.max} inclusive`,
        );
      }
      return String(BigInt(value));
    }
    case 'memory': {
      if (kind.percent === true && /^\d+%$/.test(value)) return value;
      const n = parseMemory(value);
      if (n === undefined) {
        throw setFailed(
          name,
          kind.percent === true ? 'argument must be a memory or percent value' : 'argument must be a memory value',
        );
      }
      if (n < kind.min) throw setFailed(name, `argument must be between ${kind.min} and ${INT64_MAX_TEXT} inclusive`);
      return String(n);
    }
    case 'enum': {
      const v = value.toLowerCase();
      if (!kind.values.includes(v)) {
        throw setFailed(name, `argument(s) must be one of the following: ${kind.values.join(', ')}`);
      }
      return v;
    }
    case 'notify': {
      const v = canonicalNotify(value);
      if (v === undefined) throw setFailed(name, `Invalid event class character. Use '${NOTIFY_CLASSES}'.`);
      return v;
    }
    case 'save': {
      const parts = value.split(' ').filter((p) => p !== '');
      if (parts.length % 2 !== 0 || parts.some((p) => !/^\d+$/.test(p)))
        throw setFailed(name, 'Invalid save parameters');
      return parts.join(' ');
    }
    case 'immutable':
      throw setFailed(name, "can't set immutable config");
    case 'refused':
      throw setFailed(name, 'not supported by the rxgears embedded store');
    case 'string':
      return value;
  }
}

/**
 * The settings of one embedded store. The typed getters are the ones the store's commands read: the encodings
 * OBJECT ENCODING reports, when a set stops being an intset (SMEMBERS order), stream node sizes (what
 * `XADD/XTRIM … ~` trims), and the largest string SETRANGE / SETBIT / BITFIELD may build.
 */
export class StoreConfig {
  private readonly values = new Map<string, string>(DEFAULT_VALUES);

  get(name: string): string | undefined {
    return this.values.get(ALIASES[name] ?? name);
  }

  int(name: string): number {
    return Number(this.get(name));
  }

  get hashMaxListpackEntries(): number {
    return this.int('hash-max-listpack-entries');
  }
  get hashMaxListpackValue(): number {
    return this.int('hash-max-listpack-value');
  }
  get zsetMaxListpackEntries(): number {
    return this.int('zset-max-listpack-entries');
  }
  get zsetMaxListpackValue(): number {
    return this.int('zset-max-listpack-value');
  }
  get setMaxIntsetEntries(): number {
    return this.int('set-max-intset-entries');
  }
  get streamNodeMaxEntries(): number {
    return this.int('stream-node-max-entries');
  }
  get streamNodeMaxBytes(): number {
    return this.int('stream-node-max-bytes');
  }
  get protoMaxBulkLen(): number {
    return this.int('proto-max-bulk-len');
  }

  /** CONFIG GET with one or more glob patterns: `[name, value, …]`, each matching name once. */
  match(patterns: readonly string[]): string[] {
    const out: string[] = [];
    const seen = new Set<string>();
    for (const pattern of patterns) {
      const lower = pattern.toLowerCase();
      if (!/[*?[\\]/.test(pattern)) {
        // An exact name is answered under the spelling it was asked with, as Redis does.
        if (ALL_NAMES.includes(lower) && !seen.has(lower)) {
          seen.add(lower);
          out.push(pattern, this.get(lower)!);
        }
        continue;
      }
      for (const name of ALL_NAMES.filter(compileGlob(lower))) {
        if (seen.has(name)) continue;
        seen.add(name);
        out.push(name, this.get(name)!);
      }
    }
    return out;
  }

  /** CONFIG SET name value [name value …]: all or nothing, with Redis' errors. */
  set(pairs: readonly string[]): void {
    const updates = new Map<string, [string, string]>();
    for (let i = 0; i < pairs.length; i += 2) {
      const given = pairs[i]!;
      const name = given.toLowerCase();
      if (!DEFAULT_VALUES.has(name) && ALIASES[name] === undefined) {
        throw new RedisReplyError(`ERR Unknown option or number of arguments for CONFIG SET - '${given}'`);
      }
      if (updates.has(name)) throw setFailed(name, 'duplicate parameter');
      updates.set(name, [ALIASES[name] ?? name, validate(ALIASES[name] ?? name, pairs[i + 1]!)]);
    }
    for (const [target, value] of updates.values()) this.values.set(target, value);
  }
}
