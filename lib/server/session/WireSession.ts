import type { Gears } from '../../Gears.ts';
import { elementsOf, isErrorFrame, requestFrame } from '../../store/redis/frames.ts';
import type { WireConnection, WireEndpoint } from '../../store/redis/wire.ts';
import { fromBytes } from '../../store/bytes.ts';
import { queueProblem, runSplit, type QueuedCommand } from './hookedTransaction.ts';
import { rawFrameOf, type RequestArgs } from '../protocol/resp.ts';
import { ErrorReply, OK, SimpleString, encodeReply, type Protocol, type Reply } from '../protocol/replies.ts';
import { isBlockingRequest, keySlot, type WireProxy } from './WireProxy.ts';

/** Commands that start or end connection state: a client sending one gets a connection of its own. */
export const SESSION_COMMANDS = new Set([
  'MULTI',
  'EXEC',
  'DISCARD',
  'WATCH',
  'UNWATCH',
  'SUBSCRIBE',
  'PSUBSCRIBE',
  'SSUBSCRIBE',
  'MONITOR',
]);

/** A reply that comes later, by itself (a subscription's frames): nothing to write now. */
export const NO_REPLY = Symbol('no reply');

const CROSSSLOT = new ErrorReply("CROSSSLOT Keys in request don't hash to the same slot");

/** An unknown command: sent inside MULTI so that Redis itself discards the transaction at EXEC (EXECABORT). */
const POISON = requestFrame(['RXGEARS-REFUSED-INSIDE-MULTI']);

const WATCH_IN_MULTI = new ErrorReply('ERR WATCH inside MULTI is not allowed');
const WATCH_ARITY = new ErrorReply("ERR wrong number of arguments for 'watch' command");

const QUEUED = new SimpleString('QUEUED');
const QUEUED_FRAME = Buffer.from('+QUEUED\r\n');
const MULTI_FRAME = requestFrame(['MULTI']);
const EXEC_FRAME = requestFrame(['EXEC']);
const CLIENT_REPLY_OFF_FRAME = requestFrame(['CLIENT', 'REPLY', 'OFF']);

/** What a session writes to, and how it closes, its client. */
export interface SessionClient {
  /** The protocol the client speaks now (it changes with HELLO). */
  protocol(): Protocol;
  write(bytes: Buffer): void;
  close(): void;
  /** CLIENT REPLY OFF is in force: a tunnel opened now is made to drop replies in Redis too. */
  repliesOff?(): boolean;
}

function ask(connection: WireConnection, frame: Buffer): Promise<Buffer | Error> {
  return new Promise((resolve) => connection.request(frame, resolve));
}

/**
 * A client's connection state on a Redis backend: the commands that need a connection of their own (Redis keeps
 * their state per connection) get one, lent by the pool, and every command of that client goes there until the
 * state ends — `MULTI`…`EXEC`/`DISCARD` runs atomically in Redis itself, `WATCH` conflicts give Redis' null
 * `EXEC`, a blocking command (`BLPOP`, `XREAD … BLOCK`) holds one while it blocks, a subscription (or `MONITOR`)
 * turns the client into a tunnel to its own connection. On a Cluster a transaction stays in one slot: a command
 * for another slot gets `CROSSSLOT`, and Redis is made to discard the transaction at `EXEC` (`EXECABORT`), never
 * to run part of it — as for what the server refuses inside `MULTI` (`abort`). Keyless commands queued before the
 * first keyed one wait here until that one says which node the transaction runs on.
 * A hooked command and every command after it are held here (checked as Redis checks what it queues) and run
 * at `EXEC` after Redis' part, split at the hooked commands (see `hookedTransaction.ts`).
 */
export class WireSession {
  private connection: WireConnection | undefined;
  /** The slot a Cluster transaction is pinned to (undefined: none yet). */
  private slot: number | undefined;
  private multi = false;
  /** Cluster MULTI answered locally, sent once the first keyed command says which node. */
  private multiPending = false;
  /** Keyless commands queued while the node is not known yet: sent after MULTI once it is. */
  private pending: Buffer[] = [];
  /** How many commands the transaction queued so far (the elements EXEC will answer). */
  private count = 0;
  /** A `HELLO` stand-in switched the transaction's connection to this protocol (it is closed after EXEC). */
  private switchedTo: Protocol | undefined;
  private tunnel = false;
  private closed = false;
  /** The transaction's commands from the first hooked one on, run at EXEC after the part queued in Redis. */
  private held: QueuedCommand<Buffer>[] | undefined;

