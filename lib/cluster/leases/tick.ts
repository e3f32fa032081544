import { GearsError } from '../../errors.ts';
import type { RedisArg, RedisReply, ShardStore } from '../../store/ShardStore.ts';
import { hashSlot } from '../slots.ts';
import type { Shard } from '../topology.ts';
import { decide, formatLease, parseLease, type Lease, type LeaseDecision } from './decide.ts';

/**
 * The control keys of an app. All carry the hash tag `{rxg:NAME}`, so they live in one slot and one
 * transaction can WATCH and write them all, on a Cluster too.
 */
export interface ControlKeys {
  /**
   * SET of worker ids that have joined (pruned when their heartbeat key is gone). Expires a lease after the
   * last heartbeat of any worker: an app whose workers all died leaves only its epoch counters.
   */
  members: string;
  /**
   * HASH: worker id → what it says of itself (JSON, `TickInput.info`), written with each heartbeat, pruned
   * with `members`, expiring as it does.
   */
  workers: string;
  /** STRING with PX: present while the worker is alive. */
  alive(worker: string): string;
  /** STRING with PX: `<worker>:<epoch>[:r]`. */
  lease(task: string): string;
  /** Counter: the fencing token of a task, increased by every acquisition. */
  epoch(task: string): string;
}

export function controlKeys(app: string): ControlKeys {
  if (!/^[\w.-]+$/.test(app)) throw new GearsError(`app name '${app}' must be letters, digits, '_', '.' or '-'`);
  const base = `rxg:{rxg:${app}}`;
  return {
    members: `${base}:members`,
    workers: `${base}:workers`,
    alive: (worker) => `${base}:alive:${worker}`,
    lease: (task) => `${base}:lease:${task}`,
    epoch: (task) => `${base}:epoch:${task}`,
  };
}

/** The shard that holds an app's control keys. */
export function controlShard(shards: readonly Shard[], app: string): Shard {
  const slot = hashSlot(`{rxg:${app}}`);
  const shard = shards.find((s) => s.slots.some(([start, end]) => slot >= start && slot <= end));
  if (!shard) throw new GearsError(`no shard owns slot ${slot} of app '${app}'`);
  return shard;
}

export interface TickInput {
  app: string;
  self: string;
  tasks: readonly string[];
  /** Self's releasing tasks that it has finished stopping. */
  stopped: ReadonlySet<string>;
  /** Lease and heartbeat time to live, ms. */
  leaseMs: number;
  /** Self's entry in the `workers` hash, written with the heartbeat (none when undefined). */
  info?: string;
  /** Transactions retried after a conflict (another worker's tick committed first). Default 8. */
  retries?: number;
}

export interface TickOutcome {
  decision: LeaseDecision;
  /** Self's leases after the tick: task → epoch (releasing ones included until dropped). */
  held: Map<string, number>;
  /** The held tasks whose lease is marked releasing. */
  releasing: Set<string>;
}

/**
 * One tick, atomically: heartbeat, prune dead members, renew, release, drop and acquire leases — one
 * WATCH/MULTI/EXEC over the app's control keys, re-run on a conflict. Resolves with `undefined` when every
 * attempt conflicted (the caller's leases then lapse by time, see `LeaseWorker`).
 */
