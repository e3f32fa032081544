import { GearsError } from '../errors.ts';
import type { Execution, ExecutionInfo, ExecutionStatus, RunResult } from './Execution.ts';

/** A line of `dumpExecutions()` (RG.DUMPEXECUTIONS). */
export interface ExecutionSummary {
  executionId: string;
  status: ExecutionStatus;
  registered: boolean;
}

/**
 * The executions an engine keeps: unblocking runs and registration-triggered ones (blocking `run()`s are not
 * kept). Bounded like RedisGears: past `maxExecutions` (or `maxPerRegistration` for one registration) the
 * oldest finished executions are dropped; running ones are never dropped.
 */
export class ExecutionRegistry {
  private readonly executions = new Map<string, Execution>();

  constructor(private readonly limits: () => { maxExecutions: number; maxPerRegistration: number }) {}

  add(execution: Execution): void {
    this.executions.set(execution.id, execution);
    this.evict(execution.registrationId);
    // Finishing may make room in a registry that was full of running executions.
    execution.onFinish(() => this.evict(execution.registrationId));
  }

  dump(): ExecutionSummary[] {
    return [...this.executions.values()].map((e) => ({
      executionId: e.id,
      status: e.status,
      registered: e.registrationId !== undefined,
    }));
  }

  /** The execution, or RedisGears' `execution plan does not exist`. */
  get(id: string): Execution {
    const execution = typeof id === 'string' ? this.executions.get(id) : undefined;
    if (!execution) throw new GearsError('execution plan does not exist', { executionId: String(id) });
    return execution;
  }

  info(id: string): ExecutionInfo {
    return this.get(id).info();
  }

  /** Results of a finished execution; `execution is still running` otherwise. */
  results(id: string): RunResult<unknown> {
    const execution = this.get(id);
    if (!execution.finished) throw new GearsError('execution is still running', { executionId: id });
    return execution.result();
  }

  async resultsWhenDone(id: string): Promise<RunResult<unknown>> {
    const execution = this.get(id);
    await execution.done;
    return execution.result();
  }

  /** Aborts a running execution (a finished one is left as it is). */
  abort(id: string): void {
    this.get(id).abort();
  }

  /** Forgets a finished execution; a running one must be aborted first (RedisGears' message). */
  drop(id: string): void {
    const execution = this.get(id);
    if (!execution.finished)
      throw new GearsError('can not drop a not yet finished execution, abort it first.', { executionId: id });
    this.executions.delete(id);
  }

  /** Executions of one registration, oldest first. */
  ofRegistration(registrationId: string): Execution[] {
    return [...this.executions.values()].filter((e) => e.registrationId === registrationId);
  }

  running(): Execution[] {
    return [...this.executions.values()].filter((e) => !e.finished);
  }

  private evict(registrationId: string | undefined): void {
    const { maxExecutions, maxPerRegistration } = this.limits();
    if (registrationId !== undefined) this.trim(this.ofRegistration(registrationId), maxPerRegistration);
    this.trim([...this.executions.values()], maxExecutions);
  }

  /** Drops the oldest finished executions of `list` (insertion order = age) until at most `max` remain. */
  private trim(list: Execution[], max: number): void {
    let excess = list.length - max;
    for (const execution of list) {
      if (excess <= 0) return;
      if (!execution.finished) continue;
      this.executions.delete(execution.id);
      excess--;
    }
  }
}