  constructor(
    private readonly gears: Gears,
    private readonly wire: WireProxy,
    private readonly client: SessionClient,
  ) {}

  /** Whether this request is the session's: state is held, or the request starts some, or blocks. */
  claims(upper: string, args: readonly Buffer[]): boolean {
    return (
      this.tunnel ||
      this.multi ||
      this.connection !== undefined ||
      SESSION_COMMANDS.has(upper) ||
      isBlockingRequest(upper, args)
    );
  }

  /** Whether every request must go to the session, even the server's own commands (MULTI queues them). */
  get captures(): boolean {
    return this.tunnel || this.multi;
  }

  /** Whether a transaction is being queued. */
  get inMulti(): boolean {
    return this.multi;
  }

  /** How many commands the transaction queued so far: EXEC's reply has one element per command. */
  get queuedCount(): number {
    return this.count;
  }

  /** Answers a request the session claimed. */
  async handle(upper: string, args: RequestArgs): Promise<Buffer | Reply | typeof NO_REPLY> {
    const frame = rawFrameOf(args) ?? requestFrame(args);
    if (this.tunnel) {
      this.connection?.send(frame);
      return NO_REPLY;
    }
    const cluster = this.wire.nodeCount > 1;
    const slot = cluster ? keySlot(upper.toLowerCase(), args) : undefined;
    switch (upper) {
      case 'SUBSCRIBE':
      case 'PSUBSCRIBE':
      case 'SSUBSCRIBE':
      case 'MONITOR':
        if (this.multi) return this.refuseInMulti(new ErrorReply(`ERR ${upper} is not allowed inside MULTI`));
        return this.openTunnel(frame, upper === 'SSUBSCRIBE' ? slot : undefined);
      case 'WATCH':
        // Redis' answer, without asking a node the transaction may not be on yet; the transaction stays valid.
        if (this.multi) return args.length > 1 ? WATCH_IN_MULTI : this.refuseInMulti(WATCH_ARITY);
        if (slot === null || (this.slot !== undefined && slot !== undefined && slot !== this.slot)) return CROSSSLOT;
        return this.forward(frame, slot, true);
      case 'MULTI':
        if (this.multi) return new ErrorReply('ERR MULTI calls can not be nested');
        this.multi = true;
        if (this.connection === undefined && cluster) {
          this.multiPending = true;
          return OK;
        }
        return this.forward(frame, undefined, true);
      case 'EXEC':
      case 'DISCARD': {
        if (!this.multi) return new ErrorReply(`ERR ${upper} without MULTI`);
        // With arguments: Redis' arity error, and the transaction stays open (flagged to abort), as in Redis.
        if (args.length > 1) return this.forward(frame, this.slot);
        const held = upper === 'EXEC' ? this.held : undefined;
        const heldSlot = this.slot;
        const protocol = this.switchedTo ?? this.client.protocol();
        if (this.multiPending && (upper === 'DISCARD' || this.pending.length === 0)) {
          this.end(true);
          if (held !== undefined) return this.runHeld(held, heldSlot, [], protocol);
          return upper === 'EXEC' ? [] : OK;
        }
        const reply = await this.forward(frame);
        // After EXEC a stand-in HELLO left the connection speaking another protocol than the pool's: closed.
        this.end(upper === 'DISCARD' || this.switchedTo === undefined);
        const first = held !== undefined && Buffer.isBuffer(reply) ? elementsOf(reply) : undefined;
        return first === undefined ? reply : this.runHeld(held!, heldSlot, first, protocol);
      }
      case 'UNWATCH': {
        if (this.multi) return this.forward(frame);
        if (this.connection === undefined) return OK;
        const reply = await this.forward(frame);
        this.end(true);
        return reply;
      }
      default:
        break;
    }
    if (this.multi) {
      // The server's own commands (INFO, PING, SELECT, HELLO, …) never come here: the connection queues them.
      if (slot === null || (this.slot !== undefined && slot !== undefined && slot !== this.slot)) {
        return this.refuseInMulti(CROSSSLOT);
      }
      if (this.held !== undefined || this.gears.isHooked(upper)) return this.hold(upper, args, frame, slot);
      if (this.multiPending && slot === undefined) {
        // Keyless, and no node chosen yet: sending it now would pin the transaction to the first master, and a
        // keyed command for another one would then get MOVED (EXECABORT). It waits for the first keyed command.
        const [name = '', ...rest] = args.map((arg) => fromBytes(arg));
        const problem = queueProblem(name, rest);
        if (problem !== undefined) return this.refuseInMulti(problem);
        this.pending.push(frame);
        this.count++;
        return QUEUED;
      }
      return this.queue(frame, slot);
    }
    if (this.connection !== undefined) {
      if (slot === null || (this.slot !== undefined && slot !== undefined && slot !== this.slot)) return CROSSSLOT;
      return this.forward(frame, slot);
    }
    // A blocking command outside any state: a connection of its own while it blocks, then back to the pool.
    if (slot === null) return CROSSSLOT;
    const endpoint = this.wire.endpointOfSlot(slot);
    if (endpoint === undefined) return new ErrorReply('ERR no node owns the slot of this command');
    const connection = this.wire.pool.acquire(endpoint, this.client.protocol());
    this.connection = connection;
    const reply = await ask(connection, frame);
    this.connection = undefined;
    if (this.closed) connection.close();
    else this.wire.pool.release(connection);
    return reply instanceof Error ? new ErrorReply(`ERR ${reply.message}`) : reply;
  }

