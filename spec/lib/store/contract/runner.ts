/**
 * Runs contract scripts against anything with a Redis-style `call`: the oracle (ioredis on a real Redis) and
 * the stores under test. New stores join the contract by adding a line to `storesUnderTest`.
 */
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { MemoryStore } from '../../../../lib/store/memory/index.ts';
import { createRedisTopology } from '../../../../lib/cluster/redisTopology.ts';
import { RedisStore } from '../../../../lib/store/redis/index.ts';
import { hashSlot } from '../../../../lib/cluster/slots.ts';
import type { ShardStore } from '../../../../lib/store/ShardStore.ts';
import type { Step } from './scripts.ts';

export type Caller = (command: string, ...args: (string | number)[]) => Promise<unknown>;

export interface StoreUnderTest {
  name: string;
  open(): Promise<ShardStore>;
}

/** Every store that must pass the contract. */
export const storesUnderTest: StoreUnderTest[] = [
  { name: 'memory', open: () => Promise.resolve(new MemoryStore({ activeExpireInterval: 0 })) },
  // The Redis store on a database of its own: its reply conversion must not change what Redis said.
  { name: 'redis', open: () => Promise.resolve(new RedisStore(`${inject('redisUrl')}/11`)) },
  { name: 'cluster master', open: () => clusterStore() },
];

/** The Redis store of the cluster master that owns the `{contract}` slot, over the real test cluster. */
async function clusterStore(): Promise<ShardStore> {
  const topology = await createRedisTopology(inject('clusterUrls')[0]!);
  const slot = hashSlot('contract');
  const owner = topology.shards.find((s) => s.slots.some(([a, b]) => slot >= a && slot <= b))!;
  const others = topology.shards.filter((s) => s !== owner);
  await Promise.all(others.map((s) => s.store.close()));
  const store = owner.store;
  return Object.assign(Object.create(store) as ShardStore, { close: () => topology.close() });
}

export interface Outcome {
  reply?: unknown;
  error?: string;
}

export function uniquePrefix(label: string): string {
  // One hashtag for every contract key: on a cluster they all live on one master (the one `clusterStore()`
  // opens), and multi-key commands stay in one slot, as on standalone Redis.
  return `{contract}:${label}:${randomUUID().slice(0, 8)}:`;
}

function expand(arg: string | number, prefix: string): string | number {
  return typeof arg === 'string' ? arg.replaceAll('{p}', prefix) : arg;
}

/** `SCAN*` pseudo-command: a full SCAN iteration with `MATCH <pattern> [opts…]`, keys de-duplicated. */
async function scanAll(call: Caller, args: (string | number)[]): Promise<string[]> {
  const keys = new Set<string>();
  let cursor = '0';
  do {
    const [next, page] = (await call('SCAN', cursor, 'MATCH', ...args)) as [string, string[]];
    cursor = next;
    for (const key of page) keys.add(key);
  } while (cursor !== '0');
  return [...keys];
}

/**
 * Integer replies beyond 2^53 cannot be exact as numbers, and ioredis' parser rounds them differently from a
 * correctly rounded double (9223372036854775807 arrives as 9223372036854778000): compare those to 1e6.
 */
function roundHuge(reply: unknown): unknown {
  if (typeof reply === 'bigint') return roundHuge(Number(reply)); // the memory store's exact int64 replies
  if (typeof reply === 'number' && Math.abs(reply) > Number.MAX_SAFE_INTEGER) return `~${Math.round(reply / 1e6)}e6`;
  return Array.isArray(reply) ? reply.map(roundHuge) : reply;
}

/**
 * `HSCAN*`, `SSCAN*`, `ZSCAN*` pseudo-commands: a full iteration of the key, elements (or field/value and
 * member/score pairs) sorted, since how a collection is split into pages is up to each store.
 */
async function scanCollection(call: Caller, command: string, args: (string | number)[]): Promise<string[]> {
  const [key, ...opts] = args;
  const elements: string[] = [];
  let cursor = '0';
  do {
    const [next, page] = (await call(command, key!, cursor, ...opts)) as [string, string[]];
    cursor = next;
    elements.push(...page);
  } while (cursor !== '0');
  if (command === 'SSCAN') return [...new Set(elements)].sort();
  const pairs = new Map<string, string>();
  for (let i = 0; i < elements.length; i += 2) pairs.set(elements[i]!, elements[i + 1]!);
  return [...pairs].map(([a, b]) => `${a}=${b}`).sort();
}

export async function runStep(call: Caller, step: Step, prefix: string): Promise<Outcome> {
  const [name, ...args] = step.cmd.map((a) => expand(a, prefix));
  try {
    const command = String(name);
    const reply =
      command === 'SCAN*'
        ? await scanAll(call, args)
        : command.endsWith('SCAN*')
          ? await scanCollection(call, command.slice(0, -1), args)
          : await call(command, ...args);
    return { reply: roundHuge(step.norm ? step.norm(reply) : reply) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** Deletes every key under `prefix` (SCAN + DEL: never FLUSHALL on a shared server). */
export async function deletePrefix(call: Caller, prefix: string): Promise<void> {
  for (const key of await scanAll(call, [`${prefix}*`, 'COUNT', 1000])) await call('DEL', key);
}

export function describeStep(step: Step, index: number): string {
  const shown = step.cmd.map((a) => (String(a).length > 40 ? `${String(a).slice(0, 40)}…` : String(a)));
  return `#${index} ${shown.join(' ')}`;
}
