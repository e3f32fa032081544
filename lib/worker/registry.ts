import type { RegistrationInfo, RegistrationMode } from '../engine/Registration.ts';
import type { RedisReply, ShardStore } from '../store/ShardStore.ts';
import { decodeValue, encodeValue, type RunDescriptor } from './protocol.ts';

/**
 * The keys of an app's distributed registrations (README "Scaling out", registrations). They share the app's
 * hash tag `{rxg:APP}` with the leases, so a worker can check its lease and write its `live` entry in one
 * transaction, and a driver can read a registration's state in one round trip.
 */
export function registryKeys(app: string) {
  const base = `rxg:{rxg:${app}}`;
  return {
    /** HASH: registration id → JSON descriptor (`RegistryEntry`). Workers load it at start. */
    registrations: `${base}:regs`,
    /** STREAM: `id <id> op <add|change|del|clear>` per change; every worker follows it and reconciles the id. */
    log: `${base}:regs:log`,
    /** HASH: task → `<worker>:<epoch>:<version>` once that task's owner listens at that version (or `!<error>`). */
    live: (id: string) => `${base}:reg:${id}:live`,
    /** HASH: the registration's counters summed over workers (HINCRBY of each worker's deltas). */
    stats: (id: string) => `${base}:reg:${id}:stats`,
    /** STREAM: trigger calls, `task t req r name n [key k] args <encoded>`; the task's owner answers. */
    calls: `${base}:calls`,
    /** LIST: the answer to a trigger call (encoded `{ results } | { error }`). */
    reply: (req: string) => `${base}:reply:${req}`,
  };
}

export type RegistryKeys = ReturnType<typeof registryKeys>;

/** A distributed registration as stored. */
export interface RegistryEntry {
  id: string;
  reader: string;
  desc: string | undefined;
  mode: RegistrationMode;
  /** How workers build the plan again: a script (source, call number) or a named gear. */
  origin: RunDescriptor['origin'];
  /** The options that could travel (v8, base64); a script's worker takes its callbacks from its own evaluation. */
  options: string;
  /** Results of the script's runs before the register call (a worker's evaluation replays them). */
  prior: string;
  status: 'OK' | 'PAUSED';
  /** Increased by every change: a worker's `live` entry says which version it applied. */
  version: number;
  /** CommandReader: the trigger name. */
  trigger?: string;
  createdAt: number;
}

export function parseEntry(text: string | null | undefined): RegistryEntry | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    const entry = JSON.parse(text) as RegistryEntry;
    return typeof entry.id === 'string' && typeof entry.version === 'number' ? entry : undefined;
  } catch {
    return undefined;
  }
}

export const entryOptions = (entry: RegistryEntry): Record<string, unknown> =>
  decodeValue(entry.options) as Record<string, unknown>;
export const entryPrior = (entry: RegistryEntry): (unknown[] | null)[] =>
  decodeValue(entry.prior) as (unknown[] | null)[];
export { encodeValue };

/** A HGETALL reply as a Map. */
export function hashMap(reply: RedisReply): Map<string, string> {
  const map = new Map<string, string>();
  if (!Array.isArray(reply)) return map;
  for (let i = 0; i + 1 < reply.length; i += 2) map.set(String(reply[i]), String(reply[i + 1]));
  return map;
}

/** Every stored registration, by id. */
export async function loadEntries(store: ShardStore, keys: RegistryKeys): Promise<Map<string, RegistryEntry>> {
  const entries = new Map<string, RegistryEntry>();
  for (const [id, text] of hashMap(await store.call('HGETALL', keys.registrations))) {
    const entry = parseEntry(text);
    if (entry) entries.set(id, entry);
  }
  return entries;
}

/** Counter fields of a registration's stats hash, summed over workers. */
export const COUNTERS = ['numTriggered', 'numSuccess', 'numFailures', 'numAborted'] as const;

/** One row of dumpRegistrations() from the stored entry and its summed stats. */
export function registrationRow(entry: RegistryEntry, stats: Map<string, string>): RegistrationInfo {
  const num = (field: string): number => Number(stats.get(field) ?? 0);
  const finished = num('numSuccess') + num('numFailures') + num('numAborted');
  const total = num('totalRunDurationMS');
  const statuses = [...stats].filter(([k]) => k.startsWith('status:')).map(([, v]) => v);
  const status: RegistrationInfo['status'] =
    entry.status === 'PAUSED'
      ? 'PAUSED'
      : statuses.includes('ABORTED')
        ? 'ABORTED'
        : statuses.includes('WAITING_FOR_RETRY_ON_FAILURE')
          ? 'WAITING_FOR_RETRY_ON_FAILURE'
          : 'OK';
  let args: Record<string, unknown> = {};
  try {
    args = { prefix: '*', ...entryOptions(entry) };
  } catch {
    // an entry written by another version
  }
  const row: RegistrationInfo = {
    id: entry.id,
    reader: entry.reader,
    desc: entry.desc,
    mode: entry.mode,
    status,
    numTriggered: num('numTriggered'),
    numSuccess: num('numSuccess'),
    numFailures: num('numFailures'),
    numAborted: num('numAborted'),
    lastRunDurationMS: num('lastRunDurationMS'),
    totalRunDurationMS: total,
    avgRunDurationMS: finished === 0 ? 0 : total / finished,
    lastError: stats.get('lastError') ?? null,
    args,
  };
  if (entry.reader === 'StreamReader') {
    const samples = num('lagSamples');
    row.lastEstimatedLagMS = num('lastEstimatedLagMS');
    row.avgEstimatedLagMS = samples === 0 ? 0 : num('lagTotalMS') / samples;
  }
  return row;
}
