import type { Gears } from '../Gears.ts';
import type { ExecutionInfo } from '../engine/Execution.ts';
import type { RegistrationInfo } from '../engine/Registration.ts';
import type { Activity, ActivitySample } from './Activity.ts';
import { probeShard, type ShardHealth } from './health.ts';

/** Results shown for one execution; the rest is counted, not sent. */
const MAX_RESULTS = 100;
/** A result longer than this (as JSON) is cut. */
const MAX_RESULT_CHARS = 2000;
/** Executions listed, newest first. */
const MAX_EXECUTIONS = 200;

/** An execution in the dashboard's list. */
export interface ExecutionRow {
  executionId: string;
  status: ExecutionInfo['status'];
  registrationId: string | null;
  reader: string;
  desc: string | null;
  totalDurationMs: number;
  results: number;
  errors: number;
}

/** What the dashboard polls: `GET /api/state`. */
export interface DashboardState {
  now: number;
  kind: string;
  shards: ShardHealth[];
  registrations: (RegistrationInfo & { executionsInFlight: number })[];
  executions: ExecutionRow[];
  activity: ActivitySample[];
}

/** `GET /api/executions/:id`: the profile with its results (JSON, cut) and errors. */
export interface ExecutionDetail extends ExecutionInfo {
  registrationId: string | null;
  resultsShown: string[];
}

/** JSON of a record, whatever it holds (bigints, Buffers, cycles), cut to `MAX_RESULT_CHARS`. */
export function showRecord(record: unknown): string {
  let text: string;
  if (typeof record === 'string') text = record;
  else {
    try {
      text =
        JSON.stringify(record, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value)) ??
        String(record);
    } catch {
      text = String(record);
    }
  }
  return text.length > MAX_RESULT_CHARS ? `${text.slice(0, MAX_RESULT_CHARS)}… (${text.length} chars)` : text;
}

function row(info: ExecutionInfo, registrationId: string | undefined): ExecutionRow {
  return {
    executionId: info.executionId,
    status: info.status,
    registrationId: registrationId ?? null,
    reader: info.reader,
    desc: info.desc ?? null,
    totalDurationMs: info.totalDurationMs,
    results: info.results,
    errors: info.errors.length,
  };
}

/** Kept executions and running blocking runs, newest first. */
function executionRows(gears: Gears, activity: Activity): ExecutionRow[] {
  const seen = new Set<string>();
  const rows: ExecutionRow[] = [];
  const kept = gears.dumpExecutions().reverse();
  for (const info of gears.runningExecutions()) {
    seen.add(info.executionId);
    rows.push(row(info, activity.registrationOfExecution(info.executionId)));
  }
  for (const { executionId } of kept) {
    if (rows.length >= MAX_EXECUTIONS) break;
    if (seen.has(executionId)) continue;
    rows.push(row(gears.getExecution(executionId), activity.registrationOfExecution(executionId)));
  }
  return rows;
}

/** Everything the dashboard draws, in one answer. */
export async function dashboardState(gears: Gears, activity: Activity, timeoutMs: number): Promise<DashboardState> {
  const inFlight = new Map<string, number>();
  const executions = executionRows(gears, activity);
  for (const e of executions) {
    if (e.registrationId !== null && (e.status === 'running' || e.status === 'pending_cluster')) {
      inFlight.set(e.registrationId, (inFlight.get(e.registrationId) ?? 0) + 1);
    }
  }
  return {
    now: Date.now(),
    kind: gears.topology.kind,
    shards: await Promise.all(gears.shards.map((shard) => probeShard(shard, timeoutMs))),
    registrations: gears.dumpRegistrations().map((r) => ({ ...r, executionsInFlight: inFlight.get(r.id) ?? 0 })),
    executions,
    activity: activity.samples(),
  };
}

/** One execution in full (throws RedisGears' `execution plan does not exist` for an unknown id). */
export function executionDetail(gears: Gears, activity: Activity, id: string): ExecutionDetail {
  const info = gears.getExecution(id);
  let shown: string[] = [];
  if (info.status === 'done' || info.status === 'aborted') {
    shown = gears.getResults(id).results.slice(0, MAX_RESULTS).map(showRecord);
  }
  return { ...info, registrationId: activity.registrationOfExecution(id) ?? null, resultsShown: shown };
}