  /** The client went away: a connection that may be blocked or hold state is closed, not given back. */
  close(): void {
    this.closed = true;
    this.connection?.close();
    this.connection = undefined;
  }

  /**
   * Answers `error` for a command the server refuses inside the transaction, and makes Redis discard the
   * transaction at EXEC (`EXECABORT`), so nothing of it runs.
   */
  abort(error: ErrorReply): Promise<Reply> {
    return this.refuseInMulti(error);
  }

  /**
   * Queues `HELLO <protocol>` in Redis' transaction as the stand-in of a HELLO the server answers: Redis then sends
   * the replies after it in that protocol, as it would to a client that sent it. Undefined once queued; an error
   * (and EXECABORT) after a hooked command, whose part runs later on another connection.
   */
  async switchProtocol(protocol: Protocol): Promise<Reply | undefined> {
    if (this.held !== undefined) {
      return this.refuseInMulti(
        new ErrorReply('ERR HELLO cannot switch the protocol after a hooked command in a transaction'),
      );
    }
    this.switchedTo = protocol;
    const reply = await this.queue(requestFrame(['HELLO', String(protocol)]), undefined);
    return Buffer.isBuffer(reply) && reply.equals(QUEUED_FRAME)
      ? undefined
      : this.refuseInMulti(new ErrorReply('ERR the protocol switch could not be queued in the transaction'));
  }

  /** Queues a frame in Redis' transaction (once the node is known: before, a keyless one waits), counting it. */
  private async queue(frame: Buffer, slot: number | undefined): Promise<Buffer | Reply> {
    if (this.multiPending && slot === undefined) {
      this.pending.push(frame);
      this.count++;
      return QUEUED_FRAME;
    }
    const reply = await this.forward(frame, slot);
    if (Buffer.isBuffer(reply) && reply.equals(QUEUED_FRAME)) this.count++;
    return reply;
  }

  /** Sends on the session's connection (made for `slot`'s node when there is none yet) and waits for the reply. */
  private async forward(frame: Buffer, slot?: number, hold = false): Promise<Buffer | Reply> {
    let connection = this.connection;
    if (connection === undefined) {
      const endpoint: WireEndpoint | undefined = this.wire.endpointOfSlot(slot);
      if (endpoint === undefined) return new ErrorReply('ERR no node owns the slot of this command');
      connection = this.wire.pool.acquire(endpoint, this.client.protocol());
      if (!hold && !this.multiPending) {
        const reply = await ask(connection, frame);
        this.wire.pool.release(connection);
        return reply instanceof Error ? new ErrorReply(`ERR ${reply.message}`) : reply;
      }
      this.connection = connection;
      connection.onClose = () => {
        if (!this.closed && this.connection === connection) this.client.close();
      };
      if (this.multiPending) {
        this.multiPending = false;
        connection.request(MULTI_FRAME, () => undefined);
        for (const queued of this.pending) connection.request(queued, () => undefined);
        this.pending = [];
      }
    }
    if (slot !== undefined) this.slot ??= slot;
    const reply = await ask(connection, frame);
    return reply instanceof Error ? new ErrorReply(`ERR ${reply.message}`) : reply;
  }

