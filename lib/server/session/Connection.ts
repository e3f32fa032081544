import type { Socket } from 'node:net';
import type { Gears } from '../../Gears.ts';
import { resp3Shape } from '../protocol/resp3Shapes.ts';
import {
  argsOf,
  commandName,
  FramedRequest,
  rawFrameOf,
  RespParser,
  RespProtocolError,
  type ParsedRequest,
  type RequestArgs,
  type RespLimits,
} from '../protocol/resp.ts';
import { ErrorReply, encodeReply, OK, type Protocol, type Reply } from '../protocol/replies.ts';
import { builtin, CloseAfter } from './builtins.ts';
import { CONTAINER_NAMES } from './CommandStats.ts';
import type { ClientState, ServerContext } from './context.ts';
import { arityAccepts, rgCommand, wrongArity } from '../rg/rgCommands.ts';
import { proxyCommand, readOnly } from './proxy.ts';
import { errorReply } from '../rg/convert.ts';
import type { Deployments } from '../rg/Deployments.ts';
import { countProxied } from '../../metrics/proxyCount.ts';
import { ATTACK_WARNING, isCrossProtocolAttack } from './exposure.ts';
import { forwardRaw, type RawRequest } from './rawBatch.ts';
import { rawByName, type WireProxy } from './WireProxy.ts';
import { NO_REPLY, SESSION_COMMANDS, WireSession } from './WireSession.ts';
import { requestFrame } from '../../store/redis/frames.ts';
import { spread, spreads, SPREAD_WRITES } from './wireSpread.ts';
import { isErrorFrame } from '../../store/redis/frames.ts';
import type { PubSub } from '../../store/memory/pubsub.ts';
import { PUBSUB_COMMANDS, PUSHED, PubSubSession } from './memoryPubSub.ts';
import { memorySessionFor, runOnSession, sessionClaims } from './memoryClient.ts';
import type { ClientSession } from './ShardedSession.ts';
import { fromBytes } from '../../store/memory/bytes.ts';
import { OwnCommandsInMulti } from './OwnCommandsInMulti.ts';
import type { KeyspaceNotifier } from './keyspaceNotifier.ts';

/** What a connection needs from its server. */
export interface ConnectionHost extends ServerContext {
  readonly gears: Gears;
  readonly allowRequire: boolean;
  readonly deployments: Deployments;
  readonly limits: Partial<RespLimits>;
  /** Stop reading from a client whose unsent replies exceed this many bytes. */
  readonly maxPendingReplyBytes: number;
  /** The embedded store's pub/sub broker; undefined on Redis (the raw path's sessions do pub/sub there). */
  readonly pubsub: PubSub | undefined;
  /** Keyspace notifications over the embedded store's pub/sub; undefined on Redis (Redis publishes its own). */
  readonly keyspace: KeyspaceNotifier | undefined;
  /** The raw path to a Redis backend; undefined on the embedded store. */
  readonly wire: WireProxy | undefined;
  /** Set once the server stops: requests that were not started yet are refused. */
  readonly stopping: boolean;
  forget(connection: Connection): void;
}

/** The reply to a request that arrives, or is cut off, while the server stops. */
export const SHUTTING_DOWN = new ErrorReply('ERR the server is shutting down');

/** Requests parsed but not yet answered, beyond which a client is not read from until it catches up. */
const MAX_QUEUED_REQUESTS = 1024;

/** Most requests of one client sent to Redis in one batch. */
const MAX_RAW_BATCH = 512;

const NOAUTH = new ErrorReply('NOAUTH Authentication required.');

const NO_ARGS: RequestArgs = [];

const framedByName = new Map<string, boolean>();

/**
 * Whether a request may be read only up to its name (a `FramedRequest`) on a one-node Redis backend: a command
 * the raw path may take by its name (not the server's own, no connection state, not blocking, not `POST`/`Host:`).
 * Whether it does is decided when it is sent (authentication, hooks, a session's state).
 */
function framedCommand(upper: string): boolean {
  let known = framedByName.get(upper);
  if (known === undefined) {
    known =
      builtin(upper) === undefined &&
      upper !== 'POST' &&
      upper !== 'HOST:' &&
      !SESSION_COMMANDS.has(upper) &&
      rawByName(upper);
    if (framedByName.size < 1024) framedByName.set(upper, known);
  }
  return known;
}
const EXECABORT = new ErrorReply('EXECABORT Transaction discarded because of previous errors.');

