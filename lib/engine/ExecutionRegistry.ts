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
  /** Every kept execution, oldest first (Map keeps insertion order). */
  private readonly executions = new Map<string, Execution>();
  /** Per registration, its kept executions, oldest first. */
  private readonly byRegistration = new Map<string, Execution[]>();

  constructor(private readonly limits: () => { maxExecutions: number; maxPerRegistration: number }) {}

  add(execution: Execution): void {
    this.executions.set(execution.id, execution);
    const registrationId = execution.registrationId;
    if (registrationId !== undefined) {
      let list = this.byRegistration.get(registrationId);
      if (!list) this.byRegistration.set(registrationId, (list = []));
      list.push(execution);
    }
    this.evict(registrationId);
    // Finishing may make room in a registry that was full of running executions.
    execution.onFinish(this.finished);
  }

  /** What `add` does when an execution finishes: one function for all of them. */
  private readonly finished = (execution: Execution): void => this.evict(execution.registrationId);

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
    this.remove(execution);
  }

  /** Executions of one registration, oldest first. */
  ofRegistration(registrationId: string): Execution[] {
    return [...(this.byRegistration.get(registrationId) ?? [])];
  }

  /** Forgets every kept execution of a registration, running ones too (`unregister(id, { abortPending })`). */
  dropRegistration(registrationId: string): void {
    for (const execution of this.ofRegistration(registrationId)) this.remove(execution);
  }

  running(): Execution[] {
    return [...this.executions.values()].filter((e) => !e.finished);
  }

  /**
   * Drops the oldest finished executions beyond the limits. Usually the oldest one is finished, so this
   * looks at one or two entries per call, however many are kept.
   */
  private evict(registrationId: string | undefined): void {
    const { maxExecutions, maxPerRegistration } = this.limits();
    const list = registrationId === undefined ? undefined : this.byRegistration.get(registrationId);
    if (list && list.length > maxPerRegistration) this.trim(list, list.length - maxPerRegistration);
    // No iterator unless something is to go (this runs twice per execution of an event registration).
    if (this.executions.size > maxExecutions) this.trim(this.executions.values(), this.executions.size - maxExecutions);
  }

  private trim(oldestFirst: Iterable<Execution>, excess: number): void {
    if (excess <= 0) return;
    if (excess === 1) {
      // The usual case (one execution added, one too many): no list of victims.
      for (const execution of oldestFirst)
        if (execution.finished) {
          this.remove(execution);
          return;
        }
      return;
    }
    const victims: Execution[] = [];
    for (const execution of oldestFirst) {
      if (victims.length >= excess) break;
      if (execution.finished) victims.push(execution);
    }
    for (const execution of victims) this.remove(execution);
  }

  private remove(execution: Execution): void {
    this.executions.delete(execution.id);
    const registrationId = execution.registrationId;
    if (registrationId === undefined) return;
    const list = this.byRegistration.get(registrationId);
    if (list?.[0] === execution) list.shift();
    else {
      const index = list?.indexOf(execution) ?? -1;
      if (list && index >= 0) list.splice(index, 1);
    }
    if (list?.length === 0) this.byRegistration.delete(registrationId);
  }
}

/**
 * RG.DUMPEXECUTIONS, RG.GETRESULTS(BLOCKING), RG.ABORTEXECUTION, RG.DROPEXECUTION and RG.GETEXECUTION as a
 * front door answers them. One process answers from its own registry; a driver of an app's workers answers
 * for every front door of the app, from Redis (README "Scaling out").
 */
export interface ExecutionCommands {
  dump(): Promise<ExecutionSummary[]>;
  results(id: string): Promise<RunResult<unknown>>;
  resultsWhenDone(id: string): Promise<RunResult<unknown>>;
  abort(id: string): Promise<void>;
  drop(id: string): Promise<void>;
  info(id: string): Promise<ExecutionInfo>;
}

/** The engine's own (synchronous) execution methods as `ExecutionCommands`. */
export function localExecutionCommands(engine: {
  dumpExecutions(): ExecutionSummary[];
  getResults(id: string): RunResult<unknown>;
  getResultsBlocking(id: string): Promise<RunResult<unknown>>;
  abortExecution(id: string): void;
  dropExecution(id: string): void;
  getExecution(id: string): ExecutionInfo;
}): ExecutionCommands {
  return {
    dump: async () => engine.dumpExecutions(),
    results: async (id) => engine.getResults(id),
    resultsWhenDone: (id) => engine.getResultsBlocking(id),
    abort: async (id) => engine.abortExecution(id),
    drop: async (id) => engine.dropExecution(id),
    info: async (id) => engine.getExecution(id),
  };
}