  /** Queues a command of the held part of a transaction (a hooked one, or one after it). */
  private async hold(upper: string, request: RequestArgs, frame: Buffer, slot: number | undefined): Promise<Reply> {
    const [name = '', ...args] = request.map((arg) => fromBytes(arg)); // binary bytes kept, see store/bytes.ts
    const problem = queueProblem(name, args);
    if (problem !== undefined) return this.refuseInMulti(problem);
    if (slot !== undefined) this.slot ??= slot;
    (this.held ??= []).push({ name, args, command: frame, hooked: this.gears.isHooked(upper) });
    this.count++;
    return QUEUED;
  }

  /**
   * EXEC's reply once Redis ran the transaction's first part (`first`, its replies): the held commands run,
   * split at the hooked ones, and their replies follow; the reply then waits for the sync registrations.
   */
  private async runHeld(
    held: QueuedCommand<Buffer>[],
    slot: number | undefined,
    first: Buffer[],
    protocol: Protocol,
  ): Promise<Buffer> {
    const rest = await runSplit(
      this.gears,
      held,
      (frames) => this.atomically(frames, slot, protocol),
      (reply) => Buffer.from(encodeReply(reply, protocol)),
    );
    await this.gears.settleSync().catch(() => undefined);
    return Buffer.concat([Buffer.from(`*${first.length + rest.length}\r\n`), ...first, ...rest]);
  }

  /** Runs frames as one MULTI/EXEC on a pooled connection to `slot`'s node; one reply frame per frame. */
  private async atomically(frames: Buffer[], slot: number | undefined, protocol: Protocol): Promise<Buffer[]> {
    const failed = (message: string): Buffer[] =>
      frames.map(() => Buffer.from(encodeReply(new ErrorReply(message), protocol)));
    const endpoint = this.wire.endpointOfSlot(slot);
    if (endpoint === undefined) return failed('ERR no node owns the slot of this command');
    const connection = this.wire.pool.acquire(endpoint, protocol);
    const replies = await Promise.all([MULTI_FRAME, ...frames, EXEC_FRAME].map((f) => ask(connection, f)));
    const broken = replies.find((reply): reply is Error => reply instanceof Error);
    if (broken !== undefined) {
      connection.close();
      return failed(`ERR ${broken.message}`);
    }
    this.wire.pool.release(connection);
    const exec = replies.at(-1) as Buffer;
    if (isErrorFrame(exec)) return frames.map(() => exec);
    return elementsOf(exec) ?? failed('ERR the transaction was not run');
  }

  /** Answers `error` and makes Redis discard the transaction at EXEC, so nothing of it runs. */
  private async refuseInMulti(error: ErrorReply): Promise<Reply> {
    if (this.multiPending) {
      // Nothing sent yet: open the transaction where it would have gone, so that EXEC answers EXECABORT.
      await this.forward(requestFrame(['PING']), this.slot);
    }
    if (this.connection !== undefined) await ask(this.connection, POISON);
    return error;
  }

  private openTunnel(frame: Buffer, slot: number | null | undefined): Reply | typeof NO_REPLY {
    if (slot === null) return CROSSSLOT;
    let connection = this.connection;
    if (connection === undefined) {
      const endpoint = this.wire.endpointOfSlot(slot);
      if (endpoint === undefined) return new ErrorReply('ERR no node owns the slot of this command');
      connection = this.wire.pool.acquire(endpoint, this.client.protocol());
      this.connection = connection;
    }
    // From here the client talks to Redis through the tunnel, and Redis drops replies itself (its pushes pass).
    if (!this.tunnel && this.client.repliesOff?.() === true) connection.send(CLIENT_REPLY_OFF_FRAME);
    this.tunnel = true;
    connection.onFrame = (bytes) => this.client.write(bytes);
    connection.onClose = () => {
      if (!this.closed) this.client.close();
    };
    connection.send(frame);
    return NO_REPLY;
  }

  /** The state ended (EXEC, DISCARD, UNWATCH): the connection goes back to the pool, clean. */
  private end(release: boolean): void {
    const connection = this.connection;
    this.multi = false;
    this.multiPending = false;
    this.pending = [];
    this.count = 0;
    this.switchedTo = undefined;
    this.held = undefined;
    this.slot = undefined;
    this.connection = undefined;
    if (connection !== undefined) {
      connection.onClose = undefined;
      if (release) this.wire.pool.release(connection);
      else connection.close();
    }
  }
}
