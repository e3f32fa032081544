import type { Redis } from 'ioredis';
import { Observable } from 'rxjs';
import { GearsError, RedisReplyError } from '../../errors.ts';
import type { KeyspaceEvent } from '../ShardStore.ts';
import { closeClient } from './connection.ts';
import { toStoreError } from './replies.ts';
import { fromBytes } from '../bytes.ts';

/** The event classes `A` stands for in `notify-keyspace-events` (`m` and `n` are not part of it). */
const ALL_CLASSES = 'g$lshzxetd';
/** What rxgears sets: keyspace channel, keyevent channel, every class. */
const WANTED = 'KEA';

/** Whether `notify-keyspace-events` (as CONFIG GET prints it) lacks the keyspace channel or any event class. */
export function keyspaceFlagsMissing(current: string): boolean {
  const flags = current.includes('A') ? current + ALL_CLASSES : current;
  return !flags.includes('K') || [...ALL_CLASSES].some((flag) => !flags.includes(flag));
}

/** The user's flags plus `KEA`, each once — flags set for someone else (`m`, `n`) are kept. */
export function mergeKeyspaceFlags(current: string): string {
  return [...new Set(current + WANTED)].join('');
}

/**
 * Makes sure the node publishes keyspace events of every class, with CONFIG GET/SET. A node that refuses
 * CONFIG (ACL, managed services that rename or block it) fails with a `GearsError` naming the setting, since
 * without it the subscription would silently receive nothing.
 */
export async function enableKeyspaceNotifications(client: Redis, address: string): Promise<void> {
  try {
    const reply = await client.call('CONFIG', 'GET', 'notify-keyspace-events');
    const current = Array.isArray(reply) ? String(reply[1] ?? '') : '';
    if (!keyspaceFlagsMissing(current)) return;
    await client.call('CONFIG', 'SET', 'notify-keyspace-events', mergeKeyspaceFlags(current));
  } catch (error) {
    const storeError = toStoreError(error, address);
    if (!(storeError instanceof RedisReplyError)) throw storeError;
    throw new GearsError(
      `keyspace events need "notify-keyspace-events KEA" on Redis ${address} and rxgears could not set it ` +
        `(${storeError.message}). Enable notify-keyspace-events KEA in redis.conf or your provider's settings.`,
      { cause: storeError },
    );
  }
}

export interface KeyspaceSourceOptions {
  /** The store's command connection: CONFIG runs here, and the subscriber is its `duplicate()`. */
  client: Redis;
  address: string;
  db: number;
  /** Run `enableKeyspaceNotifications` before subscribing and after every reconnection. */
  configure: boolean;
  /** Receives the closing of each subscriber connection, so the store's `close()` can wait for it. */
  track(closing: Promise<void>): void;
  /**
   * Receives, per subscription, a Promise that settles once PSUBSCRIBE is confirmed (or failed), and a barrier:
   * a PING on the subscriber connection, whose reply comes after every notification published before it.
   */
  started?(ready: Promise<void>, barrier: () => Promise<void>): void;
}

/**
 * A cold Observable of one node's keyspace events over a dedicated subscriber connection
 * (`PSUBSCRIBE __keyspace@<db>__:*`); the store shares it so every subscriber uses that one connection.
 * ioredis re-subscribes after a reconnection; events published while disconnected are lost, as with any
 * Redis pub/sub. Teardown closes the connection.
 */
export function keyspaceSource({
  client,
  address,
  db,
  configure,
  track,
  started,
}: KeyspaceSourceOptions): Observable<KeyspaceEvent> {
  return new Observable<KeyspaceEvent>((subscriber) => {
    const prefix = `__keyspace@${db}__:`;
    let connection: Redis | undefined;
    let active = true;
    const fail = (error: unknown): void => {
      if (active) subscriber.error(toStoreError(error, address));
    };
    const start = async (): Promise<void> => {
      if (configure) await enableKeyspaceNotifications(client, address);
      if (!active) return;
      const sub = client.duplicate({ lazyConnect: false });
      connection = sub;
      // Connection errors surface through the retry policy; the listener keeps ioredis from logging them.
      sub.on('error', () => undefined);
      // The channel's bytes: a key that is not UTF-8 comes out as the same store string a read gives (bytes.ts).
      sub.on('pmessageBuffer', (_pattern: Buffer, channel: Buffer, event: Buffer) => {
        subscriber.next({ key: fromBytes(channel.subarray(prefix.length)), event: event.toString('latin1') });
      });
      let connectedBefore = false;
      sub.on('ready', () => {
        // A restarted server has forgotten CONFIG SET; set it again when we reconnect.
        if (connectedBefore && configure) enableKeyspaceNotifications(client, address).catch(fail);
        connectedBefore = true;
      });
      await sub.psubscribe(`${prefix}*`);
    };
    const ready = start();
    started?.(ready, async () => {
      await ready;
      if (active && connection) await connection.ping();
    });
    ready.catch(fail);
    return () => {
      active = false;
      if (connection) track(closeClient(connection));
    };
  });
}
