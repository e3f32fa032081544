/**
 * The server's own commands inside a client's transaction. Redis queues `PING`, `ECHO`, `INFO`, `CLIENT …`,
 * `HELLO`, `SELECT`, … in `MULTI` and answers them in `EXEC`'s reply; the server answers them itself (the backend
 * never sees them), so it queues them here with their places among the commands the backend queued, answers them
 * at `EXEC` once the backend ran its part, and puts their replies in at those places. They touch no data, so
 * answering them after the backend's part is indistinguishable from answering them in between.
 *
 * A `HELLO` that switches the protocol does so at `EXEC`, as in Redis: the replies after it are in the new
 * protocol, each encoded in the protocol in effect at its place (`RawReply`).
 */
import { encodeReply, RawReply, type Protocol, type Reply } from '../protocol/replies.ts';

/** One of the server's commands queued in a transaction. */
export interface LocalCommand {
  readonly upper: string;
  /** The arguments after the name. */
  readonly args: string[];
  /** How many of the backend's queued commands come before it. */
  readonly after: number;
  /** The backend queued a stand-in at its place (a `HELLO` switching Redis' protocol), whose reply it replaces. */
  readonly standIn: boolean;
  /** The protocol in effect for its reply and for what follows it. */
  readonly protocol: Protocol;
}

/**
 * A transaction's local commands.
 *
 * @example
 * const locals = new TransactionLocals(2);
 * locals.add({ upper: 'PING', args: [], after: 1, standIn: false, protocol: 2 }); // MULTI, SET …, PING
 * await locals.merge([new RawReply(Buffer.from('+OK\r\n'))], async () => 'PONG'); // [+OK, $4 PONG]
 */
export class TransactionLocals {
  private readonly commands: LocalCommand[] = [];

  /** @param start the protocol the client spoke at MULTI */
  constructor(private readonly start: Protocol) {}

  /** The protocol in effect after what is queued so far. */
  get protocol(): Protocol {
    return this.commands.at(-1)?.protocol ?? this.start;
  }

  /** Whether a queued HELLO switches the protocol inside the transaction. */
  get switches(): boolean {
    return this.commands.some((command) => command.protocol !== this.start);
  }

  add(command: LocalCommand): void {
    this.commands.push(command);
  }

  /** The protocol of the backend's reply at `index` of its own replies. */
  protocolOfBackend(index: number): Protocol {
    let protocol = this.start;
    for (const command of this.commands) {
      if (command.after > index) break;
      protocol = command.protocol;
    }
    return protocol;
  }

  /**
   * EXEC's replies: the backend's (`backend`, in order) with each local command's reply (`answer`, run in order)
   * at its place. Local replies go out encoded in their protocol; a backend reply a local one replaces is dropped.
   */
  async merge(backend: readonly Reply[], answer: (command: LocalCommand) => Promise<Reply>): Promise<Reply[]> {
    const out: Reply[] = [];
    let next = 0;
    for (const command of this.commands) {
      while (next < command.after && next < backend.length) out.push(backend[next++]!);
      out.push(new RawReply(toBuffer(encodeReply(await answer(command), command.protocol))));
      if (command.standIn) next++;
    }
    while (next < backend.length) out.push(backend[next++]!);
    return out;
  }
}

function toBuffer(encoded: string | Buffer): Buffer {
  return typeof encoded === 'string' ? Buffer.from(encoded, 'utf8') : encoded;
}
