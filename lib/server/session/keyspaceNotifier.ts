/**
 * Redis' keyspace notifications on the embedded store: the store's events published on `__keyspace@0__:<key>`
 * (message: the event) and `__keyevent@0__:<event>` (message: the key) as `notify-keyspace-events` selects them.
 * The setting is the store's (CONFIG GET); it is read again after every CONFIG SET the server answers, and the
 * store's events are listened to only while it asks for notifications (Redis' default, empty, costs nothing).
 */
import type { Subscription } from 'rxjs';
import type { Gears } from '../../Gears.ts';
import type { PubSub } from '../../store/memory/pubsub.ts';

/** Redis' event classes other than by prefix: generic (`g`), strings (`$`), lists (`l`). */
const GENERIC = new Set(['del', 'expire', 'rename_from', 'rename_to', 'copy_to', 'restore', 'persist', 'move_from']);
const STRINGS = new Set(['set', 'setrange', 'incrby', 'incrbyfloat', 'append', 'setbit', 'pfadd']);
const LISTS = new Set(['lpush', 'rpush', 'lpop', 'rpop', 'linsert', 'lset', 'ltrim', 'lrem', 'sortstore']);

/** The `notify-keyspace-events` class of an event name, as Redis raises it. */
export function eventClass(event: string): string {
  if (event === 'expired') return 'x';
  if (event === 'new') return 'n';
  if (event === 'keymiss') return 'm';
  if (event === 'evicted') return 'e';
  if (GENERIC.has(event)) return 'g';
  if (STRINGS.has(event)) return '$';
  if (LISTS.has(event)) return 'l';
  if (event.startsWith('x')) return 't';
  if (event.startsWith('z') || event.startsWith('geo')) return 'z';
  if (event.startsWith('h')) return 'h';
  if (event.startsWith('s')) return 's';
  return 'g';
}

/** Whether `flags` (Redis' canonical form: `A` for every class but `m` and `n`) select `event`'s class. */
function selects(flags: string, event: string): boolean {
  const cls = eventClass(event);
  return flags.includes(cls) || (flags.includes('A') && cls !== 'm' && cls !== 'n');
}

export class KeyspaceNotifier {
  private flags = '';
  private subscriptions: Subscription[] = [];

  constructor(
    private readonly gears: Gears,
    private readonly pubsub: PubSub,
  ) {}

  /** Reads `notify-keyspace-events` again and listens to the store's events while it asks for any. */
  async refresh(): Promise<void> {
    const reply = await this.gears.shards[0]!.store.call('CONFIG', 'GET', 'notify-keyspace-events').catch(() => []);
    this.flags = Array.isArray(reply) ? String(reply[1] ?? '') : '';
    const wanted = /[KE]/.test(this.flags);
    if (wanted && this.subscriptions.length === 0) {
      this.subscriptions = this.gears.shards.map((shard) =>
        shard.store.keyspaceEvents().subscribe(({ key, event }) => this.publish(key, event)),
      );
    } else if (!wanted) this.close();
  }

  close(): void {
    for (const subscription of this.subscriptions.splice(0)) subscription.unsubscribe();
  }

  private publish(key: string, event: string): void {
    if (!selects(this.flags, event)) return;
    if (this.flags.includes('K')) this.pubsub.publish(`__keyspace@0__:${key}`, event);
    if (this.flags.includes('E')) this.pubsub.publish(`__keyevent@0__:${event}`, key);
  }
}
