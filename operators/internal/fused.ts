import { Observable, Subscriber, type OperatorFunction } from 'rxjs';
import { DEFAULT_STEP_CONCURRENCY, isPromiseLike, type StepOptions } from './options.ts';
import type { Fold } from './ordered.ts';

/* eslint-disable @typescript-eslint/no-explicit-any -- a chain of steps changes the record type at every link. */

/** The counters of one link: records in and out. */
export interface LinkStat {
  recordsIn: number;
  recordsOut: number;
}

/**
 * One step of a fused chain: a per-record step, or a reducing one (`fold`, as `accumulate` and `localGroupBy`)
 * whose `open` makes its state when the chain is subscribed.
 */
export type FusedLink =
  | { kind: 'map' | 'flatMap' | 'forEach' | 'filter'; fn: (record: any) => unknown; stat?: LinkStat }
  | { kind: 'fold'; open: () => Fold; stat?: LinkStat };

export interface FusedOptions extends StepOptions {
  /**
   * Called for every record from the source, every settled Promise and every fold's end: whatever moves a record
   * on (the engine's activity counter, which its idle watchdog compares between ticks).
   */
  touch?: () => void;
  /**
   * Wraps what the source calls (a record in, the end of the input), e.g. to enter the runtime context the
   * callbacks expect once per record instead of once per callback; Promise continuations keep it by themselves.
   */
  wrap?: <A, B>(fn: (a: A, b: B) => void) => (a: A, b: B) => void;
  /**
   * When the source fails: with this hook the error is handed to it and the input ends there, as
   * `catchError(() => EMPTY)` would (the engine's reader errors); without it the chain fails.
   */
  sourceError?: (error: unknown) => void;
  /** Called when the source completes (or failed, with `sourceError`), before the chain sees its input end. */
  sourceDone?: () => void;
}

/**
 * A callback's Promise, as a native one: continuations registered on a native Promise run in the async context
 * they were registered in (the runtime context `wrap` entered), which a foreign thenable does not guarantee.
 */
function settled(result: PromiseLike<unknown>): PromiseLike<unknown> {
  return result instanceof Promise ? result : Promise.resolve(result);
}

/** Where a link sends its records: the next link, or the chain's subscriber. */
interface Sink {
  push(record: unknown): void;
  complete(): void;
}

/** What every link of one subscription shares. */
interface Chain {
  readonly out: { readonly closed: boolean; error(error: unknown): void };
  readonly concurrency: number;
  touch(): void;
  fail(error: unknown): void;
}

const NO_STAT: LinkStat = { recordsIn: 0, recordsOut: 0 };
/** The empty list every link starts with (frozen: a push to it would be a bug). */
const NONE = Object.freeze([]) as unknown as unknown[];

/** A record of a per-record link held for input order: its callback's result, once settled. */
interface Entry {
  record: unknown;
  done: boolean;
  failed: boolean;
  value: unknown;
}
const MAP = 0;
const FILTER = 1;
const FOR_EACH = 2;
const FLAT_MAP = 3;
const KINDS = { map: MAP, filter: FILTER, forEach: FOR_EACH, flatMap: FLAT_MAP } as const;

/** A per-record link: what one `orderedStep` operator keeps and does. */
class RecordLink implements Sink {
  // Both lists start as the shared empty one and get their own on the first record held (most chains of an
  // event's execution never hold one).
  private queue: Entry[] = NONE as Entry[];
  private waiting: unknown[] = NONE as unknown[];
  private pending = 0;
  private sourceDone = false;
  private completed = false;

  constructor(
    private readonly chain: Chain,
    private readonly kind: number,
    private readonly fn: (record: any) => unknown,
    private readonly stat: LinkStat,
    private readonly next: Sink,
  ) {}

  push(record: unknown): void {
    this.stat.recordsIn++;
    if (this.chain.out.closed) return;
    if (this.queue.length > 0 || this.waiting.length > 0) {
      if (this.pending >= this.chain.concurrency || this.waiting.length > 0) this.enqueue(record);
      else this.start(record);
      return;
    }
    // Nothing held (the usual case with synchronous callbacks): what `start` and `emit` do, inline.
    let result: unknown;
    try {
      result = this.fn(record);
    } catch (error) {
      this.chain.fail(error);
      return;
    }
    switch (isPromiseLike(result) ? -1 : this.kind) {
      case MAP:
        this.stat.recordsOut++;
        this.next.push(result);
        return;
      case FILTER:
        if (result) {
          this.stat.recordsOut++;
          this.next.push(record);
        }
        return;
      case FOR_EACH:
        this.stat.recordsOut++;
        this.next.push(record);
        return;
      case FLAT_MAP:
        this.emit(record, result);
        return;
      default:
        this.wait(record, result as PromiseLike<unknown>);
    }
  }

