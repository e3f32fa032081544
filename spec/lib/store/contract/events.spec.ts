import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wireArgs } from '../../../../lib/store/bytes.ts';
import type { KeyspaceEvent, ShardStore } from '../../../../lib/store/ShardStore.ts';
import { startRedis, type RedisServerHandle } from '../../../../lib/testing/servers.ts';
import { deletePrefix, runStep, storesUnderTest, uniquePrefix, type Caller } from './runner.ts';
import { contractRuns, randomStep } from './randomCommands.ts';
import { scripts } from './scripts.ts';
import type { Step } from './scripts/types.ts';

// notify-keyspace-events is server-wide, so the event oracle is a redis-server of this file's own rather than
// the shared one: turning KEA on there would change what other spec files observe.
const DB = 8;
let server: RedisServerHandle;
let oracle: Redis;
let subscriber: Redis;
const received: KeyspaceEvent[] = [];
const sentinels = new Map<string, () => void>();

beforeAll(async () => {
  server = await startRedis({ args: ['--notify-keyspace-events', 'KEA'] });
  oracle = new Redis(server.url, { db: DB });
  subscriber = new Redis(server.url);
  const channelPrefix = `__keyspace@${DB}__:`;
  subscriber.on('pmessage', (_pattern: string, channel: string, message: string) => {
    received.push({ key: channel.slice(channelPrefix.length), event: message });
  });
  subscriber.on('message', (_channel: string, token: string) => sentinels.get(token)?.());
  await subscriber.psubscribe(`${channelPrefix}{contract}:*`);
  await subscriber.subscribe('contract-sentinel');
});

afterAll(async () => {
  oracle.disconnect();
  subscriber.disconnect();
  await server.stop();
});

/** Events Redis published for `prefix`: PUBLISH a sentinel after the script, events before it are all in. */
async function oracleEvents(prefix: string): Promise<string[]> {
  const token = prefix;
  const arrived = new Promise<void>((resolve) => sentinels.set(token, resolve));
  await oracle.publish('contract-sentinel', token);
  await arrived;
  sentinels.delete(token);
  return received.filter((e) => e.key.startsWith(prefix)).map((e) => `${e.event} ${e.key.slice(prefix.length)}`);
}

describe.each(storesUnderTest)('the $name store raises the keyspace events Redis 7.0 raises', ({ name, open }) => {
  let store: ShardStore;

  beforeAll(async () => {
    store = await open();
  });

  afterAll(async () => {
    await store.close();
  });

  /** Runs steps on both sides and returns [store events, Redis events] for the run's prefix. */
  async function eventsOf(steps: readonly Step[], label: string): Promise<[string[], string[]]> {
    const prefix = uniquePrefix(`${name}-${label}`);
    const redisCall: Caller = (command, ...args) => oracle.call(command, ...wireArgs(args));
    const storeCall: Caller = (command, ...args) => store.call(command, ...args);
    const storeEvents: string[] = [];
    const subscription = store.keyspaceEvents().subscribe((e) => {
      if (e.key.startsWith(prefix)) storeEvents.push(`${e.event} ${e.key.slice(prefix.length)}`);
    });
    try {
      // A store may deliver events asynchronously (a subscriber connection): wait until they flow, and
      // until every event of the steps has arrived, before comparing.
      await store.keyspaceReady();
      for (const step of steps) {
        await runStep(redisCall, step, prefix);
        await runStep(storeCall, step, prefix);
      }
      await store.keyspaceBarrier();
      return [storeEvents, await oracleEvents(prefix)];
    } finally {
      subscription.unsubscribe();
      await deletePrefix(redisCall, prefix);
      await deletePrefix(storeCall, prefix);
    }
  }

  it('raises the same events for random command sequences', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(randomStep, { minLength: 1, maxLength: 25 }), async (steps) => {
        const [ours, redis] = await eventsOf(steps, 'random');
        expect(ours).toEqual(redis);
      }),
      { numRuns: contractRuns },
    );
  });

  for (const script of scripts.filter((s) => s.standalone !== true || name !== 'cluster master')) {
    it(`${script.name}`, async () => {
      const [ours, redis] = await eventsOf(script.steps, 'events');
      expect(ours).toEqual(redis);
    });
  }
});