/**
 * One client: parses its requests, answers them one at a time in order (a pipelined `SET` then `GET` sees
 * its own write), and applies backpressure — the socket is paused while the replies it has not taken yet, or
 * the requests waiting, pile up. Errors become error replies; nothing a client sends can throw out of here.
 */
export class Connection implements ClientState {
  protocol: Protocol = 2;
  authenticated: boolean;
  name: string | null = null;
  replies: 'on' | 'off' | 'skip' = 'on';
  skipReply = false;
  readonly address: string;
  readonly localHost: string;
  private readonly parser: RespParser;
  private readonly queue: (ParsedRequest | FramedRequest)[] = [];
  /** The backend is one Redis node (requests may be read only up to their name): set per chunk read. */
  private oneNode = false;
  private readonly framed = (upper: string): boolean => this.oneNode && framedCommand(upper);
  private busy = false;
  private paused = false;
  private closed = false;
  /** The client closed its side: answer what is queued, then close ours. */
  private ended = false;
  /** Connection state held in Redis for this client (transaction, blocking command, subscription). */
  private readonly session: WireSession | undefined;
  /** This client's subscriptions on the embedded store, once it used pub/sub. */
  private pubsubSession: PubSubSession | undefined;
  /** The same on the embedded store: transactions and blocking commands done natively. */
  private readonly memorySession: ClientSession | undefined;
  /** MULTI was refused (no session can run it): every command is refused until EXEC or DISCARD. */
  private refusedMulti = false;
  /** The server's own commands inside MULTI: queued, and answered at EXEC in their places. */
  private readonly ownInMulti: OwnCommandsInMulti;
  /** Called whenever the connection has no request in progress (server shutdown waits on it). */
  private onIdle: (() => void) | undefined;

