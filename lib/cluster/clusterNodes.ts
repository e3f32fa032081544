import type { SlotRange } from './slots.ts';
import { RedisReplyError } from '../errors.ts';
import type { RedisReply } from '../store/ShardStore.ts';

/** A master as the cluster describes it. */
export interface ClusterMaster {
  id: string;
  host: string;
  port: number;
  /** Sorted by start. */
  slots: SlotRange[];
}

type Ask = (command: string, ...args: string[]) => Promise<RedisReply>;

/** `[k1, v1, k2, v2, …]` → Map, for the key/value arrays of CLUSTER SHARDS in RESP2. */
function pairs(flat: RedisReply): Map<string, RedisReply> {
  const map = new Map<string, RedisReply>();
  if (!Array.isArray(flat)) return map;
  for (let i = 0; i + 1 < flat.length; i += 2) map.set(String(flat[i]), flat[i + 1]!);
  return map;
}

/**
 * The address to connect to: the announced endpoint, unless the node does not know it (`?` or empty, which
 * Redis uses for "the address you reached me at"), then its IP, then the address of the node we asked.
 */
function endpointOf(endpoint: RedisReply | undefined, ip: RedisReply | undefined, fallbackHost: string): string {
  for (const candidate of [endpoint, ip]) {
    if (typeof candidate === 'string' && candidate !== '' && candidate !== '?') return candidate;
  }
  return fallbackHost;
}

/**
 * Masters with slots by first slot, then those without (by id). A master without slots stays: the first slot a
 * reshard gives it is not its own until the migration ends, yet the keys already moved are there (SCAN lists
 * them, reads after ASKING serve them), so a run that left it out would miss them without an error.
 */
function sortMasters(masters: ClusterMaster[]): ClusterMaster[] {
  for (const master of masters) master.slots.sort((a, b) => a[0] - b[0]);
  const first = (m: ClusterMaster): number => m.slots[0]?.[0] ?? Number.MAX_SAFE_INTEGER;
  return masters.sort((a, b) => first(a) - first(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Masters from `CLUSTER SHARDS` (Redis 7+): per shard, its slots and the node whose role is master. */
export function parseClusterShards(reply: RedisReply, fallbackHost: string, tls: boolean): ClusterMaster[] {
  const masters: ClusterMaster[] = [];
  for (const shard of Array.isArray(reply) ? reply : []) {
    const fields = pairs(shard);
    const flatSlots = fields.get('slots');
    const slots: SlotRange[] = [];
    if (Array.isArray(flatSlots))
      for (let i = 0; i + 1 < flatSlots.length; i += 2) slots.push([Number(flatSlots[i]), Number(flatSlots[i + 1])]);
    const nodes = (Array.isArray(fields.get('nodes')) ? (fields.get('nodes') as RedisReply[]) : []).map(pairs);
    // A failed master stays listed next to the replica that took over: prefer the one that is online.
    const candidates = nodes.filter((node) => node.get('role') === 'master');
    const master = candidates.find((node) => node.get('health') === 'online') ?? candidates[0];
    // A failed master without slots (a spare node that died; on Redis 7.0 also a dead master its replica
    // replaced, listed apart) is no part of the data: reading it would fail every run until it is forgotten.
    // A failed master with slots stays, and its reads fail saying so.
    const health = master?.get('health');
    if (!master || (slots.length === 0 && health !== undefined && health !== 'online' && health !== 'loading'))
      continue;
    const port = Number((tls ? master.get('tls-port') : undefined) ?? master.get('port'));
    masters.push({
      id: String(master.get('id')),
      host: endpointOf(master.get('endpoint'), master.get('ip'), fallbackHost),
      port,
      slots,
    });
  }
  return sortMasters(masters);
}

/**
 * Masters from `CLUSTER SLOTS` (`[[start, end, [host, port, id, …], …replicas], …]`), grouped by node id. It
 * lists no master without slots: one importing its first slot is not read where only this reply is allowed.
 */
export function parseClusterSlots(reply: RedisReply, fallbackHost: string): ClusterMaster[] {
  const byId = new Map<string, ClusterMaster>();
  for (const range of Array.isArray(reply) ? reply : []) {
    if (!Array.isArray(range) || !Array.isArray(range[2])) continue;
    const [host, port, id] = range[2];
    const key = String(id);
    const master = byId.get(key) ?? {
      id: key,
      host: endpointOf(host, undefined, fallbackHost),
      port: Number(port),
      slots: [],
    };
    master.slots.push([Number(range[0]), Number(range[1])]);
    byId.set(key, master);
  }
  return sortMasters([...byId.values()]);
}

/**
 * Masters from `CLUSTER NODES` (one line a node: `id ip:port@cport[,hostname] flags master … link-state slots…`),
 * those without slots included as in `parseClusterShards`; `[slot->-id]` / `[slot-<-id]` (a migration the node
 * asked takes part in) are no slots of its own. Where CLUSTER SHARDS is unknown (Redis 6.2), it is the one
 * reply that lists a master without slots.
 */
export function parseClusterNodes(reply: RedisReply, fallbackHost: string): ClusterMaster[] {
  const masters: ClusterMaster[] = [];
  for (const line of String(reply).split('\n')) {
    const [id, address, flags, , , , , , ...fields] = line.trim().split(' ');
    if (!id || !address || !flags) continue;
    const flagSet = new Set(flags.split(','));
    if (!flagSet.has('master') || flagSet.has('handshake')) continue;
    const slots = fields
      .filter((field) => !field.startsWith('['))
      .map((field): SlotRange => {
        const [start, end = start] = field.split('-');
        return [Number(start), Number(end)];
      });
    if (slots.length === 0 && (flagSet.has('fail') || flagSet.has('noaddr'))) continue;
    const hostPort = address.split('@')[0]!;
    const colon = hostPort.lastIndexOf(':');
    masters.push({
      id,
      host: endpointOf(hostPort.slice(0, colon), undefined, fallbackHost),
      port: Number(hostPort.slice(colon + 1)),
      slots,
    });
  }
  return sortMasters(masters);
}

/**
 * Asks one node for the masters: CLUSTER SHARDS; where SHARDS is unknown (Redis 6.2), CLUSTER NODES; where that
 * is refused too, CLUSTER SLOTS (which lists no master without slots).
 */
export async function readClusterMasters(ask: Ask, fallbackHost: string, tls: boolean): Promise<ClusterMaster[]> {
  try {
    return parseClusterShards(await ask('CLUSTER', 'SHARDS'), fallbackHost, tls);
  } catch (error) {
    if (!(error instanceof RedisReplyError)) throw error;
  }
  try {
    return parseClusterNodes(await ask('CLUSTER', 'NODES'), fallbackHost);
  } catch (error) {
    if (!(error instanceof RedisReplyError)) throw error;
    return parseClusterSlots(await ask('CLUSTER', 'SLOTS'), fallbackHost);
  }
}
