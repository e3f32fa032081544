import type { PubSub, PubSubSubscriber } from '../../store/memory/pubsub.ts';
import { ErrorReply, PushReply, type Protocol, type Reply } from '../protocol/replies.ts';
import { wrongArity } from '../rg/rgCommands.ts';

/** The pub/sub commands the server answers itself on the embedded store. */
export const PUBSUB_COMMANDS = new Set(['SUBSCRIBE', 'PSUBSCRIBE', 'UNSUBSCRIBE', 'PUNSUBSCRIBE', 'PUBLISH', 'PUBSUB']);

/** What a RESP2 client in subscribed mode may still send, as in Redis. */
const ALLOWED_SUBSCRIBED = new Set(['SUBSCRIBE', 'PSUBSCRIBE', 'UNSUBSCRIBE', 'PUNSUBSCRIBE', 'PING', 'QUIT', 'RESET']);

/** Sent instead of a reply: the request's answers went out as pushes already. */
export const PUSHED = Symbol('pushed');

/** Where a subscriber's pushes go. */
export interface PubSubClient {
  protocol(): Protocol;
  write(reply: Reply): void;
}

/**
 * One client's side of the embedded store's pub/sub: SUBSCRIBE / PSUBSCRIBE / UNSUBSCRIBE / PUNSUBSCRIBE answer
 * one push per channel, messages arrive as pushes (RESP3 `>`, RESP2 arrays), and a RESP2 client in subscribed
 * mode may only send what Redis allows there.
 *
 * @example
 * const session = new PubSubSession(broker, client);
 * session.handle('SUBSCRIBE', ['news']); // pushes ['subscribe', 'news', 1]
 */
export class PubSubSession implements PubSubSubscriber {
  constructor(
    private readonly broker: PubSub,
    private readonly client: PubSubClient,
  ) {}

  /** Whether the client holds any subscription. */
  get subscribed(): boolean {
    return this.broker.count(this) > 0;
  }

  deliver(channel: string, message: string, pattern: string | undefined): void {
    this.client.write(
      new PushReply(pattern === undefined ? ['message', channel, message] : ['pmessage', pattern, channel, message]),
    );
  }

  /**
   * What a subscribed RESP2 client gets for a command outside pub/sub (Redis' error, or PING's array form);
   * undefined when the command may run as usual.
   */
  restricted(upper: string, args: readonly string[]): Reply | undefined {
    if (this.client.protocol() === 3 || !this.subscribed) return undefined;
    if (upper === 'PING') return ['pong', args[0] ?? ''];
    if (ALLOWED_SUBSCRIBED.has(upper)) return undefined;
    return new ErrorReply(
      `ERR Can't execute '${upper.toLowerCase()}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`,
    );
  }

  /** Answers a command of `PUBSUB_COMMANDS`. */
  handle(upper: string, args: readonly string[]): Reply | typeof PUSHED {
    switch (upper) {
      case 'SUBSCRIBE':
      case 'PSUBSCRIBE': {
        if (args.length === 0) return wrongArity(upper.toLowerCase());
        const kind = upper.toLowerCase();
        for (const name of args) {
          const count = upper === 'SUBSCRIBE' ? this.broker.subscribe(this, name) : this.broker.psubscribe(this, name);
          this.client.write(new PushReply([kind, name, count]));
        }
        return PUSHED;
      }
      case 'UNSUBSCRIBE':
      case 'PUNSUBSCRIBE': {
        const kind = upper.toLowerCase();
        const mine = this.broker.subscriptions(this);
        const names = args.length > 0 ? args : upper === 'UNSUBSCRIBE' ? mine.channels : mine.patterns;
        if (names.length === 0) this.client.write(new PushReply([kind, null, this.broker.count(this)]));
        for (const name of names) {
          const count =
            upper === 'UNSUBSCRIBE' ? this.broker.unsubscribe(this, name) : this.broker.punsubscribe(this, name);
          this.client.write(new PushReply([kind, name, count]));
        }
        return PUSHED;
      }
      case 'PUBLISH':
        if (args.length !== 2) return wrongArity('publish');
        return this.broker.publish(args[0]!, args[1]!);
      default:
        return this.pubsubCommand(args);
    }
  }

  /** The client left: its subscriptions go. */
  close(): void {
    this.broker.remove(this);
  }

  private pubsubCommand(args: readonly string[]): Reply {
    const sub = args[0]?.toUpperCase();
    if (sub === undefined) return wrongArity('pubsub');
    if (sub === 'CHANNELS' && args.length <= 2) return this.broker.activeChannels(args[1]);
    if (sub === 'NUMSUB') return args.slice(1).flatMap((channel) => [channel, this.broker.numsub(channel)]);
    if (sub === 'NUMPAT' && args.length === 1) return this.broker.numpat();
    return new ErrorReply(`ERR unknown subcommand or wrong number of arguments for '${args[0]}'. Try PUBSUB HELP.`);
  }
}