  complete(): void {
    this.sourceDone = true;
    this.drain();
  }

  private hold(entry: Entry): void {
    (this.queue === NONE ? (this.queue = []) : this.queue).push(entry);
  }

  private enqueue(record: unknown): void {
    (this.waiting === NONE ? (this.waiting = []) : this.waiting).push(record);
  }

  private start(record: unknown): void {
    let result: unknown;
    try {
      result = this.fn(record);
    } catch (error) {
      this.chain.fail(error);
      return;
    }
    if (!isPromiseLike(result)) {
      if (this.queue.length === 0) this.emit(record, result);
      else this.hold({ record, done: true, failed: false, value: result });
      return;
    }
    this.wait(record, result);
  }

  /** Holds `record` in input order until its callback's Promise settles. */
  private wait(record: unknown, result: PromiseLike<unknown>): void {
    const entry = { record, done: false, failed: false, value: undefined as unknown };
    this.hold(entry);
    this.pending++;
    settled(result).then(
      (value) => {
        this.chain.touch();
        this.pending--;
        entry.done = true;
        entry.value = value;
        if (!this.chain.out.closed) this.drain();
      },
      (error: unknown) => {
        this.chain.touch();
        this.pending--;
        entry.done = true;
        entry.failed = true;
        if (!this.chain.out.closed) {
          this.chain.fail(error);
          this.drain();
        }
      },
    );
  }

  private drain(): void {
    const { queue, waiting, chain } = this;
    while (queue.length > 0 && queue[0]!.done) {
      const entry = queue.shift()!;
      if (!entry.failed) this.emit(entry.record, entry.value);
      if (chain.out.closed) return;
    }
    while (waiting.length > 0 && this.pending < chain.concurrency && !chain.out.closed) this.start(waiting.shift()!);
    if (this.sourceDone && !this.completed && queue.length === 0 && waiting.length === 0) {
      this.completed = true;
      this.next.complete();
    }
  }

  /** Passes what the callback made of `record` on, as the step's operator does. */
  private emit(record: unknown, result: unknown): void {
    switch (this.kind) {
      case MAP:
        this.forward(result);
        return;
      case FILTER:
        if (result) this.forward(record);
        return;
      case FOR_EACH:
        this.forward(record);
        return;
    }
    let items: unknown[];
    if (Array.isArray(result)) items = result;
    else if (result !== null && typeof result === 'object' && Symbol.iterator in result) {
      // Drained before emitting: an iterator that throws midway drops its whole record (as flatMap).
      try {
        items = [...(result as Iterable<unknown>)];
      } catch (error) {
        this.chain.fail(error);
        return;
      }
    } else items = [result];
    for (const item of items) {
      this.forward(item);
      if (this.chain.out.closed) return;
    }
  }

  private forward(record: unknown): void {
    this.stat.recordsOut++;
    this.next.push(record);
  }
}

/** A reducing link: what one `sequentialStep` operator keeps and does. */
class FoldLink implements Sink {
  private waiting: unknown[] = NONE as unknown[];
  private busy = false;
  private sourceDone = false;
  private completed = false;

  constructor(
    private readonly chain: Chain,
    private readonly fold: Fold,
    private readonly stat: LinkStat,
    private readonly next: Sink,
  ) {}

  push(record: unknown): void {
    this.stat.recordsIn++;
    if (this.chain.out.closed) return;
    if (this.busy) (this.waiting === NONE ? (this.waiting = []) : this.waiting).push(record);
    else this.step(record);
  }

  complete(): void {
    this.sourceDone = true;
    if (!this.busy) this.finish();
  }

  /** Folds a record in; a Promise holds back the next records until it settles. */
  private step(record: unknown): void {
    let result: unknown;
    try {
      result = this.fold.step(record);
    } catch (error) {
      this.chain.fail(error);
      return;
    }
    if (!isPromiseLike(result)) return;
    this.busy = true;
    settled(result).then(
      () => {
        this.chain.touch();
        this.resume();
      },
      (error: unknown) => {
        this.chain.touch();
        if (!this.chain.out.closed) this.chain.fail(error);
        this.resume();
      },
    );
  }

  private resume(): void {
    this.busy = false;
    const { waiting, chain } = this;
    while (!this.busy && waiting.length > 0 && !chain.out.closed) this.step(waiting.shift()!);
    if (!this.busy && this.sourceDone && !chain.out.closed) this.finish();
  }

  /** The input is done: emits what was folded, then the links after it see their input end. */
  private finish(): void {
    if (this.completed) return;
    this.completed = true;
    try {
      this.chain.touch();
      this.fold.finish((record) => {
        this.stat.recordsOut++;
        this.next.push(record);
      });
    } catch (error) {
      this.chain.out.error(error);
      return;
    }
    this.next.complete();
  }
}

