import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeyspaceEvent, ShardStore } from '../../../lib/store/ShardStore.ts';
import { startRedis, type RedisServerHandle } from '../../../lib/testing/servers.ts';
import { deletePrefix, runStep, storesUnderTest, uniquePrefix, type Caller } from './runner.ts';
import { scripts } from './scripts.ts';

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
  await subscriber.psubscribe(`${channelPrefix}contract:*`);
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

  for (const script of scripts) {
    it(`${script.name}`, async () => {
      const prefix = uniquePrefix(`${name}-events`);
      const redisCall: Caller = (command, ...args) => oracle.call(command, ...args);
      const storeCall: Caller = (command, ...args) => store.call(command, ...args);
      const storeEvents: string[] = [];
      const subscription = store.keyspaceEvents().subscribe((e) => {
        if (e.key.startsWith(prefix)) storeEvents.push(`${e.event} ${e.key.slice(prefix.length)}`);
      });
      try {
        for (const step of script.steps) {
          await runStep(redisCall, step, prefix);
          await runStep(storeCall, step, prefix);
        }
        const expected = await oracleEvents(prefix);
        expect(storeEvents).toEqual(expected);
      } finally {
        subscription.unsubscribe();
        await deletePrefix(redisCall, prefix);
        await deletePrefix(storeCall, prefix);
      }
    });
  }
});
