import type { Execution } from './Execution.ts';

/**
 * What an engine tells its observers (metrics, the dashboard): every execution it starts and how each one
 * ends. Registration events are executions with a `registrationId`; per-step record counts are in
 * `execution.steps` once it finished.
 */
export type GearsEvent =
  | { type: 'executionStarted'; execution: Execution }
  | {
      type: 'executionFinished';
      execution: Execution;
      /** `failed`: done with at least one error (RedisGears counts it as a failure of its registration). */
      status: 'done' | 'failed' | 'aborted';
      durationMs: number;
    };

/** Receives an engine's events, synchronously; an observer that throws is logged and ignored. */
export type GearsObserver = (event: GearsEvent) => void;

/** The event an execution's end makes, read from the execution once it finished. */
export function finishedEvent(execution: Execution): GearsEvent {
  const status = execution.status === 'aborted' ? 'aborted' : execution.errors.length > 0 ? 'failed' : 'done';
  const durationMs = (execution.finishedAt ?? Date.now()) - (execution.startedAt ?? execution.createdAt);
  return { type: 'executionFinished', execution, status, durationMs };
}
