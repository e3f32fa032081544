import type { ClusterInfo } from '../../Gears.ts';
import type { ExecutionInfo } from '../../engine/Execution.ts';
import type { Reply } from '../protocol/replies.ts';
import { valueReply } from './convert.ts';

/** Replies of the RG commands that return structures, in the shapes RedisGears gives them. */

const ms = (value: number): number => Math.round(value);

/**
 * RG.GETEXECUTION as RedisGears shapes it: one `[shard_id, id, execution_plan, [...]]` entry (for the initiator,
 * which holds the totals here) with status, counters, durations and per-step statistics.
 */
export function executionReply(info: ExecutionInfo): Reply {
  const steps = info.steps.map((step) => [
    'type',
    step.type,
    'name',
    step.op,
    'records_in',
    step.recordsIn,
    'records_out',
    step.recordsOut,
    'duration',
    ms(step.durationMs),
  ]);
  const plan = [
    'status',
    info.status,
    'shards_received',
    info.shardsReceived,
    'shards_completed',
    info.shardsCompleted,
    'results',
    info.results,
    'errors',
    info.errors,
    'total_duration',
    ms(info.totalDurationMs),
    'read_duration',
    ms(info.readDurationMs),
    'steps',
    steps,
  ];
  return [['shard_id', info.executionId.split('-')[0]!, 'execution_plan', plan]];
}

/**
 * One registration as RedisGears' RG.DUMPREGISTRATIONS shows it: `id`, `reader`, `desc`, then everything else
 * (mode, counters, durations, last error, `args`) under `RegistrationData`.
 */
export function registrationReply(registration: object): Reply {
  const { id: registrationId, reader, desc, ...data } = registration as Record<string, unknown>;
  return [
    'id',
    valueReply(registrationId),
    'reader',
    valueReply(reader),
    'desc',
    valueReply(desc),
    'RegistrationData',
    valueReply(data),
  ];
}

/** RG.INFOCLUSTER as RedisGears shapes it: `MyId`, `MyRunId` and one entry per shard with its slot range. */
export function clusterReply(info: ClusterInfo): Reply {
  const shards = info.shards.map((shard) => [
    'id',
    shard.id,
    'minHslot',
    Math.min(...shard.slots.map(([start]) => start)),
    'maxHslot',
    Math.max(...shard.slots.map(([, end]) => end)),
    'slots',
    shard.slots.map(([start, end]) => [start, end]),
  ]);
  return ['MyId', info.myId, 'MyRunId', info.myId, shards];
}
