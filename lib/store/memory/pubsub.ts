import { compileGlob } from './glob.ts';

/** A subscribed client, as the broker sees it: where its messages go. */
export interface PubSubSubscriber {
  /** A `message` (`pattern` undefined) or `pmessage` for this subscriber. */
  deliver(channel: string, message: string, pattern: string | undefined): void;
}

interface PatternEntry {
  readonly matches: (channel: string) => boolean;
  readonly subscribers: Set<PubSubSubscriber>;
}

/**
 * Redis pub/sub for the embedded store: channels and glob patterns (Redis' glob), `PUBLISH` answering the number
 * of clients that received the message (a client subscribed to a channel and to a matching pattern counts
 * twice, as in Redis), `PUBSUB CHANNELS | NUMSUB | NUMPAT`. One broker per server: Redis' pub/sub is per
 * server (and cluster-wide on a Cluster), not per shard.
 *
 * @example
 * const broker = new PubSub();
 * broker.subscribe(client, 'news');
 * broker.publish('news', 'hello'); // 1
 */
export class PubSub {
  private readonly channels = new Map<string, Set<PubSubSubscriber>>();
  private readonly patterns = new Map<string, PatternEntry>();
  private readonly byClient = new Map<PubSubSubscriber, { channels: Set<string>; patterns: Set<string> }>();

  private stateOf(subscriber: PubSubSubscriber): { channels: Set<string>; patterns: Set<string> } {
    let state = this.byClient.get(subscriber);
    if (state === undefined) {
      state = { channels: new Set(), patterns: new Set() };
      this.byClient.set(subscriber, state);
    }
    return state;
  }

  /** Subscriptions (channels and patterns) a client holds: what SUBSCRIBE and friends answer as the count. */
  count(subscriber: PubSubSubscriber): number {
    const state = this.byClient.get(subscriber);
    return state ? state.channels.size + state.patterns.size : 0;
  }

  /** Subscribes to a channel; returns the client's subscription count after it. */
  subscribe(subscriber: PubSubSubscriber, channel: string): number {
    this.stateOf(subscriber).channels.add(channel);
    let set = this.channels.get(channel);
    if (set === undefined) this.channels.set(channel, (set = new Set()));
    set.add(subscriber);
    return this.count(subscriber);
  }

  psubscribe(subscriber: PubSubSubscriber, pattern: string): number {
    this.stateOf(subscriber).patterns.add(pattern);
    let entry = this.patterns.get(pattern);
    if (entry === undefined) this.patterns.set(pattern, (entry = { matches: compileGlob(pattern), subscribers: new Set() }));
    entry.subscribers.add(subscriber);
    return this.count(subscriber);
  }

  /** Unsubscribes from a channel (a no-op if not subscribed); returns the count after it. */
  unsubscribe(subscriber: PubSubSubscriber, channel: string): number {
    this.byClient.get(subscriber)?.channels.delete(channel);
    const set = this.channels.get(channel);
    set?.delete(subscriber);
    if (set?.size === 0) this.channels.delete(channel);
    return this.count(subscriber);
  }

  punsubscribe(subscriber: PubSubSubscriber, pattern: string): number {
    this.byClient.get(subscriber)?.patterns.delete(pattern);
    const entry = this.patterns.get(pattern);
    entry?.subscribers.delete(subscriber);
    if (entry?.subscribers.size === 0) this.patterns.delete(pattern);
    return this.count(subscriber);
  }

  /** The channels / patterns a client is subscribed to, in subscription order. */
  subscriptions(subscriber: PubSubSubscriber): { channels: string[]; patterns: string[] } {
    const state = this.byClient.get(subscriber);
    return { channels: [...(state?.channels ?? [])], patterns: [...(state?.patterns ?? [])] };
  }

  /** Drops every subscription of a client (it disconnected). */
  remove(subscriber: PubSubSubscriber): void {
    const state = this.byClient.get(subscriber);
    if (state === undefined) return;
    for (const channel of state.channels) this.unsubscribe(subscriber, channel);
    for (const pattern of state.patterns) this.punsubscribe(subscriber, pattern);
    this.byClient.delete(subscriber);
  }

  /** Delivers a message; returns how many deliveries were made (Redis' PUBLISH reply). */
  publish(channel: string, message: string): number {
    let receivers = 0;
    for (const subscriber of this.channels.get(channel) ?? []) {
      subscriber.deliver(channel, message, undefined);
      receivers++;
    }
    for (const [pattern, entry] of this.patterns) {
      if (!entry.matches(channel)) continue;
      for (const subscriber of entry.subscribers) {
        subscriber.deliver(channel, message, pattern);
        receivers++;
      }
    }
    return receivers;
  }

  /** `PUBSUB CHANNELS [pattern]`: channels with at least one subscriber. */
  activeChannels(pattern?: string): string[] {
    const matches = pattern === undefined ? () => true : compileGlob(pattern);
    return [...this.channels.keys()].filter(matches);
  }

  /** `PUBSUB NUMSUB`: subscribers of a channel (patterns not counted). */
  numsub(channel: string): number {
    return this.channels.get(channel)?.size ?? 0;
  }

  /** `PUBSUB NUMPAT`: patterns with at least one subscriber. */
  numpat(): number {
    return this.patterns.size;
  }
}
