/**
 * The server's own commands inside a client's `MULTI` — the built-ins (`PING`, `ECHO`, `INFO`, `CLIENT …`, `HELLO`,
 * `SELECT`, …; `PUBLISH` and `PUBSUB` on the embedded store, whose pub/sub is the server's): Redis queues them and
 * answers them in `EXEC`'s reply, so they are queued here (`TransactionLocals.ts`) and answered at `EXEC` in their
 * places, on every backend. What the server cannot queue (`RG.*`, `RESET`) is refused, and the session made to
 * discard the transaction at `EXEC` (`EXECABORT`), never to run part of it.
 */
import { elementsOf } from '../../store/redis/frames.ts';
import { fromBytes } from '../../store/memory/bytes.ts';
import { errorReply } from '../rg/convert.ts';
import { ErrorReply, RawReply, SimpleString, type Reply } from '../protocol/replies.ts';
import { builtin, CloseAfter, protocolAfterHello } from './builtins.ts';
import type { ClientState, ServerContext } from './context.ts';
import { queueProblem } from './hookedTransaction.ts';
import { runOnSession } from './memoryClient.ts';
import { PUSHED, type PubSubSession } from './memoryPubSub.ts';
import { refusal } from './proxy.ts';
import type { ClientSession } from './ShardedSession.ts';
import { TransactionLocals, type LocalCommand } from './TransactionLocals.ts';
import type { NO_REPLY, WireSession } from './WireSession.ts';

const QUEUED = new SimpleString('QUEUED');

/** An unknown command: queued in the embedded store's transaction so that its EXEC answers EXECABORT. */
const POISON = 'RXGEARS-REFUSED-INSIDE-MULTI';

type Answer = Reply | Buffer | CloseAfter | typeof NO_REPLY;

/** What the connection gives: its state, its session (Redis or embedded), its own way to route a request. */
export interface OwnCommandsHost {
  readonly server: ServerContext;
  readonly client: ClientState;
  readonly session: WireSession | undefined;
  readonly memory: ClientSession | undefined;
  /** The server answers pub/sub itself (the embedded store). */
  readonly embeddedPubSub: boolean;
  pubsub(): PubSubSession;
  route(request: Buffer[], upper: string): Promise<Answer>;
  inMulti(): boolean;
}

export class OwnCommandsInMulti {
  private locals: TransactionLocals | undefined;

  constructor(private readonly host: OwnCommandsHost) {}

  /** A new transaction starts: nothing of its own queued. */
  reset(): void {
    this.locals = undefined;
  }

  /** Queues a command of the server's own (or refuses one it cannot queue); undefined for the session's commands. */
  async queue(request: Buffer[], upper: string): Promise<Reply | undefined> {
    if (upper.startsWith('RG.')) {
      // A gear run or a change of registrations is not part of Redis' transaction: it could not be atomic with it.
      return this.abort(new ErrorReply(`ERR '${upper}' cannot be queued in a transaction through the rxgears proxy`));
    }
    if (upper === 'RESET') return this.abort(refusal(upper));
    const { client, session, memory } = this.host;
    const own =
      (builtin(upper) !== undefined && upper !== 'QUIT') ||
      (this.host.embeddedPubSub && (upper === 'PUBLISH' || upper === 'PUBSUB'));
    if (!own) return undefined;
    const [name = '', ...args] = request.map((arg) => fromBytes(arg));
    const problem = queueProblem(name, args);
    if (problem !== undefined) return this.abort(problem);
    const locals = (this.locals ??= new TransactionLocals(client.protocol));
    const protocol =
      upper === 'HELLO' ? protocolAfterHello(this.host.server, client, locals.protocol, args) : locals.protocol;
    const standIn = protocol !== locals.protocol && session !== undefined;
    const after = session?.queuedCount ?? memory?.queued?.length ?? 0;
    if (standIn) {
      // Redis answers the commands queued after it in the new protocol once it switches there too.
      const refused = await session.switchProtocol(protocol);
      if (refused !== undefined) return refused;
    }
    locals.add({ upper, args, after, standIn, protocol });
    return QUEUED;
  }

  /** EXEC or DISCARD: the session's reply, with the replies of the server's own queued commands in their places. */
  async end(request: Buffer[], upper: string): Promise<Answer> {
    const { locals, host } = this;
    const { memory } = host;
    const reply =
      locals?.switches && memory !== undefined && upper === 'EXEC'
        ? await runOnSession(host.server.gears, memory, upper, request, host.client.protocol, (i) =>
            locals.protocolOfBackend(i),
          )
        : await host.route(request, upper);
    if (host.inMulti()) return reply; // EXEC with arguments: an arity error, the transaction goes on
    this.locals = undefined;
    if (locals === undefined || upper !== 'EXEC') return reply;
    const backend = Buffer.isBuffer(reply)
      ? elementsOf(reply)?.map((element) => new RawReply(element))
      : Array.isArray(reply)
        ? (reply as Reply[])
        : undefined;
    if (backend === undefined) return reply; // EXECABORT, or the null EXEC of a WATCH conflict
    return locals.merge(backend, (command) => this.answer(command));
  }

  /** Refuses a command inside MULTI and has the session discard the transaction at EXEC (EXECABORT). */
  private async abort(error: ErrorReply): Promise<Reply> {
    if (this.host.session) return this.host.session.abort(error);
    await this.host.memory?.handle(POISON, POISON, []);
    return error;
  }

  /** A queued command of the server's own, answered at EXEC. */
  private async answer({ upper, args }: LocalCommand): Promise<Reply> {
    try {
      if (upper === 'PUBLISH' || upper === 'PUBSUB') {
        const reply = this.host.pubsub().handle(upper, args);
        return reply === PUSHED ? null : reply;
      }
      const reply = await builtin(upper)!.run(this.host.server, this.host.client, args);
      return reply instanceof CloseAfter ? reply.reply : reply;
    } catch (error) {
      return errorReply(error);
    }
  }
}