/** Where a fused chain sends its output: an RxJS subscriber, or the engine's own sink. */
export interface FusedOut {
  readonly closed: boolean;
  next(record: unknown): void;
  error(error: unknown): void;
  complete(): void;
}

/**
 * One subscription's links of a fused chain (see `fusedSteps`) in front of `out`: its source calls `next`,
 * `error` and `complete`. No Observable involved: the engine drives a one-shard execution through this
 * directly. The options' functions are called as methods of `options`, so one object can provide them all.
 */
export class FusedInput implements Chain {
  readonly concurrency: number;
  private readonly first: Sink;
  /** With `options.wrap`: the wrapped entries (without it, none: a chain per event makes no closures). */
  private readonly enter: ((record: unknown, _?: unknown) => void) | undefined;
  private readonly ended: ((_?: unknown, __?: unknown) => void) | undefined;

  /**
   * `stats`, when given, are the links' counters by position (for links without their own `stat`): a chain
   * made per execution can take links made once per plan.
   */
  constructor(
    links: readonly FusedLink[],
    private readonly options: FusedOptions,
    readonly out: FusedOut,
    stats?: readonly LinkStat[],
  ) {
    this.concurrency = options.concurrency ?? DEFAULT_STEP_CONCURRENCY;
    let sink: Sink = new OutSink(out);
    for (let k = links.length - 1; k >= 0; k--) {
      const link = links[k]!;
      const stat = link.stat ?? stats?.[k] ?? NO_STAT;
      sink =
        link.kind === 'fold'
          ? new FoldLink(this, link.open(), stat, sink)
          : new RecordLink(this, KINDS[link.kind], link.fn, stat, sink);
    }
    const first = (this.first = sink);
    if (options.wrap) {
      this.enter = options.wrap((record: unknown) => first.push(record));
      this.ended = options.wrap(() => this.end());
    }
  }

  /** Whatever moves a record on (`options.touch`). */
  touch(): void {
    this.options.touch?.();
  }

  fail(error: unknown): void {
    if (this.options.onError) this.options.onError(error);
    else this.out.error(error);
  }

  /** A record from the source. */
  next(record: unknown): void {
    this.touch();
    if (this.enter) this.enter(record);
    else this.first.push(record);
  }

  /** The source failed: handed to `sourceError` and the input ends there; without it the chain fails. */
  error(error: unknown): void {
    if (!this.options.sourceError) return this.out.error(error);
    this.options.sourceError(error);
    this.complete();
  }

  /** The source completed. */
  complete(): void {
    if (this.ended) this.ended();
    else this.end();
  }

  private end(): void {
    this.options.sourceDone?.();
    this.first.complete();
  }
}

/** The end of a chain: its output. */
class OutSink implements Sink {
  constructor(private readonly out: FusedOut) {}

  push(record: unknown): void {
    this.out.next(record);
  }

  complete(): void {
    this.out.complete();
  }
}

/**
 * Consecutive steps — map, flatMap, forEach, filter, and the folds of accumulate and localGroupBy — as one
 * operator: what `map(f).pipe(filter(g), …)` computes, each link keeping the state its own operator keeps —
 * input order, at most `concurrency` Promises pending per per-record link, one at a time in a fold, a
 * throwing or rejecting callback dropping its record only — so the records, their order, the callbacks' calls
 * and the per-step counters are those of the chain of operators. What goes is the RxJS layers between the
 * links (a subscriber, a `takeWhile` and a counting `tap` per step): a record on synchronous callbacks goes
 * through the whole chain as nested method calls.
 */
export function fusedSteps<T, R>(links: readonly FusedLink[], options: FusedOptions = {}): OperatorFunction<T, R> {
  return (source) =>
    new Observable<R>((out) => source.subscribe(new FusedSubscriber(new FusedInput(links, options, out as FusedOut), out)));
}

/**
 * The chain's subscription to its source: one subscriber that hands the source's calls to the chain's input,
 * where `source.pipe(whileOpen(out)).subscribe({ next, error, complete })` took three layers per record (a
 * `takeWhile`, a safe subscriber and its observer). As `whileOpen`, it ends the source at the first record
 * after `out` closed (a synchronous source would otherwise run on to its end), completing the input then.
 */
class FusedSubscriber extends Subscriber<unknown> {
  constructor(
    private readonly input: FusedInput,
    private readonly out: { readonly closed: boolean },
  ) {
    super();
  }

  protected override _next(record: unknown): void {
    if (this.out.closed) this.complete();
    else this.input.next(record);
  }

  protected override _error(error: unknown): void {
    try {
      this.input.error(error);
    } finally {
      this.unsubscribe();
    }
  }

  protected override _complete(): void {
    try {
      this.input.complete();
    } finally {
      this.unsubscribe();
    }
  }
}