export async function leaseTick(store: ShardStore, input: TickInput): Promise<TickOutcome | undefined> {
  const keys = controlKeys(input.app);
  for (let attempt = 0; attempt <= (input.retries ?? 8); attempt++) {
    const tx = await store.transaction();
    let committed = false;
    try {
      const members = strings(await tx.read([keys.members], 'SMEMBERS', [keys.members])).filter(
        (w): w is string => w !== null,
      );
      const leaseKeys = input.tasks.map((t) => keys.lease(t));
      const epochKeys = input.tasks.map((t) => keys.epoch(t));
      const values = strings(await tx.read([...leaseKeys, ...epochKeys], 'MGET', [...leaseKeys, ...epochKeys]));
      // Not watched: a worker's first heartbeat adds it to `members` (watched) in the same transaction. Sent
      // together (one round trip): a tick that takes longer delays the next, and the worker fences itself.
      const heartbeats = (workers: readonly string[]): Promise<RedisReply> =>
        workers.length > 0 ? tx.read([], 'MGET', workers.map((w) => keys.alive(w))) : Promise.resolve([]);
      const [fields, membersTtl, workersTtl, membersAlive] = await Promise.all([
        tx.read([], 'HKEYS', [keys.workers]),
        tx.read([], 'PTTL', [keys.members]),
        tx.read([], 'PTTL', [keys.workers]),
        heartbeats(members),
      ]);
      const entries = strings(fields).filter((w): w is string => w !== null);
      const expiries = [Number(membersTtl), Number(workersTtl)];
      // Entries of workers that are no members (left from before the hash was pruned): read only when there are.
      const others = entries.filter((w) => !members.includes(w));
      const known = [...members, ...others];
      const alive = [...strings(membersAlive), ...strings(await heartbeats(others))];
      const dead = new Set(known.filter((w, i) => alive[i] === null && w !== input.self));
      const live = members.filter((w) => alive[known.indexOf(w)] !== null);
      const leases = new Map<string, Lease>();
      input.tasks.forEach((task, i) => {
        const lease = parseLease(values[i] ?? null);
        if (lease) leases.set(task, lease);
      });
      const decision = decide({ self: input.self, tasks: input.tasks, live, leases, stopped: input.stopped });

      const px = String(input.leaseMs);
      const writes: [string, ...RedisArg[]][] = [
        ['SET', keys.alive(input.self), '1', 'PX', px],
        ['SADD', keys.members, input.self],
      ];
      if (input.info !== undefined) writes.push(['HSET', keys.workers, input.self, input.info]);
      const deadMembers = members.filter((w) => dead.has(w));
      const deadEntries = entries.filter((w) => dead.has(w));
      if (deadMembers.length > 0) writes.push(['SREM', keys.members, ...deadMembers]);
      if (deadEntries.length > 0) writes.push(['HDEL', keys.workers, ...deadEntries]);
      // Both live a lease past the last heartbeat: extended, never shortened (workers may have other leases).
      [keys.members, keys.workers].forEach((key, i) => {
        if (expiries[i]! < input.leaseMs) writes.push(['PEXPIRE', key, px]);
      });
      const held = new Map<string, number>();
      const releasing = new Set<string>();
      for (const task of decision.renew) {
        const lease = leases.get(task)!;
        writes.push(['SET', keys.lease(task), formatLease(lease), 'PX', px]);
        held.set(task, lease.epoch);
        if (lease.releasing) releasing.add(task);
      }
      for (const task of decision.release) {
        const lease = { ...leases.get(task)!, releasing: true };
        writes.push(['SET', keys.lease(task), formatLease(lease), 'PX', px]);
        held.set(task, lease.epoch);
        releasing.add(task);
      }
      for (const task of decision.drop) writes.push(['DEL', keys.lease(task)]);
      for (const task of decision.acquire) {
        const epoch = Number(values[input.tasks.length + input.tasks.indexOf(task)] ?? 0) + 1;
        writes.push(['SET', keys.epoch(task), String(epoch)]);
        writes.push(['SET', keys.lease(task), formatLease({ owner: input.self, epoch, releasing: false }), 'PX', px]);
        held.set(task, epoch);
      }
      committed = true;
      const replies = await tx.commit(writes);
      if (replies !== null) return { decision, held, releasing };
    } finally {
      if (!committed) await tx.discard();
    }
  }
  return undefined;
}

function strings(reply: unknown): (string | null)[] {
  return Array.isArray(reply) ? (reply as (string | null)[]) : [];
}

/** Task ids for shards: `s<firstSlot>-<lastSlot>` of each shard's first range (slots survive a failover, node ids not). */
export function shardTasks(shards: readonly Shard[]): string[] {
  return shards.map((shard) => {
    const [first] = shard.slots;
    return first ? `s${first[0]}-${first[1]}` : `node-${shard.id}`;
  });
}

/**
 * A clean leave: deletes the worker's heartbeat and every lease that is still its own, in one transaction,
 * so other workers take its tasks at their next tick instead of after the lease. The caller stopped them.
 * With `stays`, only the leases go: the worker stays a live member (it re-plans its tasks, see `GearsWorker`).
 */
export async function leaseLeave(
  store: ShardStore,
  app: string,
  self: string,
  tasks: readonly string[],
  stays = false,
): Promise<void> {
  const keys = controlKeys(app);
  for (let attempt = 0; attempt < 8; attempt++) {
    const tx = await store.transaction();
    let values: (string | null)[];
    const leaseKeys = tasks.map((t) => keys.lease(t));
    try {
      values = strings(await tx.read(leaseKeys, 'MGET', leaseKeys));
    } catch (error) {
      await tx.discard();
      throw error;
    }
    const mine = leaseKeys.filter((_, i) => parseLease(values[i] ?? null)?.owner === self);
    const writes: [string, ...RedisArg[]][] = stays
      ? mine.length > 0
        ? [['DEL', ...mine]]
        : []
      : [
          ['DEL', keys.alive(self), ...mine],
          ['SREM', keys.members, self],
          ['HDEL', keys.workers, self],
        ];
    if (writes.length === 0) return void (await tx.discard());
    if ((await tx.commit(writes)) !== null) return;
  }
}
