import { readClusterMasters, type ClusterMaster } from '../cluster/clusterNodes.ts';
import { SLOT_COUNT } from '../cluster/slots.ts';
import { slotTable, type Shard, type Topology } from '../cluster/topology.ts';

const short = (id: string | undefined): string => (id === undefined ? 'no master' : id.slice(0, 12));

/**
 * What changed between the masters a process planned with (`since`, by default the topology's current ones)
 * and the cluster's masters now (read as the topology reads them: `CLUSTER SHARDS`, asked of the topology's
 * first master, then of the others if it cannot answer): masters added or gone (those without slots too: one
 * may be importing its first slot), slots moved (how many, and the first range that moved, from which master
 * to which). Undefined when nothing changed, or off a Cluster.
 */
export async function topologyChange(
  topology: Topology,
  since: readonly Shard[] = topology.shards,
): Promise<string | undefined> {
  if (topology.kind !== 'cluster' || since.length === 0) return undefined;
  const masters = await clusterMasters(topology.shards);
  const now: (string | undefined)[] = new Array<string | undefined>(SLOT_COUNT);
  for (const master of masters) for (const [start, end] of master.slots) now.fill(master.id, start, end + 1);
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
  const known = new Set(ids);
  const current = new Set(masters.map((m) => m.id));
  const added = [...current].filter((id) => !known.has(id)).map(short);
  const gone = [...known].filter((id) => !current.has(id)).map(short);
  if (!first && added.length === 0 && gone.length === 0) return undefined;
  const changes = [
    ...(first
      ? [
          `${moved} slot(s) moved (first ${first.start}-${first.end} from master ${short(first.from)} to ${short(first.to)})`,
        ]
      : []),
    ...(added.length ? [`master(s) added: ${added.join(', ')}`] : []),
    ...(gone.length ? [`master(s) gone: ${gone.join(', ')}`] : []),
  ];
  return `cluster topology changed: ${changes.join('; ')}`;
}

/** The cluster's masters from the first master that answers (a failed-over one may not). */
async function clusterMasters(shards: readonly Shard[]): Promise<ClusterMaster[]> {
  let failure: unknown;
  for (const shard of shards) {
    try {
      return await readClusterMasters((command, ...args) => shard.store.call(command, ...args), '', false);
    } catch (error) {
      failure = error;
    }
  }
  throw failure;
}
