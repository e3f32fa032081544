/**
 * Connection state on an embedded store of several shards (`serve --shards 3`), as Redis Cluster keeps it: a
 * transaction whose keys are all in one slot runs atomically on that slot's shard (a command with keys of
 * another slot answers `CROSSSLOT` and EXEC then `EXECABORT`), and a blocking command whose keys are in one slot
 * parks on that slot's shard. One `MemorySession` per shard the client touched does the work; this routes.
 */
import { RedisReplyError } from '../../errors.ts';
import { commandSlot } from '../../cluster/routing.ts';
import { slotTable, type Shard } from '../../cluster/topology.ts';
import { NULL_ARRAY, type MemorySession, type SessionReply } from '../../store/memory/index.ts';

const OWN = new Set(['MULTI', 'EXEC', 'DISCARD', 'WATCH', 'UNWATCH']);
const EXECABORT = new RedisReplyError('EXECABORT Transaction discarded because of previous errors.');

/** What the server asks of a client's session on the embedded store (one shard: a `MemorySession` itself). */
export type ClientSession = Pick<MemorySession, 'claims' | 'inMulti' | 'queued' | 'handle' | 'unblock' | 'close'>;

export class ShardedSession implements ClientSession {
  private readonly sessions = new Map<number, MemorySession>();
  private readonly slots: Int32Array;
  /** The shard the transaction queues on (the slot-0 shard until its first command with keys). */
  private bound: number | undefined;
  /** The slot of the transaction's keys, once a command with keys was queued. */
  private slot: number | undefined;
  /** The commands sent since MULTI, replayed when the transaction moves to the shard of its first keys. */
  private sent: [string, string, string[]][] = [];
  private crossSlot = false;

  constructor(
    private readonly shards: readonly Shard[],
    private readonly sessionOf: (shard: Shard) => MemorySession,
  ) {
    this.slots = slotTable(shards);
  }

  claims(upper: string): boolean {
    return this.bound !== undefined || OWN.has(upper);
  }

  get inMulti(): boolean {
    return this.bound !== undefined;
  }

  get queued(): MemorySession['queued'] {
    return this.bound === undefined ? undefined : this.session(this.bound).queued;
  }

  async handle(upper: string, name: string, args: string[]): Promise<SessionReply> {
    if (this.bound === undefined) return this.outside(upper, name, args);
    if (upper === 'MULTI' || upper === 'WATCH') return this.session(this.bound).handle(upper, name, args);
    if (upper === 'EXEC') return this.exec(name, args);
    if (upper === 'DISCARD') {
      const reply = await this.session(this.bound).handle(upper, name, args);
      if (!(reply instanceof RedisReplyError)) this.reset();
      return reply;
    }
    let slot: number | undefined;
    try {
      slot = commandSlot(name, args);
    } catch (error) {
      this.crossSlot = true;
      if (error instanceof RedisReplyError) return error;
      throw error;
    }
    if (slot !== undefined && this.slot === undefined) {
      this.slot = slot;
      const target = this.indexOf(slot);
      if (target !== this.bound) await this.move(target);
    } else if (slot !== undefined && slot !== this.slot) {
      this.crossSlot = true;
      return new RedisReplyError("CROSSSLOT Keys in request don't hash to the same slot");
    }
    this.sent.push([upper, name, args]);
    return this.session(this.bound).handle(upper, name, args);
  }

  unblock(withError: boolean): boolean {
    for (const session of this.sessions.values()) if (session.unblock(withError)) return true;
    return false;
  }

  close(): void {
    for (const session of this.sessions.values()) session.close();
    this.bound = undefined;
  }

  /** Outside MULTI: MULTI itself, WATCH / UNWATCH, EXEC or DISCARD without MULTI, a blocking command. */
  private async outside(upper: string, name: string, args: string[]): Promise<SessionReply> {
    const first = this.indexOf(undefined);
    if (upper === 'MULTI') {
      const reply = await this.session(first).handle(upper, name, args);
      if (!(reply instanceof RedisReplyError)) {
        this.bound = first;
        this.slot = undefined;
        this.sent = [];
        this.crossSlot = false;
      }
      return reply;
    }
    if (upper === 'UNWATCH' && args.length === 0) {
      this.unwatchAll();
      return this.session(first).handle(upper, name, args);
    }
    let slot: number | undefined;
    try {
      slot = commandSlot(name, args);
    } catch (error) {
      if (error instanceof RedisReplyError) return error;
      throw error;
    }
    return this.session(this.indexOf(slot)).handle(upper, name, args);
  }

  private async exec(name: string, args: string[]): Promise<SessionReply> {
    const session = this.session(this.bound!);
    if (args.length > 0) return session.handle('EXEC', name, args); // arity: queued as an error, as Redis does
    const crossSlot = this.crossSlot;
    const othersChanged = [...this.sessions.values()].some((s) => s !== session && s.watchedChanged);
    this.reset();
    if (crossSlot || othersChanged) {
      session.dropQueue();
      this.unwatchAll();
      return crossSlot ? EXECABORT : NULL_ARRAY;
    }
    // The bound session checks its own WATCHes and runs the queue at once: nothing runs between the check above
    // and the transaction (all in this turn of the event loop, up to a hooked command's own awaits).
    const reply = session.handle('EXEC', name, args);
    this.unwatchAll();
    return reply;
  }

  /** The transaction goes to the shard of its first keys: queued again there (its replies were already given). */
  private async move(target: number): Promise<void> {
    this.session(this.bound!).dropQueue();
    this.bound = target;
    const session = this.session(target);
    await session.handle('MULTI', 'MULTI', []);
    for (const [upper, name, args] of this.sent) await session.handle(upper, name, args);
  }

  private reset(): void {
    this.bound = undefined;
    this.slot = undefined;
    this.sent = [];
    this.crossSlot = false;
  }

  private unwatchAll(): void {
    for (const session of this.sessions.values()) if (!session.inMulti) void session.handle('UNWATCH', 'UNWATCH', []);
  }

  private indexOf(slot: number | undefined): number {
    return Math.max(0, this.slots[slot ?? 0] ?? 0);
  }

  private session(index: number): MemorySession {
    let session = this.sessions.get(index);
    if (session === undefined) {
      session = this.sessionOf(this.shards[index]!);
      this.sessions.set(index, session);
    }
    return session;
  }
}
