import { deserialize, serialize } from 'node:v8';
import { controlKeys } from '../cluster/leases/tick.ts';
import { hashSlot } from '../cluster/slots.ts';
import { slotTable, type Shard } from '../cluster/topology.ts';
import type { RedisReply, ShardStore } from '../store/ShardStore.ts';

/**
 * The keys a distributed run uses besides the lease keys (`controlKeys`). The execution's hash and the run
 * log share the app's hash tag `{rxg:APP}` with the leases, so a claim can be checked against its lease in
 * one transaction; the results stream and the exchange streams have a tag per execution, spreading them over
 * the masters (README "Scaling out").
 */
export function runKeys(app: string) {
  const base = `rxg:{rxg:${app}}`;
  return {
    ...controlKeys(app),
    /** STREAM: one entry `id <executionId>` per run started; every worker follows it (a broadcast). */
    runs: `${base}:runs`,
    /** Counter: execution sequence numbers. */
    seq: `${base}:seq`,
    /** HASH: the execution's descriptor, status and claims (`claim:<task>` = `<worker>:<epoch>`). */
    execution: (id: string) => `${base}:x:${id}`,
    /** STRING with PX: present while the driver that started the execution is alive. */
    driver: (id: string) => `${base}:x:${id}:driver`,
    /** ZSET: unblocking executions by start time (any front door can find them). */
    executions: `${base}:executions`,
    /** STREAM: the execution's results and every part's end (`done`). */
    out: (id: string) => `rxg:{x:${app}:${id}}:out`,
    /** The exchange stream of one destination shard (`RedisTransport`'s `streamKey`). */
    exchange: (exchange: string, to: number) => `rxg:{x:${app}:${exchange}:${to}}`,
  };
}

export type RunKeys = ReturnType<typeof runKeys>;

/** What a worker reads from an execution's hash to run its part. */
export interface RunDescriptor {
  /** Task ids in shard order, as the driver saw the topology. */
  tasks: string[];
  /**
   * The master id of each task, as the driver saw them: a failover keeps the task ids (they are slots) but
   * changes the master, and a worker that has not seen it yet looks again before it claims.
   */
  masters?: string[];
  status: 'running' | 'done' | 'aborted';
  reason?: string;
  /** A script (source text, call number) or a named gear (name, fingerprint). */
  origin:
    | { kind: 'script'; source: string; index: number; filename?: string; description?: string }
    | { kind: 'gear'; name: string; fingerprint: string };
  /** The reader's argument, when it could travel (a function argument is rebuilt by the worker's script). */
  arg?: { value: unknown };
  options: Record<string, unknown>;
  /** The results of the script's earlier runs, by call number (a worker's evaluation replays them). */
  prior: (unknown[] | null)[];
  /** task → `{ worker, epoch }` */
  claims: Map<string, { worker: string; epoch: number }>;
}

export const encodeValue = (value: unknown): string => serialize(value).toString('base64');
export const decodeValue = (text: string): unknown => deserialize(Buffer.from(text, 'base64'));

/** The value, encoded, or undefined when it cannot travel (a function, a class instance with state that does not clone). */
export function tryEncode(value: unknown): string | undefined {
  try {
    return encodeValue(value);
  } catch {
    return undefined;
  }
}

export function descriptorFields(descriptor: Omit<RunDescriptor, 'claims' | 'status' | 'reason'>): string[] {
  const fields = [
    'status',
    'running',
    'tasks',
    JSON.stringify(descriptor.tasks),
    ...(descriptor.masters ? ['masters', JSON.stringify(descriptor.masters)] : []),
    'origin',
    JSON.stringify(descriptor.origin),
  ];
  fields.push('opts', encodeValue(descriptor.options));
  if (descriptor.arg) {
    const arg = tryEncode(descriptor.arg.value);
    if (arg !== undefined) fields.push('arg', arg);
  }
  if (descriptor.prior.length > 0) fields.push('prior', encodeValue(descriptor.prior));
  return fields;
}

/** An execution's hash as a descriptor; undefined when it is gone (expired) or not one. */
export function parseDescriptor(reply: RedisReply): RunDescriptor | undefined {
  if (!Array.isArray(reply) || reply.length === 0) return undefined;
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < reply.length; i += 2) map.set(String(reply[i]), String(reply[i + 1]));
  const tasks = map.get('tasks');
  const origin = map.get('origin');
  const status = map.get('status');
  if (tasks === undefined || origin === undefined || status === undefined) return undefined;
  const claims = new Map<string, { worker: string; epoch: number }>();
  for (const [field, value] of map) {
    if (!field.startsWith('claim:')) continue;
    const at = value.lastIndexOf(':');
    claims.set(field.slice(6), { worker: value.slice(0, at), epoch: Number(value.slice(at + 1)) });
  }
  const arg = map.get('arg');
  const prior = map.get('prior');
  const reason = map.get('reason');
  const masters = map.get('masters');
  return {
    tasks: JSON.parse(tasks) as string[],
    ...(masters !== undefined ? { masters: JSON.parse(masters) as string[] } : {}),
    status: status as RunDescriptor['status'],
    ...(reason !== undefined ? { reason } : {}),
    origin: JSON.parse(origin) as RunDescriptor['origin'],
    ...(arg !== undefined ? { arg: { value: decodeValue(arg) } } : {}),
    options: decodeValue(map.get('opts') ?? encodeValue({})) as Record<string, unknown>,
    prior: prior === undefined ? [] : (decodeValue(prior) as (unknown[] | null)[]),
    claims,
  };
}

