import type { Subscription, Observable } from 'rxjs';
import { formatError } from '../errors.ts';
import type { Plan } from './plan.ts';

/** RedisGears' execution statuses; `pending_*` ones are reported while shards wait on each other. */
export type ExecutionStatus =
  | 'created'
  | 'running'
  | 'done'
  | 'aborted'
  | 'pending_cluster'
  | 'pending_receive'
  | 'pending_run'
  | 'pending_termination';

/** What an action resolves to: the records that reached the initiator and one string per error. */
export interface RunResult<T> {
  results: T[];
  errors: string[];
}

/**
 * One run of a plan: its id, status, results and errors. Subscribes the plan's result Observable on `start()`
 * and settles `done` when every shard is done or the execution is aborted (results so far are kept).
 */
export class Execution<T = unknown> {
  status: ExecutionStatus = 'created';
  readonly results: T[] = [];
  readonly errors: string[] = [];
  readonly createdAt = Date.now();
  startedAt: number | undefined;
  finishedAt: number | undefined;
  /** Settles (never rejects) when the execution is done or aborted. */
  readonly done: Promise<void>;
  private settle!: () => void;
  private subscription: Subscription | undefined;

  constructor(
    readonly id: string,
    readonly plan: Plan,
    readonly shardIds: readonly string[],
    readonly registrationId?: string,
  ) {
    this.done = new Promise((resolve) => (this.settle = resolve));
  }

  get finished(): boolean {
    return this.finishedAt !== undefined;
  }

  /** Starts consuming the results. */
  start(results: Observable<T>): void {
    if (this.status !== 'created') return;
    this.status = 'running';
    this.startedAt = Date.now();
    this.subscription = results.subscribe({
      next: (record) => this.results.push(record),
      error: (error: unknown) => {
        this.reportError(error);
        this.finish('done');
      },
      complete: () => this.finish('done'),
    });
  }

  /** Appends `"<Name>: <message>"` to `errors`. */
  reportError(error: unknown): void {
    this.errors.push(formatError(error));
  }

  /**
   * Stops every shard's readers and pipelines; the results gathered so far stay. Aborting an execution that
   * already finished does nothing (and returns false).
   */
  abort(reason?: string): boolean {
    if (this.finished) return false;
    if (reason) this.errors.push(reason);
    this.subscription?.unsubscribe();
    this.finish('aborted');
    return true;
  }

  /** `{ results, errors }` as the actions return them (copies). */
  result(): RunResult<T> {
    return { results: [...this.results], errors: [...this.errors] };
  }

  private finish(status: 'done' | 'aborted'): void {
    if (this.finished) return;
    this.status = status;
    this.finishedAt = Date.now();
    this.settle();
  }
}
