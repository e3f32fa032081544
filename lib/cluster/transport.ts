import { Observable } from 'rxjs';
import { whileOpen } from '../rx/index.ts';

/**
 * One shard's part in one exchange: the records a global step (`collect`, `repartition`) of one execution
 * moves. Every shard taking part is both a sender and a receiver.
 */
export interface ExchangeSpec {
  /** Unique per execution and global step (`<executionId>:<stepIndex>`): the shards of one exchange meet by it. */
  readonly id: string;
  /** This shard's index among the shards taking part. */
  readonly self: number;
  /** How many shards take part. */
  readonly shards: number;
}

/**
 * Moves records between shards at a global step. It is per shard, so a process opens links only for the
 * shards it runs: the in-process transport, where one process runs every shard, is one implementation; a
 * transport between worker processes (Redis streams per destination) is another (README "Scaling out").
 */
export interface ShardTransport {
  /** This shard's end of an exchange. Opening starts nothing. */
  open<T>(spec: ExchangeSpec): ShardLink<T>;
  /**
   * Resolves when this process may read more records: what its links still hold to send is under a bound.
   * Readers wait for it between pages (back-pressure from slow receivers up to the reads). A transport
   * without it (in process) never holds readers.
   */
  demand?(): Promise<void>;
}

/** One shard's end of an exchange. */
export interface ShardLink<T> {
  /**
   * What this shard receives from every sender (itself included). Completes once every sender is `done`;
   * errors with `ExecutionAbortedError` when a sender aborts, or when the transport finds records lost.
   */
  readonly inbox: Observable<T>;
  /** No receiver wants more records: the sender stops at its next record. */
  readonly closed: boolean;
  /**
   * Runs this shard's sender — its output wired to `send` and `done` (see `sender()`) — once records may
   * flow, and stops it when no receiver wants more or the link aborts. Nothing is subscribed before.
   */
  run(sender: Observable<never>): void;
  /** Sends a record to shard `to`; throws when the record cannot travel (a `DataCloneError`). */
  send(to: number, record: T): void;
  /** This shard sent everything (after an error too: the error is reported by the engine, not carried). */
  done(): void;
  /** This shard's part stopped before it was done: every receiver's inbox errors with `reason`. */
  abort(reason: string): void;
}

/**
 * A shard's sender as the engine runs it: each record of `output` goes to `route(record)`, and a record
 * whose route or send throws is reported and dropped; an error of `output` itself is reported and ends the
 * sending. Either way `done` follows, then `onDone`.
 */
export function sender<T>(
  link: ShardLink<T>,
  output: Observable<T>,
  route: (record: T) => number,
  onError: (error: unknown) => void,
  onDone: () => void = () => undefined,
): Observable<never> {
  return new Observable<never>((subscriber) => {
    const finish = (): void => {
      link.done();
      onDone();
      subscriber.complete();
    };
    // whileOpen, linked to the source, stops even a synchronous one at its next record once the link closes.
    return output.pipe(whileOpen(link)).subscribe({
      next: (record) => {
        try {
          link.send(route(record), record);
        } catch (error) {
          onError(error);
        }
      },
      error: (error: unknown) => {
        onError(error);
        finish();
      },
      complete: finish,
    });
  });
}