  constructor(
    readonly id: number,
    private readonly socket: Socket,
    private readonly host: ConnectionHost,
  ) {
    this.authenticated = host.requirePass === undefined;
    this.address = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    this.localHost = (socket.localAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
    this.parser = new RespParser(host.limits);
    this.session =
      host.wire &&
      new WireSession(host.gears, host.wire, {
        protocol: () => this.protocol,
        write: (bytes) => {
          if (!this.closed && this.socket.writable) this.socket.write(bytes);
        },
        close: () => this.destroy(),
        repliesOff: () => this.replies === 'off',
      });
    this.memorySession = host.wire ? undefined : memorySessionFor(host.gears);
    this.ownInMulti = new OwnCommandsInMulti({
      server: host,
      client: this,
      session: this.session,
      memory: this.memorySession,
      embeddedPubSub: host.pubsub !== undefined,
      pubsub: () => this.pubsub(),
      route: (request, upper) => this.route(request, upper),
      inMulti: () => this.inTransaction(),
    });
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('drain', () => this.flowControl());
    socket.on('end', () => {
      this.ended = true;
      // Redis frees a client at EOF: a blocked pop must not take an element for nobody, a transaction is gone.
      this.session?.close();
      this.memorySession?.close();
      if (!this.busy) this.finish();
    });
    socket.on('error', () => undefined); // ECONNRESET and friends: 'close' follows and cleans up
    socket.on('close', () => {
      this.closed = true;
      this.queue.length = 0;
      this.session?.close();
      this.pubsubSession?.close();
      this.memorySession?.close();
      host.forget(this);
      this.onIdle?.();
    });
  }

  /** CLIENT UNBLOCK: ends the blocking command this client is parked in; false when it is not blocked. */
  unblock(withError: boolean): boolean {
    return this.memorySession?.unblock(withError) ?? false;
  }

  /** Closes the connection at once (server shutdown). */
  destroy(): void {
    this.closed = true;
    this.socket.destroy();
  }

  /** True while a request is being answered. */
  get inFlight(): boolean {
    return this.busy && !this.closed;
  }

  /** Resolves once no request is in progress (at once when none is). */
  idle(): Promise<void> {
    if (!this.inFlight) return Promise.resolve();
    return new Promise((resolve) => {
      const previous = this.onIdle;
      this.onIdle = () => {
        previous?.();
        if (!this.inFlight) resolve();
      };
    });
  }

  /** Server shutdown: answers the request in progress (a blocked client) with `reply`, and closes. */
  cutOff(reply: Reply): void {
    if (this.closed) return;
    this.closeAfter(reply);
  }

  private receive(chunk: Buffer): void {
    if (this.closed) return;
    const wire = this.host.wire;
    this.oneNode = wire !== undefined && wire.nodeCount === 1;
    this.queue.push(...(this.oneNode ? this.parser.pushFramed(chunk, this.framed) : this.parser.push(chunk)));
    this.flowControl();
    void this.pump();
  }

  /** Answers queued requests in order; only one pump runs per connection. Never rejects. */
  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      while (this.queue.length > 0 && !this.closed) {
        const batch = this.rawBatch();
        if (batch.length > 0) {
          const replies = await forwardRaw(this.host, this.host.wire!, this.protocol, batch, (args) =>
            this.dispatch(args).then((reply) =>
              reply instanceof CloseAfter ? reply.reply : reply === NO_REPLY || Buffer.isBuffer(reply) ? null : reply,
            ),
          );
          if (!this.closed && this.socket.writable) this.socket.write(replies);
          this.flowControl();
          continue;
        }
        const next = this.queue.shift()!;
        const request = next instanceof FramedRequest ? argsOf(next) : next;
        if (request instanceof RespProtocolError) {
          this.closeAfter(new ErrorReply(request.message));
          break;
        }
        if (isCrossProtocolAttack(request[0])) {
          // Redis' answer to HTTP on its port: a log line and a closed connection, nothing after it runs.
          this.host.gears.logFrom(undefined, 'warning', ATTACK_WARNING);
          this.destroy();
          break;
        }
        if (this.host.stopping) {
          this.closeAfter(SHUTTING_DOWN);
          break;
        }
        let reply: Reply | CloseAfter | Buffer | typeof NO_REPLY;
        const upper = commandUpper(request);
        const queueing = this.inTransaction();
        const queued = upper === 'EXEC' && queueing ? this.memorySession?.queued : undefined;
        const start = performance.now();
        try {
          reply = await this.dispatch(request, upper);
        } catch (error) {
          reply = errorReply(error);
        }
        if (!(reply instanceof CloseAfter || reply === NO_REPLY || Buffer.isBuffer(reply))) {
          this.count(upper, request, reply, performance.now() - start, queueing, queued);
          // notify-keyspace-events may have changed: in force before this reply, so before the client's next command.
          if (upper === 'CONFIG' && !(reply instanceof ErrorReply) && isConfigSet(request)) {
            await this.host.keyspace?.refresh();
          }
        }
        const silent = this.silenced();
        if (reply instanceof CloseAfter) {
          this.closeAfter(silent ? undefined : reply.reply);
          break;
        }
        if (reply === NO_REPLY || silent) continue;
        if (Buffer.isBuffer(reply)) {
          if (!this.closed && this.socket.writable) this.socket.write(reply);
        } else this.write(reply);
        this.flowControl();
      }
    } finally {
      this.busy = false;
      this.flowControl();
      if (this.ended) this.finish();
      this.onIdle?.();
    }
  }

  /**
   * Whether CLIENT REPLY drops the reply of the request just answered (OFF, or the one after SKIP), and the step
   * to the next request: as Redis' `resetClient`, SKIP's flag drops the reply after SKIP's own and no other.
   */
  private silenced(): boolean {
    const skipped = this.skipReply;
    this.skipReply = false;
    if (this.replies === 'skip') {
      this.replies = 'on';
      this.skipReply = true;
      return true;
    }
    return skipped || this.replies === 'off';
  }

  /**
   * The requests at the head of the queue that go to Redis raw (taken off the queue), in order; none when the
   * head must take the engine's path (or the backend is not Redis).
   */
  private rawBatch(): RawRequest[] {
    const wire = this.host.wire;
    if (wire === undefined || !this.authenticated || this.host.stopping) return [];
    if (this.replies !== 'on' || this.skipReply) return []; // CLIENT REPLY drops replies one request at a time
    if (this.session?.captures) return [];
    const batch: RawRequest[] = [];
    // One node: a framed request's name was checked when it was read (not the server's own, no connection state,
    // not blocking); what may have changed since — the session's state, the node, hooks — is checked here, the
    // first two once for the batch.
    const sole = wire.soleEndpoint();
    const framedGo = sole !== undefined && !this.session!.claims('', NO_ARGS);
    let lastUpper = '';
    let lastHooked = false;
    for (let i = 0; i < this.queue.length; i++) {
      let item = this.queue[i]!;
      if (item instanceof RespProtocolError || batch.length >= MAX_RAW_BATCH) break;
      if (item instanceof FramedRequest) {
        if (sole !== undefined) {
          if (!framedGo) break;
          const upper = item.upper;
          if (upper !== lastUpper) {
            lastUpper = upper;
            lastHooked = this.host.gears.isHooked(upper);
          }
          if (lastHooked) break;
          batch.push({ frame: undefined, upper, endpoint: sole, request: item });
          continue;
        }
        item = this.queue[i] = argsOf(item); // the backend became a cluster: routed by its keys
      }
      const args = item;
      const name = args[0];
      if (name === undefined || name.length > 32) break;
      const upper = commandName(name);
      if (builtin(upper) || isCrossProtocolAttack(name) || this.session!.claims(upper, args)) break;
      const endpoint = wire.route(upper, args);
      if (endpoint === undefined) break;
      batch.push({ frame: rawFrameOf(args) ?? requestFrame(args), upper, endpoint, request: args });
    }
    if (batch.length > 0) this.queue.splice(0, batch.length);
    return batch;
  }

  /**
   * Counts a request the server answered for INFO's commandstats and errorstats; after EXEC, each command it ran
   * (`queued`: the session's queue, read before EXEC cleared it).
   */
  private count(
    upper: string,
    request: Buffer[],
    reply: Reply,
    ms: number,
    queueing: boolean,
    queued: ClientSession['queued'],
  ): void {
    const stats = this.host.stats;
    // CONFIG RESETSTAT (answered by the store) starts the server's counts over too; the call itself then counts.
    if (upper === 'CONFIG' && !(reply instanceof ErrorReply) && isResetStat(request)) stats.reset();
    const sub = request.length > 1 && CONTAINER_NAMES.has(upper) ? request[1]!.toString('latin1') : undefined;
    stats.record(upper, sub, reply, ms * 1000, queueing);
    if (queued === undefined || !Array.isArray(reply) || reply.length !== queued.length) return;
    queued.forEach((entry, i) => {
      const name = entry.name.toUpperCase();
      stats.recordQueued(name, CONTAINER_NAMES.has(name) ? String(entry.args[0] ?? '') : undefined, reply[i]!);
    });
  }

  private async dispatch(
    request: Buffer[],
    upper = commandUpper(request),
  ): Promise<Reply | CloseAfter | Buffer | typeof NO_REPLY> {
    if (this.authenticated && upper !== 'QUIT' && this.inTransaction()) {
      if (upper === 'EXEC' || upper === 'DISCARD') return this.ownInMulti.end(request, upper);
      const queued = await this.ownInMulti.queue(request, upper);
      if (queued !== undefined) return queued;
    } else if (upper === 'MULTI') this.ownInMulti.reset();
    return this.route(request, upper);
  }

  /** Whether the client's session is queueing a transaction. */
  private inTransaction(): boolean {
    return this.session?.inMulti ?? this.memorySession?.inMulti ?? false;
  }

  /** The client's side of the embedded store's pub/sub, made at its first use. */
  private pubsub(): PubSubSession {
    return (this.pubsubSession ??= new PubSubSession(this.host.pubsub!, {
      protocol: () => this.protocol,
      write: (reply) => this.write(reply),
    }));
  }

  /** Where a request goes: the client's session, a built-in, an RG command, or the proxy. */
  private async route(request: Buffer[], upper: string): Promise<Reply | CloseAfter | Buffer | typeof NO_REPLY> {
    const session = this.session;
    if (session && this.authenticated && upper !== 'QUIT') {
      if (session.captures || (!builtin(upper) && session.claims(upper, request)))
        return session.handle(upper, request);
    }
    const memory = this.memorySession;
    if (memory && this.authenticated && upper !== 'QUIT' && sessionClaims(memory, upper, request)) {
      return runOnSession(this.host.gears, memory, upper, request, this.protocol);
    }
    const [name = '', ...args] = request.map((arg) => fromBytes(arg)); // binary bytes kept, see store/memory/bytes.ts
    const command = builtin(upper);
    if (!this.authenticated && !command?.beforeAuth) return NOAUTH;
    if (!session && !memory && upper !== 'QUIT' && (this.refusedMulti || upper === 'MULTI'))
      return this.refuseMulti(upper);
    const wire = this.host.wire;
    if (wire && !command && wire.nodeCount > 1 && spreads(upper, request) && !this.host.gears.isHooked(upper)) {
      return this.spreadOnWire(wire, upper, request);
    }
    if (this.host.pubsub) {
      const restricted = this.pubsubSession?.restricted(upper, args);
      if (restricted !== undefined) return restricted;
      if (PUBSUB_COMMANDS.has(upper)) {
        const reply = this.pubsub().handle(upper, args);
        return reply === PUSHED ? NO_REPLY : reply;
      }
    }
    if (command) {
      if (!arityAccepts(command.arity, args.length + 1)) return wrongArity(name);
      return command.run(this.host, this, args);
    }
    const { gears, allowRequire, deployments } = this.host;
    if (upper.startsWith('RG.')) return rgCommand({ gears, allowRequire, deployments }, name, args);
    // A write waits while a deployment upgrade swaps registrations: it meets the old ones or the new, never neither.
    const reply = await (readOnly(name)
      ? proxyCommand(gears, name, args)
      : deployments.gate.shared(() => proxyCommand(gears, name, args)));
    countProxied(gears, upper, reply instanceof ErrorReply);
    return this.protocol === 3 ? resp3Shape(upper, args, reply) : reply;
  }

  /**
   * MULTI where no session can run it (the embedded store of several shards): refused, and so is every command
   * up to EXEC or DISCARD — a client that pipelined its transaction after MULTI must not see part of it run.
   */
  private refuseMulti(upper: string): Reply {
    if (upper === 'EXEC' || upper === 'DISCARD') {
      this.refusedMulti = false;
      return upper === 'EXEC' ? EXECABORT : OK;
    }
    if (upper === 'MULTI') {
      if (this.refusedMulti) return new ErrorReply('ERR MULTI calls can not be nested');
      this.refusedMulti = true;
      return new ErrorReply(
        'ERR MULTI is not supported on an embedded store of several shards: the commands up to EXEC or DISCARD are refused',
      );
    }
    return new ErrorReply(`ERR '${upper}' not run: MULTI was refused, and the commands up to EXEC or DISCARD are too`);
  }

  /** A cluster command over several slots or every node, done on the raw connections (bytes stay bytes). */
  private async spreadOnWire(wire: WireProxy, upper: string, request: RequestArgs): Promise<Buffer> {
    const { gears, deployments } = this.host;
    const run = (): Promise<Buffer> => spread(wire, this.protocol, upper, request);
    const reply = SPREAD_WRITES.has(upper) ? await deployments.gate.shared(run) : await run();
    if (SPREAD_WRITES.has(upper)) await gears.settleSync().catch(() => undefined);
    countProxied(gears, upper, isErrorFrame(reply));
    return reply;
  }

  private write(reply: Reply): void {
    if (this.closed || !this.socket.writable) return;
    this.socket.write(encodeReply(reply, this.protocol));
  }

  private closeAfter(reply: Reply | undefined): void {
    if (reply !== undefined) this.write(reply);
    this.closed = true;
    this.queue.length = 0;
    // Closed for good once the reply is out, as Redis closes the socket: a client still sending (garbage after
    // a protocol error) gets a reset instead of writing into a half-closed connection forever.
    this.socket.end(() => this.socket.destroy());
  }

  private finish(): void {
    if (this.queue.length === 0 && !this.closed) {
      this.closed = true;
      this.socket.end();
    }
  }

  private flowControl(): void {
    if (this.closed) return;
    const congested =
      this.socket.writableLength > this.host.maxPendingReplyBytes || this.queue.length > MAX_QUEUED_REQUESTS;
    if (congested && !this.paused) {
      this.paused = true;
      this.socket.pause();
    } else if (!congested && this.paused) {
      this.paused = false;
      this.socket.resume();
    }
  }
}

/** A request's command name in upper case ('' for an empty request). */
function commandUpper(request: readonly Buffer[]): string {
  return (request[0]?.toString('utf8') ?? '').toUpperCase();
}

function isConfigSet(request: readonly Buffer[]): boolean {
  return request[1]?.toString('latin1').toUpperCase() === 'SET';
}

function isResetStat(request: readonly Buffer[]): boolean {
  return request[1]?.toString('latin1').toUpperCase() === 'RESETSTAT';
}
