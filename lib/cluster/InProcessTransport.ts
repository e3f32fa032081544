import { Observable, Subject, Subscription } from 'rxjs';
import { ExecutionAbortedError } from '../errors.ts';
import type { ExchangeSpec, ShardLink, ShardTransport } from './transport.ts';

export interface InProcessTransportOptions {
  /**
   * Send a `structuredClone` of each record instead of the reference, so a record that could not cross a
   * process boundary (a function, a class instance with private state) fails here rather than in production.
   * The test suites and `rxgears/testing` turn it on.
   */
  clone?: boolean;
}

/**
 * One Node process drives every shard of an exchange: the exchange is a set of Subjects, and its links meet
 * by the exchange id while the engine opens them (all of them, synchronously). Senders are subscribed only
 * once every receiver is, so nothing is emitted before someone listens; when every receiver has left, the
 * senders are unsubscribed.
 */
export class InProcessTransport implements ShardTransport {
  private readonly clone: boolean;
  /** Exchanges some of whose links are not open yet. */
  private readonly opening = new Map<string, LocalExchange<unknown>>();

  constructor(options: InProcessTransportOptions = {}) {
    this.clone = options.clone ?? false;
  }

  open<T>(spec: ExchangeSpec): ShardLink<T> {
    let exchange = this.opening.get(spec.id) as LocalExchange<T> | undefined;
    if (!exchange) {
      exchange = new LocalExchange<T>(spec.shards, this.clone);
      this.opening.set(spec.id, exchange as LocalExchange<unknown>);
    }
    const link = exchange.link(spec.self);
    if (exchange.allOpen) this.opening.delete(spec.id);
    return link;
  }
}

class LocalExchange<T> {
  private readonly inboxes: Subject<T>[];
  private readonly opened = new Set<number>();
  private readonly finished = new Set<number>();
  private readonly listeners: { readonly closed: boolean }[] = [];
  private readonly senders = new Subscription();
  private readonly waiting: Observable<never>[] = [];
  private listening = 0;
  private started = false;

  constructor(
    private readonly count: number,
    private readonly clone: boolean,
  ) {
    this.inboxes = Array.from({ length: count }, () => new Subject<T>());
  }

  get allOpen(): boolean {
    return this.opened.size === this.count;
  }

  /** Closed once no receiver listens: stops even a synchronous sender at its next record. */
  get closed(): boolean {
    return this.listening === 0 || this.listeners.every((listener) => listener.closed);
  }

  link(self: number): ShardLink<T> {
    if (!Number.isInteger(self) || self < 0 || self >= this.count || this.opened.has(self))
      throw new RangeError(`exchange link ${self} of ${this.count} is out of range or already open`);
    this.opened.add(self);
    const isClosed = (): boolean => this.closed;
    return {
      inbox: this.inbox(self),
      get closed() {
        return isClosed();
      },
      run: (sender) => {
        if (this.started) this.senders.add(sender.subscribe());
        else this.waiting.push(sender);
      },
      send: (to, record) => {
        const inbox = this.inboxes[to];
        if (!inbox) throw new RangeError(`no shard ${to} in this exchange`);
        inbox.next(this.clone ? structuredClone(record) : record);
      },
      done: () => {
        if (this.finished.has(self)) return;
        this.finished.add(self);
        if (this.finished.size === this.count) for (const inbox of this.inboxes) inbox.complete();
      },
      abort: (reason) => {
        if (this.finished.has(self)) return;
        this.senders.unsubscribe();
        const error = new ExecutionAbortedError(reason);
        for (const inbox of this.inboxes) inbox.error(error);
      },
    };
  }

  private inbox(self: number): Observable<T> {
    return new Observable<T>((subscriber) => {
      const subscription = this.inboxes[self]!.subscribe(subscriber);
      this.listeners.push(subscriber);
      if (++this.listening === this.count) this.start();
      return () => {
        subscription.unsubscribe();
        if (--this.listening === 0) this.senders.unsubscribe();
      };
    });
  }

  private start(): void {
    this.started = true;
    for (const sender of this.waiting.splice(0)) this.senders.add(sender.subscribe());
  }
}
