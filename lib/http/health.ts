import type { Gears } from '../Gears.ts';
import type { Shard } from '../cluster/topology.ts';
import { formatError } from '../errors.ts';
import type { Deployments } from '../server/rg/Deployments.ts';

/** A shard as the dashboard and `/readyz` see it. */
export interface ShardHealth {
  id: string;
  slots: [number, number][];
  up: boolean;
  /** Round trip of a PING, ms (when up). */
  pingMs?: number;
  /** DBSIZE (when up). */
  keys?: number;
  error?: string;
}

/** `/readyz`: ready when every shard answers, no registration is ABORTED and every stored script ran again. */
export interface Readiness {
  ready: boolean;
  shards: ShardHealth[];
  /** Why not ready, one line each. */
  problems: string[];
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** PINGs and counts the keys of one shard, within `timeoutMs`. */
export async function probeShard(shard: Shard, timeoutMs: number): Promise<ShardHealth> {
  const base = { id: shard.id, slots: shard.slots.map(([a, b]) => [a, b] as [number, number]) };
  const started = performance.now();
  try {
    await within(shard.store.call('PING'), timeoutMs, 'PING');
    const pingMs = Math.round((performance.now() - started) * 100) / 100;
    const keys = Number(await within(shard.store.call('DBSIZE'), timeoutMs, 'DBSIZE'));
    return { ...base, up: true, pingMs, keys };
  } catch (error) {
    return { ...base, up: false, error: formatError(error) };
  }
}

/** Checks what a Kubernetes readiness probe should wait for. */
export async function readiness(
  gears: Gears,
  deployments: Deployments | undefined,
  timeoutMs: number,
): Promise<Readiness> {
  const shards = await Promise.all(gears.shards.map((shard) => probeShard(shard, timeoutMs)));
  const problems = shards.filter((s) => !s.up).map((s) => `shard ${s.id} unreachable: ${s.error ?? ''}`);
  for (const r of gears.dumpRegistrations()) {
    if (r.status === 'ABORTED') problems.push(`registration ${r.id} aborted: ${r.lastError ?? ''}`);
  }
  for (const d of deployments?.dump() ?? []) {
    if (d.restoreError !== null) problems.push(`deployment ${d.id} did not run again: ${d.restoreError}`);
  }
  return { ready: problems.length === 0, shards, problems };
}
