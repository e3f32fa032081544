import { SLOT_COUNT } from '../cluster/slots.ts';
import { slotTable, type Topology } from '../cluster/topology.ts';
import type { RedisReply } from '../store/ShardStore.ts';

const short = (id: string | undefined): string => (id === undefined ? 'no master' : id.slice(0, 12));

/**
 * What changed between the masters a process read when it started (`topology`) and the cluster's slot owners
 * now (`CLUSTER SLOTS` on the first master): masters added or gone, slots moved (how many, and the first range
 * that moved, from which master to which). Undefined when nothing changed, or off a Cluster.
 */
export async function topologyChange(topology: Topology): Promise<string | undefined> {
  if (topology.kind !== 'cluster' || topology.shards.length === 0) return undefined;
  const reply = (await topology.shards[0]!.store.call('CLUSTER', 'SLOTS')) as RedisReply[];
  const now: (string | undefined)[] = new Array<string | undefined>(SLOT_COUNT);
  for (const entry of reply as RedisReply[][]) {
    const master = (entry[2] as RedisReply[] | undefined)?.[2];
    if (master === undefined) continue;
    now.fill(String(master), Number(entry[0]), Number(entry[1]) + 1);
  }
  const table = slotTable(topology.shards);
  const ids = topology.shards.map((s) => s.id);
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
