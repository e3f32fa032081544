import { exists, getKeyIndexes, hasFlag } from '@ioredis/commands';
import type { RedisArg } from '../store/ShardStore.ts';
import { RedisReplyError } from '../errors.ts';
import { hashSlot } from './slots.ts';

/** The key arguments of a Redis command, by Redis' command table (`MSET a 1 b 2` → `['a', 'b']`). */
export function commandKeys(command: string, args: readonly RedisArg[]): string[] {
  const name = command.toLowerCase();
  if (!exists(name)) return [];
  try {
    return getKeyIndexes(name, args as RedisArg[]).map((i) => String(args[i]));
  } catch {
    return []; // malformed arguments: the store answers with Redis' own error
  }
}

/**
 * The hash slot a command must run on: its keys' common slot, `undefined` for a command without keys, or a
 * `CROSSSLOT` error (Redis Cluster's reply) when its keys hash to different slots.
 */
export function commandSlot(command: string, args: readonly RedisArg[]): number | undefined {
  let slot: number | undefined;
  for (const key of commandKeys(command, args)) {
    const keySlot = hashSlot(key);
    if (slot === undefined) slot = keySlot;
    else if (slot !== keySlot) throw new RedisReplyError("CROSSSLOT Keys in request don't hash to the same slot");
  }
  return slot;
}

/** Whether Redis' command table flags the command read-only (inside `atomic()` such commands run at once). */
export function isReadOnlyCommand(command: string): boolean {
  const name = command.toLowerCase();
  return exists(name) && hasFlag(name, 'readonly');
}