/** Marks an execution aborted, unless it already ended; true when this call did it. */
export async function markAborted(store: ShardStore, keys: RunKeys, id: string, reason: string): Promise<boolean> {
  const key = keys.execution(id);
  for (let attempt = 0; attempt < 8; attempt++) {
    const tx = await store.transaction();
    const status = await tx.read([key], 'HGET', [key, 'status']);
    if (status !== 'running') {
      await tx.discard();
      return false;
    }
    if ((await tx.commit([['HSET', key, 'status', 'aborted', 'reason', reason]])) !== null) return true;
  }
  return false;
}

/** A stream entry as read: `[id, fields map]`. */
export type StreamEntry = [string, Map<string, string>];

/** Entries of an XREAD reply of one stream. */
export function streamEntries(reply: RedisReply): StreamEntry[] {
  if (!Array.isArray(reply) || reply.length === 0) return [];
  return entriesOf((reply[0] as RedisReply[])[1] ?? []);
}

function entriesOf(reply: RedisReply): StreamEntry[] {
  return (reply as RedisReply[][]).map(([id, fields]) => {
    const map = new Map<string, string>();
    const list = fields as RedisReply[];
    for (let i = 0; i + 1 < list.length; i += 2) map.set(String(list[i]), String(list[i + 1]));
    return [String(id), map];
  });
}

export const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** `pause(ms)` whose timer does not keep the process alive: a watch that may outlive its run by a lease/3. */
export const idlePause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

/** Pauses that one call ends at once (a stop): a stop then does not wait out a pause of a lease/3. */
export class Pauses {
  private readonly waiting = new Map<NodeJS.Timeout, () => void>();
  private ended = false;

  /** `pause(ms)`, or less when `end()` is called (at once when it was). */
  pause(ms: number): Promise<void> {
    if (this.ended) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(timer);
        resolve();
      }, ms);
      this.waiting.set(timer, resolve);
    });
  }

  end(): void {
    this.ended = true;
    for (const [timer, resolve] of this.waiting) {
      clearTimeout(timer);
      resolve();
    }
    this.waiting.clear();
  }
}

/** The longest XREAD BLOCK of a follower: how late it may notice that it was stopped. */
export const FOLLOW_BLOCK_MS = 500;

/**
 * The entries of `key` after `lastId`: at once when there are some, else the first to come within `blockMs`
 * (XREAD BLOCK: on Redis a connection of its own, kept for the next wait; the embedded store parks the read),
 * so a follower neither polls nor waits longer than it takes Redis to tell it.
 */
export async function readAfter(
  store: ShardStore,
  key: string,
  lastId: string,
  count: number,
  blockMs: number,
): Promise<StreamEntry[]> {
  return (await readAfterEach(store, [key], [lastId], count, blockMs))[0]!;
}

/**
 * `readAfter` over several streams in one read (one blocked connection for all): the entries of each key after
 * its last id, in the order of `keys`. On a Cluster the keys must share a slot (one hash tag).
 */
export async function readAfterEach(
  store: ShardStore,
  keys: readonly string[],
  lastIds: readonly string[],
  count: number,
  blockMs: number,
): Promise<StreamEntry[][]> {
  const byKey = (reply: RedisReply): StreamEntry[][] => {
    const found = new Map<string, RedisReply>();
    for (const stream of Array.isArray(reply) ? (reply as RedisReply[][]) : [])
      found.set(String(stream[0]), stream[1]!);
    return keys.map((key) => entriesOf(found.get(key) ?? []));
  };
  const now = byKey(await store.call('XREAD', 'COUNT', count, 'STREAMS', ...keys, ...lastIds));
  if (now.some((entries) => entries.length > 0)) return now;
  return byKey(await store.call('XREAD', 'COUNT', count, 'BLOCK', blockMs, 'STREAMS', ...keys, ...lastIds));
}

/** The store of the shard that owns a key's slot (on a Cluster, its master). */
export function storeForKey(shards: readonly Shard[]): (key: string) => ShardStore {
  const table = slotTable(shards);
  return (key) => shards[table[hashSlot(key)] ?? 0]!.store;
}

/** The longest lease among the app's workers (a driver's timeouts are measured in it); `fallback` when none. */
export async function appLeaseMs(store: ShardStore, keys: RunKeys, fallback: number): Promise<number> {
  const values = await store.call('HVALS', keys.workers);
  let lease = 0;
  for (const value of Array.isArray(values) ? values : []) {
    try {
      const parsed = JSON.parse(String(value)) as { leaseMs?: unknown };
      if (typeof parsed.leaseMs === 'number' && parsed.leaseMs > lease) lease = parsed.leaseMs;
    } catch {
      // not a worker entry
    }
  }
  return lease || fallback;
}

/** `s<first>-<last>` and the shard's id, for messages. */
export function describeShard(shard: Shard, task: string): string {
  return `${shard.id} (task ${task})`;
}

/** XADD and PEXPIRE in one transaction: the stream never exists without a time to live. */
export async function appendExpiring(store: ShardStore, key: string, fields: string[], ttlMs: number): Promise<void> {
  const tx = await store.transaction();
  await tx.commit([
    ['XADD', key, '*', ...fields],
    ['PEXPIRE', key, ttlMs],
  ]);
}
