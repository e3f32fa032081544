import type { Cluster, NatMap, Redis, RedisOptions } from 'ioredis';
import { STANDALONE_SHARD_ID, type Shard, type Topology } from './topology.ts';
import { SLOT_COUNT } from './slots.ts';
import { GearsError } from '../errors.ts';
import type { RedisReply } from '../store/ShardStore.ts';
import { type ClusterMaster, readClusterMasters } from './clusterNodes.ts';
import {
  closeClient,
  createClientFromUrl,
  credentialOptions,
  lastErrorOf,
  watchErrors,
} from '../store/redis/connection.ts';
import { RedisStore, type RedisStoreOptions } from '../store/redis/RedisStore.ts';
import { toReply, toStoreError } from '../store/redis/replies.ts';
import { checkRedisTarget, isClusterClient } from '../store/redis/clientShape.ts';

export interface RedisTopologyOptions {
  /** ioredis options for every connection the topology opens, over rxgears' defaults and the URL's. */
  redisOptions?: RedisOptions;
  /** Options for every shard's store. */
  store?: Pick<RedisStoreOptions, 'readStrategy' | 'configureKeyspaceEvents'>;
}

type Ask = (command: string, ...args: string[]) => Promise<RedisReply>;

function askVia(client: Redis | Cluster, address: string): Ask {
  return async (command, ...args) => {
    try {
      return toReply(await client.call(command, ...args));
    } catch (error) {
      throw toStoreError(error, address, isClusterClient(client) ? undefined : lastErrorOf(client));
    }
  };
}

/** `cluster_enabled:1` in INFO; where INFO is refused (restricted ACL users), whether CLUSTER MYID works. */
async function isClusterEnabled(ask: Ask, address: string): Promise<boolean> {
  try {
    return /^cluster_enabled:1\b/m.test(String(await ask('INFO', 'cluster')));
  } catch (infoError) {
    if (!(infoError instanceof Error) || !infoError.message.startsWith('NOPERM')) throw infoError;
    try {
      await ask('CLUSTER', 'MYID');
      return true;
    } catch (myidError) {
      if (myidError instanceof Error && /cluster support disabled/i.test(myidError.message)) return false;
      throw new GearsError(`cannot tell whether Redis ${address} is a Cluster: INFO and CLUSTER MYID were refused`, {
        cause: myidError,
      });
    }
  }
}

function applyNatMap(natMap: NatMap | undefined, host: string, port: number): { host: string; port: number } {
  if (!natMap) return { host, port };
  const mapped = typeof natMap === 'function' ? natMap(`${host}:${port}`) : natMap[`${host}:${port}`];
  return mapped ?? { host, port };
}

/**
 * Connects rxgears to Redis: one shard for a standalone server, one per master for a Cluster (detected with
 * `INFO cluster`). A URL (`redis://user:pass@host:port/db`, `rediss://…`) makes the topology open and own its
 * connections; an ioredis `Redis` or `Cluster` passed in is used and never closed by the topology.
 *
 * On a Cluster each master gets a `RedisStore` of its own, connected with the credentials (user, password,
 * TLS) of the source. For a `Cluster` client those are its `redisOptions`, and its `natMap` is honoured.
 *
 * @example
 * const topology = await createRedisTopology('redis://127.0.0.1:30001');
 * for (const shard of topology.shards) console.log(shard.id, shard.slots);
 * await topology.close();
 */
export async function createRedisTopology(
  source: string | Redis | Cluster,
  options: RedisTopologyOptions = {},
): Promise<Topology> {
  const storeOptions = options.store ?? {};
  checkRedisTarget(source, 'createRedisTopology()');
  if (isClusterClient(source)) {
    const redisOptions = { ...credentialOptions(source.options.redisOptions ?? {}), ...options.redisOptions };
    const host = source.nodes()[0]?.options.host ?? '127.0.0.1';
    const seed: Seed = { ask: askVia(source, 'cluster'), host, tls: redisOptions.tls !== undefined };
    return RedisClusterTopology.create(seed, redisOptions, storeOptions, source.options.natMap);
  }
  const owned = typeof source === 'string';
  const client = typeof source === 'string' ? createClientFromUrl(source, options.redisOptions) : source;
  const unwatch = watchErrors(client);
  const address = `${client.options.host ?? '127.0.0.1'}:${client.options.port ?? 6379}`;
  try {
    if (!(await isClusterEnabled(askVia(client, address), address))) {
      const store = new RedisStore(client, { ...storeOptions, closeClient: owned });
      unwatch(); // the store watches the client's errors from here on
      const shard: Shard = Object.freeze({
        id: STANDALONE_SHARD_ID,
        slots: Object.freeze([[0, SLOT_COUNT - 1] as const]),
        store,
      });
      const shards = Object.freeze([shard]);
      return Object.freeze({
        kind: 'redis',
        shards,
        refresh: async () => undefined,
        close: () => store.close(),
      } as const);
    }
    const { db: _db, ...redisOptions } = { ...credentialOptions(client.options), ...options.redisOptions };
    // The seed stays available for refresh() when every known master is unreachable; a URL's seed is
    // re-opened on demand then instead of holding a connection open for that rare case.
    const seed: Seed = owned
      ? {
          ask: async (command, ...args) => {
            const temporary = createClientFromUrl(source, options.redisOptions);
            watchErrors(temporary);
            try {
              return await askVia(temporary, address)(command, ...args);
            } finally {
              await closeClient(temporary);
            }
          },
          host: client.options.host ?? '127.0.0.1',
          tls: client.options.tls !== undefined,
        }
      : {
          ask: askVia(client, address),
          host: client.options.host ?? '127.0.0.1',
          tls: client.options.tls !== undefined,
        };
    const topology = await RedisClusterTopology.create(seed, redisOptions, storeOptions, undefined);
    if (owned) await closeClient(client);
    else unwatch(); // the caller's client: leave its error handling as it was
    return topology;
  } catch (error) {
    if (owned) await closeClient(client);
    else unwatch();
    throw error;
  }
}

