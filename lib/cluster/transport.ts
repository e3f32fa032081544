import { Observable, Subject, Subscription } from 'rxjs';
import { whileOpen } from '../../operators/internal/options.ts';

/**
 * Moves records between shards at a global step (`collect`, `repartition`): given each shard's output of the
 * stage that ends there, it returns each shard's input of the next stage — the merge of what it receives.
 * Each input completes once every sender is done. The in-process transport is the first implementation; a
 * Redis-backed one between worker processes will take the same shape.
 */
export interface ShardTransport {
  exchange<T>(
    outputs: readonly Observable<T>[],
    route: (record: T) => number,
    onError: (error: unknown) => void,
  ): Observable<T>[];
}

export interface InProcessTransportOptions {
  /**
   * Send a `structuredClone` of each record instead of the reference, so a record that could not cross a
   * process boundary (a function, a class instance with private state) fails here rather than in production.
   * The test suites and `rxgears/testing` turn it on.
   */
  clone?: boolean;
}

/**
 * One Node process drives all shards: an exchange is a set of Subjects. The senders are subscribed only when
 * every receiver is, so nothing is emitted before someone listens; unsubscribing all receivers stops the senders.
 */
export class InProcessTransport implements ShardTransport {
  private readonly clone: boolean;

  constructor(options: InProcessTransportOptions = {}) {
    this.clone = options.clone ?? false;
  }

  exchange<T>(
    outputs: readonly Observable<T>[],
    route: (record: T) => number,
    onError: (error: unknown) => void,
  ): Observable<T>[] {
    const count = outputs.length;
    const inboxes = outputs.map(() => new Subject<T>());
    const senders = new Subscription();
    let listening = 0;
    let sendersDone = 0;
    const clone = this.clone;

    const senderDone = (): void => {
      if (++sendersDone === count) for (const inbox of inboxes) inbox.complete();
    };
    const send = (record: T): void => {
      let target: Subject<T> | undefined;
      let payload = record;
      try {
        target = inboxes[route(record)];
        if (clone) payload = structuredClone(record);
      } catch (error) {
        onError(error);
        return;
      }
      target?.next(payload);
    };
    // Closed once no receiver listens: stops even a synchronous sender at its next record.
    const listeners: { readonly closed: boolean }[] = [];
    const receivers = {
      get closed(): boolean {
        return listening === 0 || listeners.every((listener) => listener.closed);
      },
    };
    const start = (): void => {
      for (const output of outputs) {
        senders.add(
          output.pipe(whileOpen(receivers)).subscribe({
            next: send,
            error: (error: unknown) => {
              onError(error);
              senderDone();
            },
            complete: senderDone,
          }),
        );
      }
    };

    return inboxes.map(
      (inbox) =>
        new Observable<T>((subscriber) => {
          const subscription = inbox.subscribe(subscriber);
          listeners.push(subscriber);
          if (++listening === count) start();
          return () => {
            subscription.unsubscribe();
            if (--listening === 0) senders.unsubscribe();
          };
        }),
    );
  }
}
