import { MemoryStore } from '../../../../lib/store/memory/index.ts';
import type { KeyspaceEvent, RedisArg, RedisReply } from '../../../../lib/store/ShardStore.ts';

/** A memory store on a hand-driven clock (no sweep timer), with a shorthand to run commands. */
export function clockedStore(start = 1_700_000_000_000): {
  store: MemoryStore;
  run: (command: string, ...args: RedisArg[]) => RedisReply;
  advance: (ms: number) => void;
  events: () => string[];
} {
  let now = start;
  const store = new MemoryStore({ now: () => now, activeExpireInterval: 0 });
  const seen: KeyspaceEvent[] = [];
  store.keyspaceEvents().subscribe((e) => seen.push(e));
  return {
    store,
    run: (command, ...args) => store.callSync(command, ...args),
    advance: (ms) => {
      now += ms;
    },
    events: () => seen.splice(0).map((e) => `${e.event} ${e.key}`),
  };
}

/** The error message `fn` throws (fails when it does not throw). */
export function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected an error reply');
}
