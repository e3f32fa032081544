import { exists, getKeyIndexes } from '@ioredis/commands';
import type { Gears } from '../../Gears.ts';
import { slotTable, type Shard } from '../../cluster/topology.ts';
import { followsMaster, wireEndpointOf, type WireEndpoint } from '../../store/redis/wire.ts';
import { WirePool } from '../../store/redis/WirePool.ts';
import { REFUSED } from './proxy.ts';
import { slotOfBytes } from '../../cluster/slots.ts';

/**
 * Commands the raw path never takes: they keep state on the connection or block it (a client session handles
 * them), or the engine answers them for a whole cluster (KEYS, SCAN, … over every shard).
 */
const NOT_RAW = new Set([...REFUSED, 'SELECT', 'HELLO', 'AUTH', 'CLIENT']);

const BLOCKING = new Set(['BLPOP', 'BRPOP', 'BRPOPLPUSH', 'BLMOVE', 'BLMPOP', 'BZPOPMIN', 'BZPOPMAX', 'BZMPOP']);

/** Whether a request blocks its connection (`BLPOP`, `XREAD … BLOCK`, …). */
export function isBlockingRequest(upper: string, args: readonly Buffer[]): boolean {
  if (BLOCKING.has(upper)) return true;
  if (upper !== 'XREAD' && upper !== 'XREADGROUP') return false;
  return args.some((arg, i) => i > 0 && arg.length === 5 && arg.toString('latin1').toUpperCase() === 'BLOCK');
}

/**
 * Whether a command may take the raw path by its name alone (hooks and connection state are checked when it is
 * sent): not one the raw path never takes, not an `RG.` command, not blocking (nor `XREAD`, blocking or not).
 */
export function rawByName(upper: string): boolean {
  return (
    !NOT_RAW.has(upper) &&
    !upper.startsWith('RG.') &&
    !BLOCKING.has(upper) &&
    upper !== 'XREAD' &&
    upper !== 'XREADGROUP'
  );
}

/** Keyspace-wide commands the engine asks every shard of a cluster for (one shard: raw like any other). */
const ALL_SHARDS = new Set(['KEYS', 'SCAN', 'DBSIZE', 'FLUSHALL', 'FLUSHDB', 'RANDOMKEY']);

/**
 * The raw path of the proxy, for a Redis or Redis Cluster backend: a client's request goes to the node that owns
 * its keys as the bytes the client sent, and the node's reply comes back as the bytes it sent — no decoding, so
 * values are binary-safe, 64-bit integers exact and RESP3 replies Redis' own (clients after `HELLO 3` are
 * served on connections that said `HELLO 3` too). `route` says where a request goes, or that it must take the
 * engine's path (hooks, cross-slot and keyspace-wide commands on a cluster, connection state).
 *
 * @example
 * const wire = WireProxy.for(gears); // undefined on the embedded store
 * const endpoint = wire?.route('GET', 'GET', [Buffer.from('GET'), Buffer.from('k')]);
 */
export class WireProxy {
  readonly pool = new WirePool();
  private shards: readonly Shard[] = [];
  private endpoints: WireEndpoint[] = [];
  private slots: Int32Array = new Int32Array(0);
  private initiator = 0;
  /** A shard's store follows a Sentinel client's master: its endpoint is read again per request. */
  private following = false;

  private constructor(private readonly gears: Gears) {}

  /** A raw proxy for the engine's backend; undefined when the backend is not Redis. */
  static for(gears: Gears): WireProxy | undefined {
    if (gears.topology.kind === 'memory') return undefined;
    const proxy = new WireProxy(gears);
    return proxy.refresh() ? proxy : undefined;
  }

  /**
   * Re-reads shards and their endpoints when the topology's shard list changed, and the endpoint of a store over
   * a Sentinel client every time (it follows the master: requests go to the new one after a failover); false if
   * one is not Redis.
   */
  private refresh(): boolean {
    const shards = this.gears.shards;
    if (shards === this.shards) return this.following ? this.follow() : this.endpoints.length > 0;
    const endpoints: WireEndpoint[] = [];
    for (const shard of shards) {
      const endpoint = wireEndpointOf(shard.store);
      if (endpoint === undefined) return false;
      endpoints.push(endpoint);
    }
    this.shards = shards;
    this.following = shards.some((shard) => followsMaster(shard.store));
    this.endpoints = endpoints;
    this.slots = slotTable(shards);
    this.initiator = Math.max(0, this.slots[0] ?? 0);
    return endpoints.length > 0;
  }

  /** The endpoints of stores that follow a Sentinel client's master, as they are now. */
  private follow(): boolean {
    for (let i = 0; i < this.shards.length; i++) {
      const endpoint = wireEndpointOf(this.shards[i]!.store);
      if (endpoint === undefined) return false;
      if (endpoint !== this.endpoints[i]) this.endpoints = this.endpoints.map((e, j) => (j === i ? endpoint : e));
    }
    return this.endpoints.length > 0;
  }

  /**
   * The node a request goes to raw, or undefined for the engine's path. `upper` is the command name in upper
   * case; `args` the whole request, name first.
   */
  route(upper: string, args: readonly Buffer[]): WireEndpoint | undefined {
    if (NOT_RAW.has(upper) || upper.startsWith('RG.') || !this.refresh()) return undefined;
    if (this.gears.isHooked(upper)) return undefined;
    if ((upper === 'XREAD' || upper === 'XREADGROUP') && isBlockingRequest(upper, args)) return undefined;
    if (this.endpoints.length === 1) return this.endpoints[0];
    if (ALL_SHARDS.has(upper)) return undefined;
    const slot = keySlot(upper.toLowerCase(), args);
    if (slot === null) return undefined; // keys of several slots: split per key, or CROSSSLOT, by the engine
    return this.endpoints[slot === undefined ? this.initiator : (this.slots[slot] ?? -1)];
  }

  /** The one node's endpoint when the data is on one node (standalone Redis); undefined otherwise. */
  soleEndpoint(): WireEndpoint | undefined {
    return this.refresh() && this.endpoints.length === 1 ? this.endpoints[0] : undefined;
  }

  /** How many nodes the data is on (1: standalone Redis). */
  get nodeCount(): number {
    this.refresh();
    return this.endpoints.length;
  }

  /** Every node's endpoint, in the engine's shard order. */
  allEndpoints(): readonly WireEndpoint[] {
    this.refresh();
    return this.endpoints;
  }

  /** The endpoint of the node owning `slot` (the first master for keyless work). */
  endpointOfSlot(slot: number | undefined): WireEndpoint | undefined {
    if (!this.refresh()) return undefined;
    return this.endpoints[slot === undefined ? this.initiator : (this.slots[slot] ?? -1)];
  }

  /** Closes every raw connection. */
  close(): void {
    this.pool.close();
  }
}

/**
 * The slot of a request's keys (Redis' command table; keys as bytes): undefined without keys, null when they span
 * several slots or the arguments do not parse (the engine's path answers with Redis' error).
 */
export function keySlot(lower: string, args: readonly Buffer[]): number | undefined | null {
  if (!exists(lower)) return undefined;
  let indexes: number[];
  try {
    indexes = getKeyIndexes(lower, args.slice(1) as Buffer[]);
  } catch {
    return null;
  }
  let slot: number | undefined;
  for (const index of indexes) {
    const key = args[index + 1];
    if (key === undefined) return null;
    const keySlot = slotOfBytes(key);
    if (slot === undefined) slot = keySlot;
    else if (slot !== keySlot) return null;
  }
  return slot;
}