interface Seed {
  ask: Ask;
  /** Where the seed is: the host to use for a node that does not know its own address. */
  host: string;
  tls: boolean;
}

interface Member {
  address: string;
  shard: Shard;
  store: RedisStore;
}

/**
 * A Redis Cluster: one shard per master, ordered by first slot; masters without slots come last (one may hold
 * the keys already moved of the first slot a reshard gives it, see `sortMasters`).
 *
 * `shards` is an immutable snapshot. `refresh()` re-reads the masters and, when anything changed, replaces
 * the snapshot (the getter returns the new array): a master still there at the same address keeps its store
 * (and its `Shard` object when its slots did not change); a new master gets a store; a master gone or moved
 * has its store closed. A refresh that finds nothing new leaves the very same array, so callers can compare
 * `topology.shards` by reference to see whether anything changed.
 */
class RedisClusterTopology implements Topology {
  readonly kind = 'cluster';
  private members = new Map<string, Member>();
  private snapshot: readonly Shard[] = Object.freeze([]);
  private refreshing: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly seed: Seed,
    private readonly redisOptions: RedisOptions,
    private readonly storeOptions: RedisTopologyOptions['store'] & object,
    private readonly natMap: NatMap | undefined,
  ) {}

  static async create(
    seed: Seed,
    redisOptions: RedisOptions,
    storeOptions: RedisTopologyOptions['store'] & object,
    natMap: NatMap | undefined,
  ): Promise<RedisClusterTopology> {
    const topology = new RedisClusterTopology(seed, redisOptions, storeOptions, natMap);
    topology.apply(await readClusterMasters(seed.ask, seed.host, seed.tls));
    if (!topology.snapshot.some((shard) => shard.slots.length > 0))
      throw new GearsError('the Redis Cluster has no master serving slots');
    return topology;
  }

  get shards(): readonly Shard[] {
    return this.snapshot;
  }

  /** Concurrent calls share one re-read. */
  refresh(): Promise<void> {
    if (this.closing) return Promise.reject(new GearsError('the topology is closed'));
    this.refreshing ??= this.readMasters()
      .then((masters) => Promise.all(this.apply(masters).map((store) => store.close())))
      .then(() => undefined)
      .finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.refreshing?.catch(() => undefined);
      await Promise.all([...this.members.values()].map((member) => member.store.close()));
      this.members.clear();
    })();
    return this.closing;
  }

  /** Asks the known masters in turn, then the seed: any node knows the whole cluster. */
  private async readMasters(): Promise<ClusterMaster[]> {
    let lastError: unknown;
    for (const { store } of this.members.values()) {
      try {
        return await readClusterMasters(
          (command, ...args) => store.call(command, ...args),
          this.seed.host,
          this.seed.tls,
        );
      } catch (error) {
        lastError = error;
      }
    }
    try {
      return await readClusterMasters(this.seed.ask, this.seed.host, this.seed.tls);
    } catch (error) {
      throw new GearsError('could not read the cluster topology from any known node', { cause: lastError ?? error });
    }
  }

  /** Installs a new master list; returns the stores no longer used, for the caller to close. */
  private apply(masters: readonly ClusterMaster[]): RedisStore[] {
    if (this.closing) return [];
    const next = new Map<string, Member>();
    let changed = masters.length !== this.members.size;
    masters.forEach((master, index) => {
      const { host, port } = applyNatMap(this.natMap, master.host, master.port);
      const address = `${host}:${port}`;
      const known = this.members.get(master.id);
      if (known && known.address === address) {
        const sameSlots = JSON.stringify(known.shard.slots) === JSON.stringify(master.slots);
        const shard = sameSlots
          ? known.shard
          : Object.freeze({ id: master.id, slots: Object.freeze(master.slots), store: known.store });
        changed ||= !sameSlots || this.snapshot[index] !== shard;
        next.set(master.id, { address, store: known.store, shard });
        return;
      }
      const store = new RedisStore({ ...this.redisOptions, host, port }, this.storeOptions);
      next.set(master.id, {
        address,
        store,
        shard: Object.freeze({ id: master.id, slots: Object.freeze(master.slots), store }),
      });
      changed = true;
    });
    const stale = [...this.members]
      .filter(([id, member]) => next.get(id)?.store !== member.store)
      .map(([, member]) => member.store);
    this.members = next;
    if (changed) this.snapshot = Object.freeze([...next.values()].map((member) => member.shard));
    return stale;
  }
}
