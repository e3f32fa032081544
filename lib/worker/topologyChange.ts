import { SLOT_COUNT } from '../cluster/slots.ts';
import { slotTable, type Shard, type Topology } from '../cluster/topology.ts';
import type { RedisReply } from '../store/ShardStore.ts';

const short = (id: string | undefined): string => (id === undefined ? 'no master' : id.slice(0, 12));

/**
 * What changed between the masters a process planned with (`since`, by default the topology's current ones)
 * and the cluster's slot owners now (`CLUSTER SLOTS`, asked of the topology's first master, then of the
 * others if it cannot answer): masters added or gone, slots moved (how many, and the first range that moved,
 * from which master to which). Undefined when nothing changed, or off a Cluster.
 */
export async function topologyChange(
  topology: Topology,
  since: readonly Shard[] = topology.shards,
): Promise<string | undefined> {
  if (topology.kind !== 'cluster' || since.length === 0) return undefined;
  const reply = await clusterSlots(topology.shards);
  const now: (string | undefined)[] = new Array<string | undefined>(SLOT_COUNT);
  for (const entry of reply as RedisReply[][]) {
    const master = (entry[2] as RedisReply[] | undefined)?.[2];
    if (master === undefined) continue;
    now.fill(String(master), Number(entry[0]), Number(entry[1]) + 1);
  }
  const table = slotTable(since);
  const ids = since.map((s) => s.id);
  const was = (slot: number): string | undefined => ids[table[slot]!];
  let moved = 0;
  let first: { start: number; end: number; from: string | undefined; to: string | undefined } | undefined;
  for (let slot = 0; slot < SLOT_COUNT; slot++) {
    if (was(slot) === now[slot]) continue;
    moved++;
    if (!first) first = { start: slot, end: slot, from: was(slot), to: now[slot] };
    else if (first.end === slot - 1 && first.from === was(slot) && first.to === now[slot]) first.end = slot;
  }
  if (!first) return undefined;
  const known = new Set(ids);
  const current = new Set(now.filter((id): id is string => id !== undefined));
  const added = [...current].filter((id) => !known.has(id)).map(short);
  const gone = [...known].filter((id) => !current.has(id)).map(short);
  return [
    `cluster topology changed: ${moved} slot(s) moved (first ${first.start}-${first.end} from master ${short(first.from)} to ${short(first.to)})`,
    ...(added.length ? [`master(s) added: ${added.join(', ')}`] : []),
    ...(gone.length ? [`master(s) gone: ${gone.join(', ')}`] : []),
  ].join('; ');
}

/** `CLUSTER SLOTS` from the first master that answers (a failed-over one may not). */
async function clusterSlots(shards: readonly Shard[]): Promise<RedisReply[]> {
  let failure: unknown;
  for (const shard of shards) {
    try {
      return (await shard.store.call('CLUSTER', 'SLOTS')) as RedisReply[];
    } catch (error) {
      failure = error;
    }
  }
  throw failure;
}
